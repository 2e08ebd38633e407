"""Satisfaction surveys (好差评): definitions as used, invitations, responses, residents' survey contact."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class SurveyDefinition(Model):
    """One version of a survey as first used (a copy of content/surveys), never changed afterwards."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=32)
    version = fields.IntField()
    digest = fields.CharField(max_length=64)  # sha256 of the canonical definition
    body: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "surveys_definition"
        unique_together = (("key", "version"),)


class SurveyInvitation(Model):
    """The one invitation to rate one service instance (一事一评): case, consultation, appointment.

    ``service_key`` is unique: however many completion events arrive, one row exists."""

    id = fields.IntField(primary_key=True)
    service_key = fields.CharField(max_length=96, unique=True)  # "case:12", "consult:...", "booking:7"
    service_type = fields.CharField(max_length=16)  # case, consultation, appointment
    service = fields.CharField(max_length=24, default="other")  # case type or the service's code
    case_id = fields.IntField(null=True, db_index=True)
    case_number = fields.CharField(max_length=24, default="")
    resident_id = fields.IntField(null=True, db_index=True)
    account_key = fields.CharField(max_length=32, null=True)
    openid = fields.CharField(max_length=64, null=True, db_index=True)
    township_code = fields.CharField(max_length=32, null=True, db_index=True)
    community_code = fields.CharField(max_length=32, null=True)
    provider = fields.CharField(max_length=32, default="")  # who served (staff name), for the figures
    provider_id = fields.IntField(null=True)
    channel = fields.CharField(max_length=16, default="wechat")  # where the service was given
    survey_key = fields.CharField(max_length=32)
    survey_version = fields.IntField()
    # pending (being sent), sent, queued (waits for the resident's next interaction), skipped
    status = fields.CharField(max_length=12, default="pending", db_index=True)
    via = fields.CharField(max_length=12, default="")  # custom, subscribe, passive, receipt
    reason = fields.CharField(max_length=200, default="")
    receipt_code = fields.CharField(max_length=12, unique=True)  # printed on the receipt (walk-ins)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "surveys_invitation"


class SurveyResponse(Model):
    """The one response to an invitation, with the first value kept when a mis-tap was corrected,
    and the put-right workflow of a bad review (差评整改: call-back, verification, rectification,
    answer, 追评, 申诉复核)."""

    id = fields.IntField(primary_key=True)
    invitation: fields.OneToOneRelation[SurveyInvitation] = fields.OneToOneField(
        "fawu.SurveyInvitation", related_name="response", on_delete=fields.RESTRICT)
    invitation_id: int  # tortoise adds the column attribute of a foreign key; typed here
    level = fields.IntField()  # 1 非常满意 … 5 非常不满意
    answers: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    history: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)  # earlier values
    answered_via = fields.CharField(max_length=12)  # chat, web, board
    first_at = fields.DatetimeField()
    at = fields.DatetimeField()  # the last change (a correction inside the window)
    # copied from the invitation for the figures (one row per response)
    township_code = fields.CharField(max_length=32, null=True, db_index=True)
    community_code = fields.CharField(max_length=32, null=True)
    service = fields.CharField(max_length=24, default="other")
    provider = fields.CharField(max_length=32, default="")
    channel = fields.CharField(max_length=16, default="wechat")
    # a bad review: the rectification case and its steps
    bad_case_id = fields.IntField(null=True)
    callback_at = fields.DatetimeField(null=True)
    callback_note = fields.TextField(default="")
    verified_at = fields.DatetimeField(null=True)
    finding = fields.CharField(max_length=8, default="")  # true, partly, false
    verify_note = fields.TextField(default="")
    rectified_at = fields.DatetimeField(null=True)
    rectify_note = fields.TextField(default="")
    answered_at = fields.DatetimeField(null=True)  # the answer to the resident went out
    answer_text = fields.TextField(default="")
    followup_level = fields.IntField(null=True)  # 追评, once, after it was put right
    followup_text = fields.TextField(default="")
    followup_at = fields.DatetimeField(null=True)
    appeal = fields.CharField(max_length=10, default="")  # requested, upheld, rejected
    appeal_reason = fields.TextField(default="")
    appeal_decision = fields.TextField(default="")
    appeal_decided_by = fields.CharField(max_length=32, default="")
    counted = fields.BooleanField(default=True)  # false once an appeal was upheld (申诉复核成立)

    class Meta:
        table = "surveys_response"


class SurveyContact(Model):
    """The survey contact of one resident: the last invitation (at most one per 24 h), opt-out, consent to
    the subscription message of the survey. Keyed by the resident (``r:<id>``) or the WeChat identity."""

    id = fields.IntField(primary_key=True)
    contact_key = fields.CharField(max_length=100, unique=True)
    last_invited_at = fields.DatetimeField(null=True)
    opted_out_at = fields.DatetimeField(null=True)
    subscribe_consent = fields.CharField(max_length=8, default="")  # "", once, long
    last_rated_at = fields.DatetimeField(null=True)  # a receipt code taken by this WeChat identity (once per 24 h)

    class Meta:
        table = "surveys_contact"


class SurveyPopulation(Model):
    """Answers to the awareness question of a population survey, per township and day (知晓率).

    A sample of all residents (e.g. the district's annual telephone survey), not only service users; imported
    as a batch from a CSV (``fawu surveys import-population``), a batch re-imported replaces its rows."""

    id = fields.IntField(primary_key=True)
    batch = fields.CharField(max_length=64, db_index=True)
    surveyed_on = fields.DateField()
    township_code = fields.CharField(max_length=32)
    aware = fields.IntField()
    unaware = fields.IntField()
    imported_at = fields.DatetimeField()

    class Meta:
        table = "surveys_population"
