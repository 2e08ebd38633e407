"""Canned replies per unit (常用回复): ready-made texts a unit's staff insert into the reply box."""

from __future__ import annotations

from app.cases.base import CaseForbidden, InvalidCaseInput, _writer, required
from app.cases.models import CannedReply
from app.core.actor import Actor
from app.errors import NotFound


async def list_canned(*, actor: Actor) -> list[CannedReply]:
    """The replies of the actor's units (a district actor sees every unit's)."""
    qs = CannedReply.all() if actor.scope.all_units else CannedReply.filter(unit_code__in=list(actor.unit_codes))
    return await qs.order_by("unit_code", "title")


async def add_canned(*, actor: Actor, title: str, text: str, unit_code: str | None = None) -> CannedReply:
    """A new canned reply for one of the actor's own units (their first unit by default)."""
    _writer(actor)
    title = required(title, "请填写常用回复的标题。")[:40]
    text = required(text, "请填写常用回复的内容。")[:2000]
    unit = unit_code or (actor.unit_codes[0] if actor.unit_codes else None)
    if unit is None:
        raise InvalidCaseInput("请选择所属单位。")
    if unit not in actor.unit_codes and not actor.scope.all_units:
        raise CaseForbidden("只能为本单位添加常用回复。")
    return await CannedReply.create(unit_code=unit, title=title, text=text, created_by=actor.id)


async def delete_canned(*, actor: Actor, canned_id: int) -> int:
    _writer(actor)
    qs = CannedReply.filter(id=canned_id)
    if not actor.scope.all_units:
        qs = qs.filter(unit_code__in=list(actor.unit_codes))
    n = await qs.delete()
    if not n:
        raise NotFound("没有找到该常用回复。")
    return n
