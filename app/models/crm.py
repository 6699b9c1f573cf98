"""Models of the crm context (filled in by its feature work)."""
