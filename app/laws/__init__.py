"""laws domain."""
