"""Developer tools (not shipped): the import-linter contract types of fawu."""
