"""Residents (居民): one person across the matrix, with their follow status per account."""
