"""Models of the calculators context (filled in by its feature work)."""
