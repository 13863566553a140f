"""Storage: the only SQL in the package (tables, the unit of work, the queries)."""
