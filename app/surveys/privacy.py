"""The survey rows' personal data: a resident's erasure (删除权) keeps ratings, anonymous."""

from __future__ import annotations

from tortoise.expressions import Q

from app.surveys.models import SurveyContact, SurveyInvitation, SurveyResponse


async def erase(*, resident_id: int, accounts: list[tuple[str, str]]) -> int:
    """Remove the WeChat identity and the resident's own words from their invitations and responses."""
    cond = Q(resident_id=resident_id)
    for account_key, openid in accounts:
        cond |= Q(account_key=account_key, openid=openid)
    ids = await SurveyInvitation.filter(cond).values_list("id", flat=True)
    if not ids:
        return 0
    for resp in await SurveyResponse.filter(invitation_id__in=list(ids)):
        answers = {k: v for k, v in resp.answers.items() if k != "comment"}
        await SurveyResponse.filter(id=resp.id).update(answers=answers, followup_text="", history=[])
    n = await SurveyInvitation.filter(id__in=list(ids)).update(openid=None, resident_id=None)
    keys = [f"r:{resident_id}"] + [f"w:{a}:{o}" for a, o in accounts]
    await SurveyContact.filter(contact_key__in=keys).delete()
    return n
