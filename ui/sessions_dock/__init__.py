"""The Sessions dock: the technician's list of triage sessions."""
