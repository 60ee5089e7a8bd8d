"""Accounts: users, roles, passwords, sessions and personal API tokens."""
