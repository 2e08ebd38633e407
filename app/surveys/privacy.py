"""The survey rows' personal data: a resident's erasure (删除权) keeps ratings, anonymous; their access
request (查阅、复制) lists their invitations and what they answered."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from app.core.clock import format_local
from app.surveys.models import SurveyContact, SurveyInvitation, SurveyResponse


def _whose(resident_id: int, accounts: list[tuple[str, str]]) -> Q:
    cond = Q(resident_id=resident_id)
    for account_key, openid in accounts:
        cond |= Q(account_key=account_key, openid=openid)
    return cond


async def export(*, resident_id: int, accounts: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Each invitation the resident got and their answer (level, answers, follow-up, the district's reply)."""
    out: list[dict[str, Any]] = []
    for inv in await SurveyInvitation.filter(_whose(resident_id, accounts)).order_by("id"):
        row: dict[str, Any] = {"service": inv.service_key, "status": inv.status, "channel": inv.channel,
                               "created_at": format_local(inv.created_at)}
        resp = await SurveyResponse.get_or_none(invitation_id=inv.id)
        if resp is not None:
            row |= {"level": resp.level, "answers": resp.answers, "answered_at": format_local(resp.at),
                    "followup_level": resp.followup_level, "followup_text": resp.followup_text,
                    "answer_from_district": resp.answer_text}
        out.append(row)
    return out


async def erase(*, resident_id: int, accounts: list[tuple[str, str]]) -> int:
    """Remove the WeChat identity and the resident's own words from their invitations and responses."""
    ids = await SurveyInvitation.filter(_whose(resident_id, accounts)).values_list("id", flat=True)
    if not ids:
        return 0
    for resp in await SurveyResponse.filter(invitation_id__in=list(ids)):
        answers = {k: v for k, v in resp.answers.items() if k != "comment"}
        await SurveyResponse.filter(id=resp.id).update(answers=answers, followup_text="", history=[])
    n = await SurveyInvitation.filter(id__in=list(ids)).update(openid=None, resident_id=None)
    keys = [f"r:{resident_id}"] + [f"w:{a}:{o}" for a, o in accounts]
    await SurveyContact.filter(contact_key__in=keys).delete()
    return n
