"""Console sessions: one row per logged-in browser, so logout and password changes really end them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ConsoleSession(Model):
    """The login of a staff member. The cookie carries a random token, only its SHA-256 is stored."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    staff_id = fields.IntField(db_index=True)
    csrf_token = fields.CharField(max_length=64)  # session-bound: every form posts it back
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "console_session"
