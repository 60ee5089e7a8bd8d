"""Organisations (tenants) and the seeded Danish regions."""
