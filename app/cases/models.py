"""Cases (案件/工单): the case, its append-only history, its messages, hand-overs and reminders."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.cases.states import OPEN_STATUSES, CaseStatus  # noqa: F401  re-exported


class CaseType(StrEnum):
    CONSULTATION = "consultation"
    LEGAL_AID = "legal_aid"
    MEDIATION = "mediation"
    NOTARIZATION = "notarization"
    COMPLAINT = "complaint"
    BAD_REVIEW = "bad_review"  # rectification of a bad review (好差评), opened by the survey issue
    OTHER = "other"


TYPE_ZH = {
    "consultation": "法律咨询", "legal_aid": "法律援助", "mediation": "人民调解", "notarization": "公证",
    "complaint": "投诉", "bad_review": "差评整改", "other": "其他",
}
STATUS_ZH = {
    "accepted": "已受理", "assigned": "已分派", "in_progress": "办理中", "waiting_info": "待补充材料",
    "result_given": "已反馈", "rated": "已评价", "closed": "已办结", "archived": "已归档",
}
CHANNEL_ZH = {"wechat": "公众号", "miniprogram": "小程序", "walk_in": "窗口", "hotline": "热线",
              "web": "网络"}
# How a result reached the resident: by WeChat (sent/queued/failed/expired), or told by staff.
DELIVERY_ZH = {"sent": "已通过微信送达", "queued": "等待居民下次互动时送达", "failed": "微信发送失败",
               "expired": "超过送达期限未能送达", "none": "未绑定微信", "phone": "已电话告知", "in_person": "已当面告知"}
# The matter's category (the consultation's 15 categories), with the words staff read.
CATEGORY_ZH = {
    "marriage_family": "婚姻家庭", "inheritance": "继承", "labor": "劳动工资与工伤", "debt_contract": "借贷与合同",
    "traffic": "交通事故", "property_land": "房产土地与征收", "consumer": "消费维权", "tort_neighbour": "侵权与邻里",
    "medical": "医疗纠纷", "criminal": "刑事", "administrative": "行政与信访", "legal_aid": "法律援助",
    "mediation": "人民调解", "notarization": "公证", "other": "其他",
}
CATEGORIES = tuple(CATEGORY_ZH)


class Case(Model):
    """One matter of one resident, handled by one owner at a time (首问负责)."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=24, unique=True)  # FW20261123-0007
    type = fields.CharField(max_length=16, db_index=True)
    category = fields.CharField(max_length=24, null=True)
    status = fields.CharEnumField(CaseStatus, max_length=16, default=CaseStatus.ACCEPTED, db_index=True)
    source = fields.CharField(max_length=24, default="bot_handoff")  # bot_handoff, form, booking, complaint, ...
    # what opened it, when that can happen twice (e.g. "wechat:<account>:<inbound id>": a hand-over run
    # again by crash recovery finds this case instead of opening a second one)
    source_ref = fields.CharField(max_length=64, null=True, unique=True)
    channel = fields.CharField(max_length=16, default="wechat")
    summary = fields.TextField()  # personal numbers masked (app.core.pii_text); the original in summary_enc
    summary_enc = fields.TextField(null=True)  # the summary as typed, encrypted; null when nothing was masked
    urgent = fields.BooleanField(default=False)
    # 安全标记: 0 公开, 1 内部, 2 敏感, 3 机密 (app.core.actor.LEVEL_ZH); read only with clearance >= it
    security_level = fields.SmallIntField(default=1, db_default=1)
    resident_id = fields.IntField(null=True, db_index=True)
    township_code = fields.CharField(max_length=32, null=True, db_index=True)
    community_code = fields.CharField(max_length=32, null=True, db_index=True)
    board_code = fields.CharField(max_length=24, null=True)
    account_key = fields.CharField(max_length=32, null=True)
    openid = fields.CharField(max_length=64, null=True)
    owner_id = fields.IntField(null=True, db_index=True)  # staff_user.id; never cleared once set
    owner_name = fields.CharField(max_length=32, default="")
    first_owner_id = fields.IntField(null=True, db_index=True)  # 首问负责: the first receiver keeps sight
    first_unit_code = fields.CharField(max_length=32, null=True)
    contact_consent = fields.BooleanField(default=False, db_default=False)  # the resident agreed to be contacted (desk/hotline)
    opened_at = fields.DatetimeField()
    clock_start_at = fields.DatetimeField()  # opened_at, or the moment of the last reopening
    first_response_at = fields.DatetimeField(null=True)  # first staff message that reached the resident
    time_limit = fields.CharField(max_length=8, default="")  # e.g. "7d", "15wd", "4h" at computation
    # the catalogue's entry for the case's type when it was opened (code@vN), its name and time limit
    # (办理时限): kept as they were, so a later change of the catalogue never rewrites an opened case
    service_ref = fields.CharField(max_length=48, null=True)
    service_name = fields.CharField(max_length=64, default="", db_default="")
    service_limit = fields.CharField(max_length=8, default="", db_default="")
    deadline_at = fields.DatetimeField(null=True, db_index=True)  # null while paused
    deadline_provisional = fields.BooleanField(default=False)
    paused = fields.BooleanField(default=False)
    due_soon_warned_at = fields.DatetimeField(null=True)
    overdue_warned_at = fields.DatetimeField(null=True)
    result_text = fields.TextField(null=True)
    result_at = fields.DatetimeField(null=True)
    result_delivery = fields.CharField(max_length=12, null=True)  # DELIVERY_ZH keys
    result_delivery_reason = fields.CharField(max_length=200, default="", db_default="")
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
    delivery = fields.CharField(max_length=12, null=True)  # DELIVERY_ZH keys (staff messages)
    delivery_reason = fields.CharField(max_length=200, default="", db_default="")
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
    threshold = fields.CharField(max_length=12)  # due_soon, overdue, escalate
    staff_ids: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    deadline_at = fields.DatetimeField()
    at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "cases_reminder"
        unique_together = (("case", "threshold", "deadline_at"),)


