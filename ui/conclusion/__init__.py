"""Resolve and Escalate: the preview, the Escalate intercept, and the flow between them."""
