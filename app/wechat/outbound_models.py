"""Models of the WeChat API client: token cache, quotas, customer-service windows."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class WechatToken(Model):
    """The shared access token of one account (used when no Redis is configured), with its refresh lock."""

    id = fields.IntField(primary_key=True)
    account_key = fields.CharField(max_length=32, unique=True)
    access_token = fields.CharField(max_length=1024, default="")
    expires_at = fields.DatetimeField(null=True)
    lock_owner = fields.CharField(max_length=64, default="")
    lock_until = fields.DatetimeField(null=True)
    refreshed_at = fields.DatetimeField(null=True)
    refresh_count = fields.IntField(default=0)
    # the last failed fetch, shared by every process: none asks WeChat again before failed_until
    failures = fields.IntField(default=0, db_default=0)
    failed_until = fields.DatetimeField(null=True)
    failure = fields.CharField(max_length=200, default="", db_default="")  # "<errcode> <errmsg>" of the last failure

    class Meta:
        table = "wechat_token"


class WechatWindow(Model):
    """The customer-service windows of one follower on one account (48 h / 5 and 1 min / 3)."""

    id = fields.IntField(primary_key=True)
    account_key = fields.CharField(max_length=32)
    openid = fields.CharField(max_length=64)
    long_until = fields.DatetimeField(null=True)
    long_used = fields.IntField(default=0)
    short_until = fields.DatetimeField(null=True)
    short_used = fields.IntField(default=0)
    updated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "wechat_window"
        unique_together = (("account_key", "openid"),)


class WechatMassSend(Model):
    """One mass send (one API call) by an account: counts toward its quota, matched to MASSSENDJOBFINISH."""

    id = fields.IntField(primary_key=True)
    account_key = fields.CharField(max_length=32, db_index=True)
    target = fields.CharField(max_length=16)  # tag, all, openids
    tag_id = fields.IntField(null=True)
    recipients = fields.IntField(default=0)
    clientmsgid = fields.CharField(max_length=64, default="")
    msg_id = fields.CharField(max_length=32, default="", db_index=True)
    msg_data_id = fields.CharField(max_length=32, default="")
    msgtype = fields.CharField(max_length=16, default="")
    status = fields.CharField(max_length=32, default="submitted")  # submitted, finished, error text
    local_day = fields.CharField(max_length=10)  # YYYY-MM-DD in Asia/Shanghai
    local_month = fields.CharField(max_length=7)  # YYYY-MM
    result: dict = fields.JSONField(default=dict)  # type: ignore[type-arg]
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "wechat_mass_send"


class WechatMassRecipient(Model):
    """How many mass sends one follower of a service account received in a month (≤ 4)."""

    id = fields.IntField(primary_key=True)
    account_key = fields.CharField(max_length=32)
    openid = fields.CharField(max_length=64)
    local_month = fields.CharField(max_length=7)
    count = fields.IntField(default=0)

    class Meta:
        table = "wechat_mass_recipient"
        unique_together = (("account_key", "openid", "local_month"),)
