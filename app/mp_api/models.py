"""The mini-program's own rows: login sessions (our token, never WeChat's session_key) and what a
resident allowed when asked for subscribe messages."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class MpSession(Model):
    """One login of the mini-program: the hash of its token, bound to a resident and an openid, with expiry.

    The token itself is only ever in the phone. Revoked at logout and erasure."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)  # sha256 hex of the bearer token
    resident_id = fields.IntField(db_index=True)
    openid = fields.CharField(max_length=64, db_index=True)
    unionid = fields.CharField(max_length=64, null=True)
    client = fields.CharField(max_length=24, default="")  # keyed hash of the address it logged in from
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "mp_session"


class MpSubscription(Model):
    """What a resident answered to wx.requestSubscribeMessage for one template, and messages left to send.

    An accept adds one message they may receive (one-time subscriptions add up), a send uses one,
    reject or ban stop them."""

    id = fields.IntField(primary_key=True)
    resident_id = fields.IntField(db_index=True)
    openid = fields.CharField(max_length=64)
    template_id = fields.CharField(max_length=64)
    scene = fields.CharField(max_length=24)  # case_accepted, case_result, booking_confirmed, ...
    status = fields.CharField(max_length=8)  # accept, reject, ban, filter
    remaining = fields.IntField(default=0)  # messages the resident allowed and not yet used
    sent = fields.IntField(default=0)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "mp_subscription"
        unique_together = (("openid", "template_id"),)
