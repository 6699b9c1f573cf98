"""Models of the proposals context (filled in by its feature work)."""
