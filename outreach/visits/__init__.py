"""Visits: one knock on one clinic's door on one occasion."""
