"""Queries and writes by concept; each function works inside the caller's unit of work."""
