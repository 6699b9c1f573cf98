"""Models of the sales context (filled in by its feature work)."""
