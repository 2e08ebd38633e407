"""consult models: one log row per resident question (hot topics, the case's conversation)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Consultation(Model):
    """A question the engine answered (or handed over): what, where from, how it ended."""

    id = fields.BigIntField(primary_key=True)
    question = fields.TextField()  # personal numbers masked (app.core.pii_text); the original in question_enc
    question_enc = fields.TextField(null=True)  # the question as asked, encrypted; null when nothing was masked
    category = fields.CharField(max_length=32, db_index=True)
    confidence = fields.FloatField(default=0.0)
    answer_ids = fields.CharField(max_length=300, default="")
    township_code = fields.CharField(max_length=32, null=True, db_index=True)
    community_code = fields.CharField(max_length=32, null=True)
    board_code = fields.CharField(max_length=24, null=True)
    channel = fields.CharField(max_length=16, default="wechat")
    account_key = fields.CharField(max_length=64, null=True)
    resident_id = fields.IntField(null=True, db_index=True)
    # a keyed hash of the client's address (web, mini-program) or of the resident (WeChat): the
    # analytics count clients, so one client asking again and again counts once
    client = fields.CharField(max_length=24, default="", db_default="")
    handoff = fields.BooleanField(default=False)
    urgent = fields.BooleanField(default=False)
    clarified = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "consult_consultation"
