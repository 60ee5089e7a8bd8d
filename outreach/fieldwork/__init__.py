"""The back office's pages for what nurses record in the field: one visit and one
conversation, read by every role, corrected by coordinators."""
