"""Staff accounts (工作人员) with role and org units, the append-only audit log, personal SM2 keys."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.core.actor import Role


class StaffUser(Model):
    """A staff member who logs in to the console."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=32)
    role = fields.CharEnumField(Role, max_length=20)
    unit_codes: list[str] = fields.JSONField(default=list)  # org units they belong to (district code = all)
    phone = fields.CharField(max_length=32, default="")  # work phone, shown to colleagues
    supervisor: fields.ForeignKeyNullableRelation[StaffUser] = fields.ForeignKeyField(
        "fawu.StaffUser", related_name="team", null=True, on_delete=fields.SET_NULL
    )
    supervisor_id: int | None  # tortoise adds the column attribute of a foreign key; typed here
    password_hash = fields.CharField(max_length=255)
    must_change_password = fields.BooleanField(default=True)
    failed_logins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    active = fields.BooleanField(default=True)
    last_login_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    password_changed_at = fields.DatetimeField(null=True)  # expiry counts from here (null: from created_at)
    # JSON columns are nullable so they can be added to a table that holds rows (null: none yet)
    password_history: list[str] | None = fields.JSONField(null=True)  # argon2 hashes of the last passwords
    totp_secret_enc = fields.CharField(max_length=160, null=True)  # the TOTP secret, encrypted (app.core.crypto)
    totp_enabled_at = fields.DatetimeField(null=True)  # null: not enrolled (or enrolment not confirmed)
    totp_last_step = fields.BigIntField(default=0, db_default=0)  # the last time step accepted (a code is used once)
    recovery_codes: list[str] | None = fields.JSONField(null=True)  # keyed hashes of the unused recovery codes
    disabled_reason = fields.CharField(max_length=32, default="", db_default="")
    clearance = fields.SmallIntField(default=2, db_default=2)  # 安全标记: highest level they read (security admin sets)  # "dormant", "admin" when active is false

    class Meta:
        table = "staff_user"


class AuditLog(Model):
    """Who did what to whose data (e.g. revealing a phone number), never updated or deleted.

    Each entry is sealed into a hash chain (app/staff/audit.py): ``hash`` is HMAC-SM3 over the entry
    and the previous entry's hash, so a changed, removed or inserted entry breaks ``fawu audit verify``.
    Entries written before the chain (``seq`` null) are covered by the chain's first link."""

    id = fields.BigIntField(primary_key=True)
    seq = fields.BigIntField(null=True, unique=True)  # position in the chain, 1, 2, ... (null: before it)
    # db_default: columns added to a table that holds entries (the entries before the chain)
    prev_hash = fields.CharField(max_length=64, default="", db_default="")
    hash = fields.CharField(max_length=64, default="", db_default="")
    key_id = fields.CharField(max_length=8, default="", db_default="")  # the data key the HMAC-SM3 key derives from
    actor_id = fields.IntField(null=True)
    actor_name = fields.CharField(max_length=32, default="")
    actor_role = fields.CharField(max_length=20, default="", db_default="")
    outcome = fields.CharField(max_length=16, default="ok", db_default="ok")  # ok, failed, denied
    action = fields.CharField(max_length=48, db_index=True)  # e.g. resident.reveal_phone, login.failed
    target_type = fields.CharField(max_length=32, default="")
    target_id = fields.CharField(max_length=64, default="")
    detail: dict[str, object] = fields.JSONField(default=dict)
    ip = fields.CharField(max_length=64, default="")
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "staff_audit_log"


class AuditHead(Model):
    """The newest link of the chain (one row, locked while an entry is appended, so links never fork)."""

    id = fields.IntField(primary_key=True)
    seq = fields.BigIntField(default=0)
    hash = fields.CharField(max_length=64)
    key_id = fields.CharField(max_length=8, default="")

    class Meta:
        table = "staff_audit_head"


class LoginAttempt(Model):
    """Failed logins counted per (typed account name, client): a lock keeps that client out of that
    account only. Unknown names are counted the same way, so they answer like real ones."""

    id = fields.BigIntField(primary_key=True)
    account_key = fields.CharField(max_length=64)  # keyed hash of the typed name (never the text)
    client = fields.CharField(max_length=64)  # "ip:<keyed hash>" or "device:<id>" (a browser that logged in)
    failures = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "staff_login_attempt"
        unique_together = (("account_key", "client"),)


class SigningKey(Model):
    """The personal SM2 key of a staff member (个人签名密钥) for signing significant actions.

    The public key in the clear (verification keeps working after a new key replaces it); the private
    key SM4-GCM-wrapped under a key derived from the staff member's signing PIN (scrypt), then
    encrypted again under the data key (app/staff/signing.py)."""

    id = fields.IntField(primary_key=True)
    staff_id = fields.IntField(db_index=True)
    fingerprint = fields.CharField(max_length=16, unique=True)  # SM3 of the public key, first 16 hex
    public_key = fields.CharField(max_length=130)  # hex of the uncompressed point x ‖ y
    private_enc = fields.TextField()
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "staff_signing_key"
