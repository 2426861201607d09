"""The Task lane dock: what we know, questions, checks, the suggested fix."""
