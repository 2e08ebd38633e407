"""Domain-free kit: clock, working-day calendar, PII crypto, ids, paging, org scoping, metrics."""
