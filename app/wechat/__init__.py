"""wechat domain."""
