"""Pseudonymous persons met by the team, and the conversations held with them."""