class CaseNotice(Model):
    """One alert for one staff member about a case (new, urgent, a message, a deadline, an escalation).

    Read when the case is opened, acknowledged with a click."""

    id = fields.BigIntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "fawu.Case", related_name="notices", on_delete=fields.CASCADE
    )
    case_id: int
    staff_id = fields.IntField(db_index=True)
    kind = fields.CharField(max_length=16)  # new, urgent, message, due_soon, overdue, escalate, delivery
    key = fields.CharField(max_length=64)  # makes each alert once-only per recipient
    text = fields.CharField(max_length=200, default="")
    at = fields.DatetimeField(db_index=True)
    read_at = fields.DatetimeField(null=True)
    acked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "cases_notice"
        unique_together = (("staff_id", "key"),)


class CannedReply(Model):
    """A ready-made reply of one unit (常用回复) that its staff insert into the reply box."""

    id = fields.IntField(primary_key=True)
    unit_code = fields.CharField(max_length=32, db_index=True)
    title = fields.CharField(max_length=40)
    text = fields.TextField()
    created_by = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "cases_canned_reply"


class BindCode(Model):
    """A short code the clerk reads out (or a staff member gets) to link a WeChat follower.

    To a desk or hotline case (purpose case) or to the alerts of a staff member (purpose staff)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=8, unique=True)
    purpose = fields.CharField(max_length=8)
    target_id = fields.IntField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "cases_bind_code"


class StaffAlertChannel(Model):
    """A staff member who allowed WeChat alerts (template messages) on a service account."""

    id = fields.IntField(primary_key=True)
    staff_id = fields.IntField(unique=True)
    account_key = fields.CharField(max_length=32)
    openid = fields.CharField(max_length=64)
    allowed_at = fields.DatetimeField()

    class Meta:
        table = "cases_staff_alert"
