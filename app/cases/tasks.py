"""Jobs of the cases domain."""

SCHEDULES: list = []
