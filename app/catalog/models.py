"""catalog models: services of the catalogue, providers, practice records, typical cases."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class CatalogService(Model):
    """One basic public legal service (基本项目) with its commitment, cost, materials and legal basis."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=64)
    group = fields.CharField(max_length=32, default="")
    position = fields.IntField(default=0)  # order in the catalogue file
    time_limit = fields.CharField(max_length=8, default="")  # "7d", "15wd", "1m", "24h" or ""
    data: dict[str, Any] = fields.JSONField(default=dict)  # summary, who, where, commitment, materials, basis, ...
    refs: list[str] = fields.JSONField(default=list)  # codes other domains use for it (case types, KB next steps)
    search_text = fields.TextField(default="")
    active = fields.BooleanField(default=True)
    version = fields.IntField(default=1, db_default=1)  # raised by every change of what a resident reads (CatalogServiceVersion)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "catalog_service"


class CatalogServiceVersion(Model):
    """One version of a service as it was published, what cases, bookings and surveys opened under it
    keep referring to (code@vN). A later change makes a new version, never rewrites this one."""

    id = fields.IntField(primary_key=True)
    service_code = fields.CharField(max_length=40, db_index=True)
    version = fields.IntField()
    name = fields.CharField(max_length=64)
    group = fields.CharField(max_length=32, default="")
    time_limit = fields.CharField(max_length=8, default="")
    data: dict[str, Any] = fields.JSONField(default=dict)
    refs: list[str] = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    changed_by = fields.CharField(max_length=32, default="")  # a staff member's name, or 导入
    reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "catalog_service_version"
        unique_together = (("service_code", "version"),)


class Provider(Model):
    """A legal service provider of the directory: a unit (firm, notary office, committee) or a person."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    kind = fields.CharField(max_length=24, db_index=True)
    name = fields.CharField(max_length=64)
    parent_code = fields.CharField(max_length=32, default="")  # the firm, office or committee of a person
    townships: list[str] = fields.JSONField(default=list)  # org unit codes served
    specialities: list[str] = fields.JSONField(default=list)  # Chinese labels of SPECIALITIES
    duty_hours = fields.CharField(max_length=100, default="")
    dialects: list[str] = fields.JSONField(default=list)
    phone = fields.CharField(max_length=20, default="")  # a work number, published on purpose
    address = fields.CharField(max_length=200, default="")
    licence_no = fields.CharField(max_length=32, default="")
    advisor_code = fields.CharField(max_length=32, default="", db_index=True)  # org's 村居法律顾问 code
    intro = fields.CharField(max_length=300, default="")
    search_text = fields.TextField(default="")
    active = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "catalog_provider"


class PracticeRecord(Model):
    """A sanction or bad-practice record (不良执业信息) of a provider, shown while in its display period."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    provider_code = fields.CharField(max_length=32, db_index=True)
    type = fields.CharField(max_length=24)
    authority = fields.CharField(max_length=64)  # who decided (司法局, 律师协会)
    decision_date = fields.DateField()
    display_until = fields.DateField()  # shown through this day (local date), gone the next
    summary = fields.TextField()
    source_ref = fields.CharField(max_length=64, default="")  # the decision's document number
    revoked_at = fields.DatetimeField(null=True)  # the decision was revoked: withdrawn at once
    revoked_reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "catalog_practice_record"


class CaseStudy(Model):
    """A typical case (典型案例) of the case library: anonymised, reviewed before it is published."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=64)
    category = fields.CharField(max_length=24, db_index=True)  # the consultation's category code
    tags: list[str] = fields.JSONField(default=list)
    laws: list[dict[str, str]] = fields.JSONField(default=list)  # [{"law": ..., "article": ...}]
    author = fields.CharField(max_length=32, default="")
    pseudonyms: list[str] = fields.JSONField(default=list)  # names in the text that are declared pseudonyms
    facts = fields.TextField()
    dispute = fields.TextField()
    resolution = fields.TextField()
    law_text = fields.TextField()
    lesson = fields.TextField()
    status = fields.CharField(max_length=16, default="draft", db_index=True)  # draft, pending, published
    source = fields.CharField(max_length=200, default="")  # the library file it came from, if any
    author_id = fields.IntField(null=True)
    reviewer_id = fields.IntField(null=True)
    review_comment = fields.TextField(default="")
    published_at = fields.DatetimeField(null=True)
    search_text = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "catalog_case_study"
