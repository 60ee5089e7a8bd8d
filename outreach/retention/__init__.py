"""Retention of person-level data (SECURITY.md 21): the daily purge of persons without
contact for the organisation's number of years, and the command that shows or runs it."""
