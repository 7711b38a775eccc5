"""Organisations, people, roles and login."""
