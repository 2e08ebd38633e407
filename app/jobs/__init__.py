"""Durable jobs: an outbox table, enqueue() inside the caller's transaction, and a worker."""
