"""Reports: the figures of DESIGN.md §3, their API, page, exports and stored snapshots."""
