"""Inbound WeChat messages (de-duplicated), dialogue state, pending deliveries and the chat log."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class InboundMessage(Model):
    """One accepted message or event. (account_key, dedup_key) is unique, so a retry is recognised.

    status: processing (or redoing) → done (passive reply stored); or, over budget, processing → deferred →
    answered (reply stored) → delivering → delivered (customer-service message or queued).
    ``reply_xml`` is the plain passive reply, re-encrypted for a retry; empty means ``success``.
    """

    id = fields.BigIntField(primary_key=True)
    account_key = fields.CharField(max_length=32)
    dedup_key = fields.CharField(max_length=48)  # "m:<MsgId>" or "e:<sha1 of from+time+event+key>"
    openid = fields.CharField(max_length=64, db_index=True)
    kind = fields.CharField(max_length=24)
    event = fields.CharField(max_length=48, null=True)
    event_key = fields.CharField(max_length=255, null=True)
    msg_id = fields.CharField(max_length=20, null=True)  # WeChat's MsgId: up to 20 digits (unsigned 64-bit)
    text = fields.TextField(null=True)  # personal numbers masked (app.core.pii_text); original in text_enc
    # the parsed XML fields, masked the same way
    fields_json: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    text_enc = fields.TextField(null=True)  # the text as sent, encrypted; null when nothing was masked
    fields_enc = fields.TextField(null=True)  # the fields as sent (JSON), encrypted; null likewise
    known = fields.BooleanField(default=True)  # false: an unknown type or event, recorded only
    status = fields.CharField(max_length=16, default="processing")
    reply_xml = fields.TextField(null=True)
    reply_text = fields.TextField(null=True)  # what the bot said, for the conversation log
    resident_id = fields.IntField(null=True)
    board_code = fields.CharField(max_length=24, null=True)
    # "<timestamp>:<nonce>" of a message verified by `signature` only (plain mode): that signature
    # does not cover the body, so one signature may carry one message, never a second forged one
    sig_key = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "wechat_inbound"
        unique_together = (("account_key", "dedup_key"), ("account_key", "sig_key"))
        indexes = (("account_key", "openid", "created_at"),)


class DialogueStateRow(Model):
    """The open dialogue of a resident on one account, and how many answers wait for them."""

    id = fields.BigIntField(primary_key=True)
    account_key = fields.CharField(max_length=32)
    openid = fields.CharField(max_length=64)
    name = fields.CharField(max_length=64, null=True)
    data: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    expires_at = fields.DatetimeField(null=True)
    pending = fields.IntField(default=0)  # PendingDelivery rows not yet delivered
    updated_at = fields.DatetimeField()

    class Meta:
        table = "wechat_dialogue"
        unique_together = (("account_key", "openid"),)


class PendingDelivery(Model):
    """An answer that could not go out as a customer-service message, sent at the next interaction.

    status: pending → (sending, a customer-service send under way) → sent; or failed (WeChat refused its
    content, or it kept failing) or expired (the resident never came back), with ``reason``. A row
    with a caller's ``ref`` is also written for an answer sent at once, so its outcome can be asked for.
    ``delivered_at`` is when it left the queue (sent, claimed for sending, failed or expired).
    """

    id = fields.BigIntField(primary_key=True)
    account_key = fields.CharField(max_length=32)
    openid = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=8)  # text or news
    payload: fields.JSONField[dict[str, Any]] = fields.JSONField()  # {"text": ...} or {"articles": [...]}
    inbound_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)
    delivered_via = fields.CharField(max_length=16, null=True)  # custom or passive
    status = fields.CharField(max_length=8, default="pending", db_default="pending")  # pending, sending, sent, failed, expired
    reason = fields.CharField(max_length=200, null=True)  # why it failed or expired (Chinese, for staff)
    attempts = fields.IntField(default=0, db_default=0)  # customer-service sends that failed for a passing reason
    ref = fields.CharField(max_length=64, null=True, db_index=True)  # the caller's reference, e.g. "case:42"

    class Meta:
        table = "wechat_pending"
        indexes = (("account_key", "openid", "delivered_at"),)


class ChatLog(Model):
    """Messages to a resident outside the passive reply (customer-service, staff), for conversation()."""

    id = fields.BigIntField(primary_key=True)
    account_key = fields.CharField(max_length=32)
    openid = fields.CharField(max_length=64)
    role = fields.CharField(max_length=8)  # bot or staff
    text = fields.TextField()
    at = fields.DatetimeField()

    class Meta:
        table = "wechat_chat_log"
        indexes = (("account_key", "openid", "at"),)
