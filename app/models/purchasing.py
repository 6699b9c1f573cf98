"""Models of the purchasing context (filled in by its feature work)."""
