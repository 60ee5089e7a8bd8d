"""The field app's pull: what changed after a phone's cursor (queries.py) and its endpoint
(api.py). The change sequence itself is kernel code: outreach/changes.py."""
