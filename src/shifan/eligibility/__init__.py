"""Eligibility pre-check: the 申报条件 as rules, their results and officers' credit checks."""
