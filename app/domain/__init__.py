"""Pure business logic: no Flask, no SQLAlchemy. Tested by itself, fast."""
