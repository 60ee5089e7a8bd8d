"""Sync for the field app: a per-organisation change sequence and the pull endpoint."""
