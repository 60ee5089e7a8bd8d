"""The clinic registry: venues the team visits."""
