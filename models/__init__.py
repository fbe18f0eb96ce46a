"""Database tables (SQLAlchemy 2, typed) and the unit of work that owns each transaction."""
