"""A resident's own invitations (the mini-program's 服务评价 page): which finished services they may
still rate, the survey's levels and questions for each, and their rating, always scoped to the
resident (an invitation of someone else answers "not found", as an unknown one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from app.core.clock import format_local, utcnow
from app.surveys import definitions, responses
from app.surveys.invitations import TYPE_ZH, InvitationNotFound
from app.surveys.models import SurveyInvitation, SurveyResponse

OPEN = ("sent", "queued")  # an invitation that reached the resident, or waits for them: may be rated


def _who(resident_id: int, openids: list[str]) -> Q:
    cond = Q(resident_id=resident_id)
    if openids:
        cond |= Q(openid__in=openids)
    return cond


async def _item(inv: SurveyInvitation, resp: SurveyResponse | None, now: datetime) -> dict[str, Any]:
    return {"id": inv.id, "type": inv.service_type, "type_zh": TYPE_ZH.get(inv.service_type, "事项"),
            "case_number": inv.case_number, "created_at": format_local(inv.created_at),
            "expires_at": format_local(inv.expires_at),
            "rated": resp is not None, "level": resp.level if resp else None,
            "level_zh": definitions.LEVELS.get(resp.level, "") if resp else "",
            "can_change": resp is None or responses.in_correction_window(resp, now)}


async def for_resident(*, resident_id: int, openids: list[str] | None = None,
                       now: datetime | None = None) -> list[dict[str, Any]]:
    """The resident's invitations that may be rated now or were rated (newest first, at most 30);
    ``openids`` adds invitations made to their WeChat identities before a unionid joined them."""
    now = now or utcnow()
    rows = await SurveyInvitation.filter(_who(resident_id, openids or [])).filter(
        status__in=OPEN).order_by("-created_at", "-id").limit(30)
    got = {r.invitation_id: r for r in await SurveyResponse.filter(invitation_id__in=[i.id for i in rows])}
    out = []
    for inv in rows:
        resp = got.get(inv.id)
        if resp is None and inv.expires_at <= now:
            continue  # no longer open and never answered: nothing to show
        out.append(await _item(inv, resp, now))
    return out


async def of_resident(*, resident_id: int, invitation_id: int, openids: list[str] | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """One invitation of the resident with its survey (levels, plain words, this service's questions)
    and the answers given so far; InvitationNotFound for another resident's or an unknown one."""
    now = now or utcnow()
    inv = await SurveyInvitation.filter(_who(resident_id, openids or [])).filter(id=invitation_id).first()
    if inv is None:
        raise InvitationNotFound()
    survey = await definitions.used(inv.survey_key, inv.survey_version)
    resp = await SurveyResponse.get_or_none(invitation_id=inv.id)
    out = await _item(inv, resp, now)
    out.update(
        open=inv.status in OPEN and (resp is not None or inv.expires_at > now),
        title=survey.title, intro=survey.intro,
        levels=[{"value": v, "label": label, "plain": survey.plain[v]} for v, label in survey.levels.items()],
        questions=[{"id": q.id, "kind": q.kind, "text": q.text, "options": list(q.options), "min": q.low,
                    "max": q.high} for q in survey.questions_for(inv.service)],
        answers=dict(resp.answers) if resp else {})
    return out
