"""Admin pages: users of the admin's own organisation, their roles, sessions and tokens."""
