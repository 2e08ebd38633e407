"""Jobs of the wechat domain."""

SCHEDULES: list = []
