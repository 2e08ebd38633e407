"""Models of legal-education push (普法推送): articles, their reviews, sends and what WeChat and readers did."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class PushArticle(Model):
    """An article (普法文章): Markdown body, front matter fields, its review status."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=64)
    author = fields.CharField(max_length=32, default="")
    township_code = fields.CharField(max_length=32, null=True, db_index=True)  # None: the district's
    categories: list[str] = fields.JSONField(default=list)  # consult's category codes (labor, ...)
    cover = fields.CharField(max_length=200, default="")  # an image file under content/articles/images
    summary = fields.CharField(max_length=120, default="")
    body = fields.TextField()  # Markdown
    laws: list[dict[str, str]] = fields.JSONField(default=list)  # [{"law": "劳动合同法", "article": "第八十二条"}]
    source = fields.CharField(max_length=200, default="")  # the library file it came from, if any
    status = fields.CharField(max_length=16, default="draft", db_index=True)
    author_id = fields.IntField(null=True)  # the staff member who wrote or adopted it (None: library)
    township_review_by = fields.IntField(null=True)
    district_review_by = fields.IntField(null=True)
    last_comment = fields.TextField(default="")  # the reviewer's comment when returned
    published_at = fields.DatetimeField(null=True)  # listed on the H5 pages from then on
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "push_article"


class PushReview(Model):
    """One step of an article review trail (三审): who, what, from which status to which, comment."""

    id = fields.IntField(primary_key=True)
    article_id = fields.IntField(db_index=True)
    actor_id = fields.IntField(null=True)
    actor_name = fields.CharField(max_length=32, default="")
    action = fields.CharField(max_length=24)  # created, edited, submitted, approved, returned, scheduled, sent, ...
    from_status = fields.CharField(max_length=16, default="")
    to_status = fields.CharField(max_length=16, default="")
    comment = fields.TextField(default="")
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "push_review"


class PushSend(Model):
    """One send of an article to one or several accounts of the matrix, with its targeting."""

    id = fields.IntField(primary_key=True)
    article_id = fields.IntField(db_index=True)
    account_keys: list[str] = fields.JSONField(default=list)
    townships: list[str] = fields.JSONField(default=list)
    communities: list[str] = fields.JSONField(default=list)
    group = fields.CharField(max_length=24, default="")  # a special group / WeChat tag name (elderly, ...)
    scheduled_for = fields.DatetimeField()  # asked for
    run_at = fields.DatetimeField()  # after quiet hours
    status = fields.CharField(max_length=16, default="scheduled")  # scheduled, sending, sent, partly, failed, cancelled
    created_by = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_send"


class PushDelivery(Model):
    """The part of a send one account delivers: how (all, tagged, openids) and what happened."""

    id = fields.IntField(primary_key=True)
    send_id = fields.IntField(db_index=True)
    article_id = fields.IntField(db_index=True)
    account_key = fields.CharField(max_length=32)
    township_code = fields.CharField(max_length=32, null=True)  # the account's unit
    mode = fields.CharField(max_length=12)  # all, tag, tagged, openids
    tag_id = fields.IntField(null=True)
    planned = fields.IntField(default=0)  # followers fawu knows it should reach
    members: list[str] = fields.JSONField(default=list)  # openids to tag (mode tagged)
    thumb_media_id = fields.CharField(max_length=128, default="")
    draft_media_id = fields.CharField(max_length=128, default="")
    status = fields.CharField(max_length=16, default="pending")  # pending, sending, sent, refused, failed
    error = fields.CharField(max_length=300, default="")
    total_count = fields.IntField(null=True)  # from MASSSENDJOBFINISH, summed over the chunks
    sent_count = fields.IntField(null=True)
    error_count = fields.IntField(null=True)
    filter_count = fields.IntField(null=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_delivery"


class PushChunk(Model):
    """One mass-send API call of a delivery, with the clientmsgid that keeps a retry from sending twice."""

    id = fields.IntField(primary_key=True)
    delivery_id = fields.IntField(db_index=True)
    index = fields.IntField(default=0)
    openids: list[str] = fields.JSONField(default=list)  # mode openids only
    clientmsgid = fields.CharField(max_length=64, unique=True)
    msg_id = fields.CharField(max_length=32, default="", db_index=True)
    status = fields.CharField(max_length=16, default="pending")  # pending, submitted, finished, refused
    attempts = fields.IntField(default=0)
    result: dict[str, Any] = fields.JSONField(default=dict)  # the MASSSENDJOBFINISH counts
    submitted_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "push_chunk"


class PushMaterial(Model):
    """An image uploaded to the permanent material of an account (one upload per account and image)."""

    id = fields.IntField(primary_key=True)
    account_key = fields.CharField(max_length=32)
    sha256 = fields.CharField(max_length=64)
    media_id = fields.CharField(max_length=128)
    url = fields.CharField(max_length=300, default="")

    class Meta:
        table = "push_material"
        unique_together = (("account_key", "sha256"),)


class PushRead(Model):
    """A reader of the H5 page of an article: one row per article and client (a hashed random cookie)."""

    id = fields.IntField(primary_key=True)
    article_id = fields.IntField(db_index=True)
    visitor = fields.CharField(max_length=64)
    account_key = fields.CharField(max_length=32, default="")  # the account whose send brought them
    township_code = fields.CharField(max_length=32, null=True)  # the board's or account's township
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "push_read"
        unique_together = (("article_id", "visitor"),)


class PushJobEvent(Model):
    """A MASSSENDJOBFINISH as received, kept so it still matches when it arrives before fawu knows the
    msg_id (the answer to the send was lost or slower than the event)."""

    id = fields.IntField(primary_key=True)
    account_key = fields.CharField(max_length=32)
    msg_id = fields.CharField(max_length=32)
    result: dict[str, Any] = fields.JSONField(default=dict)
    matched = fields.BooleanField(default=False)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "push_job_event"
        unique_together = (("account_key", "msg_id"),)
