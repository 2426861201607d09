"""PSA integration (ConnectWise Manage): given what to post, posts it and verifies it.

No storage and no widgets: the outbox sync in `flowpilot_desktop` drives it.
"""
