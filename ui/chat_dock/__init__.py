"""The Chat dock: the conversation with the assistant about the selected session."""
