"""laws models: the statute corpus (one Law per statute, its Articles)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Law(Model):
    """A statute, regulation or judicial interpretation, by its short name (no 中华人民共和国)."""

    id = fields.IntField(primary_key=True)
    short_name = fields.CharField(max_length=120, unique=True)
    name = fields.CharField(max_length=200)
    date = fields.DateField(null=True)  # the latest date of its history
    source = fields.CharField(max_length=300, default="")
    article_count = fields.IntField(default=0)
    imported_at = fields.DatetimeField()

    articles: fields.ReverseRelation[Article]

    class Meta:
        table = "laws_law"


class Article(Model):
    """One article (第X条), with the chapter it sits in."""

    id = fields.IntField(primary_key=True)
    law: fields.ForeignKeyRelation[Law] = fields.ForeignKeyField(
        "fawu.Law", related_name="articles", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    sub = fields.IntField(default=0)  # 之一 → 1
    label = fields.CharField(max_length=32)  # 第八十二条
    part = fields.CharField(max_length=100, default="")  # 民法典 part (婚姻家庭编) or ""
    chapter = fields.CharField(max_length=200, default="")
    text = fields.TextField()

    class Meta:
        table = "laws_article"
        unique_together = (("law", "number", "sub"),)
