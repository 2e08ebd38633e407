"""analytics models: the rollup of figures per period and place, and the early warnings."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class RollupCell(Model):
    """One figure of one period: a count and its distinct residents, for a place and one dimension value.

    source: consult, cases, ratings, scans, or what a hook answers (bookings, survey_awareness, ...);
    grain: what ``dim`` holds (category, channel, type, rating, total) and at which level (``community_``
    prefix: per community; ``district_`` prefix: the whole district, township code empty)."""

    id = fields.BigIntField(primary_key=True)
    source = fields.CharField(max_length=24)
    period = fields.CharField(max_length=6)  # week (starts Monday, local) or month
    period_start = fields.DateField()
    grain = fields.CharField(max_length=24)
    township_code = fields.CharField(max_length=32, default="")
    community_code = fields.CharField(max_length=32, default="")
    dim = fields.CharField(max_length=32, default="")
    count = fields.IntField(default=0)
    residents = fields.IntField(default=0)

    class Meta:
        table = "analytics_rollup_cell"
        indexes = (("source", "period", "grain", "period_start"), ("period", "period_start"))


class RollupRun(Model):
    """When one period was last computed (the rollup refreshes open periods and fills missing ones)."""

    id = fields.IntField(primary_key=True)
    period = fields.CharField(max_length=6)
    period_start = fields.DateField()
    computed_at = fields.DatetimeField()
    cells = fields.IntField(default=0)

    class Meta:
        table = "analytics_rollup_run"
        unique_together = (("period", "period_start"),)


class EarlyWarning(Model):
    """A surge of one topic in one place above its own baseline (矛盾排查预警), handled like a case:
    open, acknowledged, assigned, closed with what was done. Evidence: masked questions behind it."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=12, default="surge")
    source = fields.CharField(max_length=12, default="consult")  # consult, cases
    township_code = fields.CharField(max_length=32, db_index=True)
    community_code = fields.CharField(max_length=32, default="")
    category = fields.CharField(max_length=32)
    subject = fields.CharField(max_length=64, default="")  # a cluster's party or place: org:宏达, building:…
    week_start = fields.DateField()
    observed = fields.IntField()
    expected = fields.FloatField()
    baseline = fields.IntField()  # residents in the baseline weeks
    p_value = fields.FloatField()
    rule = fields.CharField(max_length=200)
    evidence: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)  # [{at, channel, community, question (masked)}]
    status = fields.CharField(max_length=12, default="open", db_index=True)  # open, acknowledged, assigned, closed
    assignee_id = fields.IntField(null=True)
    assignee_name = fields.CharField(max_length=32, default="")
    outcome = fields.TextField(default="")
    history: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)  # [{at, actor, action, note}]
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "analytics_early_warning"
        unique_together = (("kind", "source", "township_code", "community_code", "category", "subject", "week_start"),)
