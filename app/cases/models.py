"""Cases (案件/工单): the case, its append-only history, its messages, hand-overs and reminders."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class CaseType(StrEnum):
    CONSULTATION = "consultation"
    LEGAL_AID = "legal_aid"
    MEDIATION = "mediation"
    NOTARIZATION = "notarization"
    COMPLAINT = "complaint"
    BAD_REVIEW = "bad_review"  # rectification of a bad review (好差评), opened by the survey issue
    OTHER = "other"


class CaseStatus(StrEnum):
    ACCEPTED = "accepted"  # 受理
    ASSIGNED = "assigned"  # 分派
    IN_PROGRESS = "in_progress"  # 办理
    WAITING_INFO = "waiting_info"  # 待补充材料 (clock paused where the limit says so)
    RESULT_GIVEN = "result_given"  # 反馈
    RATED = "rated"  # 评价
    CLOSED = "closed"  # 办结（撤回/重复/无法联系等，不经反馈）
    ARCHIVED = "archived"  # 归档


TYPE_ZH = {
    "consultation": "法律咨询", "legal_aid": "法律援助", "mediation": "人民调解", "notarization": "公证",
    "complaint": "投诉", "bad_review": "差评整改", "other": "其他",
}
STATUS_ZH = {
    "accepted": "已受理", "assigned": "已分派", "in_progress": "办理中", "waiting_info": "待补充材料",
    "result_given": "已反馈", "rated": "已评价", "closed": "已办结", "archived": "已归档",
}
CHANNEL_ZH = {"wechat": "公众号", "miniprogram": "小程序", "walk_in": "窗口来访", "hotline": "热线电话",
              "web": "网站"}
CATEGORIES = (
    "marriage_family", "inheritance", "labor", "debt_contract", "traffic", "property_land", "consumer",
    "tort_neighbour", "medical", "criminal", "administrative", "legal_aid", "mediation", "notarization",
    "other",
)
OPEN_STATUSES = ("accepted", "assigned", "in_progress", "waiting_info")


class Case(Model):
    """One matter of one resident, handled by one owner at a time (首问负责)."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=24, unique=True)  # FW20261123-0007
    type = fields.CharField(max_length=16, db_index=True)
    category = fields.CharField(max_length=24, null=True)
    status = fields.CharField(max_length=16, default="accepted", db_index=True)
    source = fields.CharField(max_length=24, default="bot_handoff")  # bot_handoff, form, booking, complaint, ...
    # what opened it, when that can happen twice (e.g. "wechat:<account>:<inbound id>": a hand-over run
    # again by crash recovery finds this case instead of opening a second one)
    source_ref = fields.CharField(max_length=64, null=True, unique=True)
    channel = fields.CharField(max_length=16, default="wechat")
    summary = fields.TextField()  # personal numbers masked (app.core.pii_text); the original in summary_enc
    summary_enc = fields.TextField(null=True)  # the summary as typed, encrypted; null when nothing was masked
    urgent = fields.BooleanField(default=False)
    resident_id = fields.IntField(null=True, db_index=True)
    township_code = fields.CharField(max_length=32, null=True, db_index=True)
    community_code = fields.CharField(max_length=32, null=True, db_index=True)
    board_code = fields.CharField(max_length=24, null=True)
    account_key = fields.CharField(max_length=32, null=True)
    openid = fields.CharField(max_length=64, null=True)
    owner_id = fields.IntField(null=True, db_index=True)  # staff_user.id; never cleared once set
    owner_name = fields.CharField(max_length=32, default="")
    opened_at = fields.DatetimeField()
    clock_start_at = fields.DatetimeField()  # opened_at, or the moment of the last reopening
    first_response_at = fields.DatetimeField(null=True)  # first staff message that reached the resident
    time_limit = fields.CharField(max_length=8, default="")  # e.g. "7d", "15wd", "4h" at computation
    deadline_at = fields.DatetimeField(null=True, db_index=True)  # null while paused
    deadline_provisional = fields.BooleanField(default=False)
    paused = fields.BooleanField(default=False)
    due_soon_warned_at = fields.DatetimeField(null=True)
    overdue_warned_at = fields.DatetimeField(null=True)
    result_text = fields.TextField(null=True)
    result_at = fields.DatetimeField(null=True)
    result_delivery = fields.CharField(max_length=8, null=True)  # sent, queued, none
    survey_status = fields.CharField(max_length=12, null=True)  # pending (no survey handler yet), enqueued
    rating = fields.CharField(max_length=16, null=True)
    closed_at = fields.DatetimeField(null=True)
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "cases_case"

    @property
    def type_zh(self) -> str:
        return TYPE_ZH.get(self.type, self.type)

    @property
    def status_zh(self) -> str:
        return STATUS_ZH.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEvent(Model):
    """One step in the history of a case: who, when, what, why. Append-only (never updated or deleted).

    No apostrophes in model docstrings: tortoise copies the first line into the table comment SQL."""

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "fawu.Case", related_name="events", on_delete=fields.RESTRICT
    )
    action = fields.CharField(max_length=24)  # open, take, assign, transfer_request, ...
    actor_id = fields.IntField(null=True)  # staff id; null for the system or the resident
    actor_name = fields.CharField(max_length=32, default="")
    reason = fields.TextField(default="")
    from_status = fields.CharField(max_length=16, null=True)
    to_status = fields.CharField(max_length=16, null=True)
    from_owner_id = fields.IntField(null=True)
    to_owner_id = fields.IntField(null=True)
    from_unit = fields.CharField(max_length=32, null=True)
    to_unit = fields.CharField(max_length=32, null=True)
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "cases_event"


class CaseMessage(Model):
    """The conversation: what the resident and the bot said before hand-over, staff replies, notes."""

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "fawu.Case", related_name="messages", on_delete=fields.CASCADE
    )
    role = fields.CharField(max_length=12)  # resident, bot, staff, note (internal, never sent)
    author_id = fields.IntField(null=True)
    author_name = fields.CharField(max_length=32, default="")
    text = fields.TextField()  # personal numbers masked; the original in text_enc
    text_enc = fields.TextField(null=True)  # the text as typed, encrypted; null when nothing was masked
    delivery = fields.CharField(max_length=8, null=True)  # sent, queued, none (staff messages)
    scrubbed = fields.BooleanField(default=False)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "cases_message"


class TransferRequest(Model):
    """A hand-over (转办): pending with the old owner until the receiver accepts or refuses."""

    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "fawu.Case", related_name="transfers", on_delete=fields.CASCADE
    )
    case_id: int  # tortoise adds the column attribute of a foreign key; typed here
    from_owner_id = fields.IntField(null=True)
    to_staff_id = fields.IntField(null=True)  # a named colleague, or
    to_unit_code = fields.CharField(max_length=32, null=True)  # any staff of that unit
    reason = fields.TextField(default="")
    status = fields.CharField(max_length=10, default="pending", db_index=True)  # pending, accepted, refused
    decided_by = fields.IntField(null=True)
    decision_reason = fields.TextField(default="")
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "cases_transfer"


class CaseReminder(Model):
    """A deadline warning delivered to the owner and their supervisor (shown in the console)."""

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "fawu.Case", related_name="reminders", on_delete=fields.CASCADE
    )
    threshold = fields.CharField(max_length=12)  # due_soon, overdue
    staff_ids: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    deadline_at = fields.DatetimeField()
    at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "cases_reminder"
        unique_together = (("case", "threshold", "deadline_at"),)
