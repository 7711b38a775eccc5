"""Shared foundations: the audit trail, reference data, credit codes, mail. No domain rules."""
