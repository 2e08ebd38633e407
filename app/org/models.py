"""Org tree models: units (区/镇街/村居), legal advisors (村居法律顾问), boards (公示牌), service points."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class UnitKind(StrEnum):
    DISTRICT = "district"  # 区
    TOWNSHIP = "township"  # 镇/街道
    COMMUNITY = "community"  # 社区/村


UNIT_KIND_ZH = {UnitKind.DISTRICT: "区", UnitKind.TOWNSHIP: "镇/街道", UnitKind.COMMUNITY: "社区/村"}


class OrgUnit(Model):
    """One unit of the organisation tree of the district."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    kind = fields.CharEnumField(UnitKind, max_length=16)
    parent: fields.ForeignKeyNullableRelation[OrgUnit] = fields.ForeignKeyField(
        "fawu.OrgUnit", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=64)
    address = fields.CharField(max_length=200, default="")
    phone = fields.CharField(max_length=32, default="")
    contact_name = fields.CharField(max_length=32, default="")
    opening_hours = fields.CharField(max_length=100, default="")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "org_unit"


class Advisor(Model):
    """The legal advisor of a community (村居法律顾问): a lawyer or grassroots legal worker."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    community: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "fawu.OrgUnit", related_name="advisors", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=32)
    firm = fields.CharField(max_length=100, default="")
    phone = fields.CharField(max_length=32)
    duty_hours = fields.CharField(max_length=100, default="")
    active = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "org_advisor"


class Board(Model):
    """A notice board (公示牌) in a building or village office, carrying a QR code."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=24, unique=True)
    community: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "fawu.OrgUnit", related_name="boards", on_delete=fields.RESTRICT
    )
    place = fields.CharField(max_length=100)
    place_kind = fields.CharField(max_length=16, default="building")  # building, village_office, market, other
    qr_kind = fields.CharField(max_length=16, null=True)  # None: the district's setting
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "org_board"


class ServicePoint(Model):
    """A physical desk: district centre (中心), township station (工作站) or village workroom (工作室)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    unit: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "fawu.OrgUnit", related_name="service_points", on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=16)  # centre, station, workroom
    name = fields.CharField(max_length=100)
    address = fields.CharField(max_length=200)
    phone = fields.CharField(max_length=32, default="")
    opening_hours = fields.CharField(max_length=100, default="")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "org_service_point"
