"""Leads: screened ads and website observations (issue 14)."""
