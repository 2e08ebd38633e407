"""Boards models: the QR ledger (one code per account, scene and kind, never re-created) and scans."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class BoardQR(Model):
    """One generated QR code. Official-account permanent codes count against 100,000 per account.

    ``account_key`` is the matrix key for official and mini-program codes and ``"url"`` for the
    plain URL QR (no WeChat call). ``content`` is what the printed QR encodes (the landing URL or
    WeChat's ticket URL); mini-program codes keep their image in ``image_path``.
    """

    id = fields.IntField(primary_key=True)
    account_key = fields.CharField(max_length=32)
    kind = fields.CharField(max_length=16)  # url, official, miniprogram
    scene = fields.CharField(max_length=64)
    board_code = fields.CharField(max_length=24, db_index=True)
    ticket = fields.CharField(max_length=256, default="")
    content = fields.CharField(max_length=512, default="")
    image_path = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "boards_qr"
        unique_together = (("account_key", "kind", "scene"),)


class BoardScan(Model):
    """One scan of a board (a landing-page view, a subscribe-by-scan, a SCAN, a mini-program open).

    No personal data: ``visitor`` is a keyed hash of a random first-party cookie (web) or of the
    resident id (WeChat), only used to count unique visitors; ``client`` a keyed hash of the
    client's address (web) or of the resident (WeChat), only used so that one client's repeated
    views count once; no IP address is stored.
    """

    id = fields.IntField(primary_key=True)
    board_code = fields.CharField(max_length=24, db_index=True)
    community_code = fields.CharField(max_length=32)
    township_code = fields.CharField(max_length=32, null=True)
    kind = fields.CharField(max_length=16)  # url, official, miniprogram
    event = fields.CharField(max_length=16)  # view, subscribe, scan, open
    account_key = fields.CharField(max_length=32, default="")
    resident_id = fields.IntField(null=True)
    visitor = fields.CharField(max_length=32, default="")
    client = fields.CharField(max_length=24, default="", db_default="", db_index=True)
    new_follower = fields.BooleanField(default=False)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "boards_scan"
