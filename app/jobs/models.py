"""The outbox of jobs (named "domain.verb", taking ids) and their run state."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Job(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64, db_index=True)
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # an optional key that makes enqueueing idempotent (e.g. "case.remind:42:due_soon")
    dedupe_key = fields.CharField(max_length=128, null=True, unique=True)
    status = fields.CharField(max_length=16, default="pending", db_index=True)  # pending, running, done, failed
    run_at = fields.DatetimeField(db_index=True)
    attempts = fields.IntField(default=0)
    max_attempts = fields.IntField(default=5)
    locked_by = fields.CharField(max_length=64, null=True)
    locked_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "job"
