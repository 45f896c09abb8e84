"""Plain functions over the database: set-based statements that return counts; no request, no flash."""
