"""Local storage: SQLAlchemy models, engine setup, Alembic migrations and repositories.

Imports neither `ui`, `psa` nor the services above it.
"""
