"""Resident and their identity on each account of the matrix."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class Resident(Model):
    """A resident (居民). One row per person where WeChat gives a unionid, else per openid."""

    id = fields.IntField(primary_key=True)
    unionid = fields.CharField(max_length=64, null=True, unique=True)
    nickname = fields.CharField(max_length=64, default="")
    name = fields.CharField(max_length=32, default="")  # given by the resident in a form
    phone_enc = fields.CharField(max_length=128, null=True)  # app.core.pii ciphertext
    phone_hash = fields.CharField(max_length=64, null=True, db_index=True)
    id_number_enc = fields.CharField(max_length=128, null=True)
    id_number_hash = fields.CharField(max_length=64, null=True, db_index=True)
    community_code = fields.CharField(max_length=32, null=True)  # last known, from a board or a form
    township_code = fields.CharField(max_length=32, null=True)
    special_groups: fields.JSONField[list[Any]] = fields.JSONField(default=list)  # elderly, disabled, migrant_worker, minor, ...
    erased_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "resident"


class ResidentAccount(Model):
    """The openid of a resident on one account of the matrix (or the mini-program) and follow status."""

    id = fields.IntField(primary_key=True)
    resident: fields.ForeignKeyRelation[Resident] = fields.ForeignKeyField(
        "fawu.Resident", related_name="accounts", on_delete=fields.CASCADE
    )
    resident_id: int  # tortoise adds the column attribute of a foreign key; typed here
    account_key = fields.CharField(max_length=32)
    openid = fields.CharField(max_length=64)
    following = fields.BooleanField(default=False)
    followed_at = fields.DatetimeField(null=True)
    unfollowed_at = fields.DatetimeField(null=True)
    source_board_code = fields.CharField(max_length=24, null=True)  # board whose scan brought them
    last_board_code = fields.CharField(max_length=24, null=True)  # board scanned most recently
    last_board_at = fields.DatetimeField(null=True)
    last_interaction_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "resident_account"
        unique_together = (("account_key", "openid"),)
