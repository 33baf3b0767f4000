"""Database layer: tables, sessions and migrations (SQLAlchemy 2, Alembic)."""
