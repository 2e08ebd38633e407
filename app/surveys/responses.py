"""Responses (评价): one per invitation, a mis-tap corrected within the window (history kept), never
a default; a bad review opens its rectification case at once; one 追评 after it was put right."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.cases import service as cases_service
from app.config import get_settings
from app.core import metrics
from app.core.actor import SYSTEM
from app.core.clock import utcnow
from app.errors import Conflict, FawuError, InvalidInput
from app.jobs import service as jobs
from app.staff import service as staff_service
from app.surveys import definitions
from app.surveys.definitions import BAD, LEVELS
from app.surveys.invitations import InvitationNotFound
from app.surveys.models import SurveyInvitation, SurveyResponse

log = logging.getLogger("fawu.surveys")


class RatingInvalid(InvalidInput):
    code = "survey_rating_invalid"
    message_zh = "请选择一个评价等级（非常满意、满意、基本满意、不满意、非常不满意）。"


class RatingClosed(Conflict):
    code = "survey_rating_closed"
    message_zh = "该评价邀请已结束，不能再评价。"


class RatingLocked(Conflict):
    code = "survey_rating_locked"
    message_zh = "评价提交已超过更正时限，不能再修改。如有新的意见，请回复“转人工”。"


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def clean_answers(survey: definitions.Survey, service: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Only the questions of this survey and service, each value checked; unanswered ones left out
    (never a default)."""
    out: dict[str, Any] = {}
    for q in survey.questions_for(service):
        v = raw.get(q.id)
        if v is None or v == "" or v == []:
            continue
        if q.kind == "level":
            if str(v).isdigit() and int(v) in LEVELS:
                out[q.id] = int(v)
        elif q.kind == "single":
            if str(v) in q.options:
                out[q.id] = str(v)
        elif q.kind == "multi":
            items = v if isinstance(v, list) else [v]
            picked = [str(i) for i in items if str(i) in q.options]
            if picked:
                out[q.id] = picked
        elif q.kind == "scale":
            if str(v).isdigit() and q.low <= int(v) <= q.high:
                out[q.id] = int(v)
        elif q.kind == "text":
            text = str(v).strip()[:500]
            if text:
                out[q.id] = text
    return out


async def answer(*, invitation_id: int, level: Any, answers: dict[str, Any] | None = None, via: str = "chat",
                 now: datetime | None = None) -> tuple[SurveyResponse, str]:
    """Record the resident's rating. Returns the response and what happened: "new", "same" (a repeated
    tap), "corrected" (a change within the correction window), "answers" (more answers, same level)."""
    if not str(level).strip().isdigit() or int(level) not in LEVELS:
        raise RatingInvalid()
    level = int(level)
    now = now or utcnow()
    inv = await SurveyInvitation.get_or_none(id=invitation_id)
    if inv is None:
        raise InvitationNotFound()
    if inv.status not in ("sent", "queued"):
        raise RatingClosed("该服务不需要评价或邀请已关闭。" if inv.status == "skipped" else RatingClosed.message_zh)
    survey = await definitions.used(inv.survey_key, inv.survey_version)
    cleaned = clean_answers(survey, inv.service, answers or {})
    created = False
    resp: SurveyResponse | None = await SurveyResponse.get_or_none(invitation_id=inv.id)
    if resp is None:
        if _aware(inv.expires_at) < now:
            raise RatingClosed("评价邀请已过期（办结后7天内可评价）。")
        try:
            async with in_transaction():
                resp = await SurveyResponse.create(
                    invitation_id=inv.id, level=level, answers=cleaned, history=[], answered_via=via, first_at=now,
                    at=now, township_code=inv.township_code, community_code=inv.community_code, service=inv.service,
                    provider=inv.provider, channel=inv.channel)
                if level in BAD:
                    await jobs.enqueue("surveys.open_bad_review", {"response_id": resp.id},
                                       dedupe_key=f"surveys.open_bad_review:{resp.id}")
            created = True
        except IntegrityError:  # a concurrent tap made the response: this one is a repeat or a correction
            created = False
    if created:
        assert resp is not None
        result = "new"
    else:
        resp, result = await _change(inv, level, cleaned, via, now)
    if result in ("new", "corrected"):
        await _after_rating(inv, resp, result)
    return resp, result


async def _change(inv: SurveyInvitation, level: int, cleaned: dict[str, Any], via: str,
                  now: datetime) -> tuple[SurveyResponse, str]:
    window = timedelta(minutes=get_settings().survey_correction_minutes)
    async with in_transaction() as conn:
        resp = await SurveyResponse.filter(invitation_id=inv.id).using_db(conn).select_for_update().first()
        assert resp is not None
        merged = {**resp.answers, **cleaned}
        if resp.level == level and merged == resp.answers:
            return resp, "same"
        if now - _aware(resp.first_at) > window:
            raise RatingLocked()
        resp.history = [*resp.history, {"level": resp.level, "answers": resp.answers, "at": resp.at.isoformat(),
                                        "via": resp.answered_via}]
        changed_level = resp.level != level
        resp.level, resp.answers, resp.at, resp.answered_via = level, merged, now, via
        await resp.save(using_db=conn)
        if changed_level and level in BAD:
            await jobs.enqueue("surveys.open_bad_review", {"response_id": resp.id},
                               dedupe_key=f"surveys.open_bad_review:{resp.id}")
    return resp, "corrected" if changed_level else "answers"


async def _after_rating(inv: SurveyInvitation, resp: SurveyResponse, result: str) -> None:
    """The case moves to 评价; a bad review opens its case at once (the job is the crash-safe copy);
    a bad review corrected to satisfied within the window closes the case it opened."""
    if inv.case_id is not None:
        try:
            await cases_service.mark_rated(case_id=inv.case_id, rating=LEVELS[resp.level])
        except FawuError:  # already rated (a correction), or the case moved on: the survey keeps the value
            pass
        await cases_service.record_survey(case_id=inv.case_id, status="answered",
                                          reason=f"居民评价：{LEVELS[resp.level]}" + ("（更正）" if result == "corrected" else ""),
                                          detail={"invitation_id": inv.id, "level": resp.level})
    if resp.level in BAD:
        await open_bad_review(response_id=resp.id)
    elif resp.bad_case_id is not None and result == "corrected":
        try:
            await cases_service.close(actor=SYSTEM, case_id=resp.bad_case_id,
                                      reason=f"居民在{get_settings().survey_correction_minutes}分钟内将评价更正为"
                                             f"“{LEVELS[resp.level]}”，差评撤销")
        except FawuError:
            metrics.caught("surveys.correction", log, "bad-review case %s not closed", resp.bad_case_id,
                           level=logging.INFO)


async def open_bad_review(*, response_id: int) -> int | None:
    """不满意/非常不满意: a rectification case of type bad_review in the unit's inbox, assigned to the lead of
    whoever served (their supervisor) when known; 15 working days by the case calendar. Idempotent."""
    resp = await SurveyResponse.get_or_none(id=response_id)
    if resp is None or resp.level not in BAD:
        return None
    inv = await SurveyInvitation.get(id=resp.invitation_id)
    what = f"{inv.case_number} " if inv.case_number else ""
    comment = str(resp.answers.get("comment", ""))
    summary = (f"差评整改：居民对{what}{inv.service_type == 'case' and '事项' or '服务'}评价“{LEVELS[resp.level]}”"
               f"（经办：{inv.provider or '未记录'}）" + (f"。居民意见：{comment}" if comment else ""))
    case = await cases_service.open_case(
        type="bad_review", resident_id=inv.resident_id, channel=inv.channel if inv.channel in cases_service.CHANNELS
        else "wechat", summary=summary, township_code=inv.township_code, community_code=inv.community_code,
        account_key=inv.account_key, openid=inv.openid, source="bad_review", source_ref=f"survey:{resp.id}")
    await SurveyResponse.filter(id=resp.id, bad_case_id__isnull=True).update(bad_case_id=case.id)
    if case.status == "closed":  # withdrawn by a correction, then corrected back to a bad review
        case = await cases_service.reopen(actor=SYSTEM, case_id=case.id, reason="居民在更正时限内再次评价为差评")
    if case.owner_id is None and inv.provider_id is not None:
        lead = await staff_service.supervisor_of(inv.provider_id)
        if lead is not None:
            try:
                await cases_service.assign(actor=SYSTEM, case_id=case.id, staff_id=lead,
                                           reason="差评整改由经办人所在单位负责人办理")
            except FawuError:  # out of the lead's units, or taken meanwhile: stays in the unit's inbox
                metrics.caught("surveys.assign", log, "bad-review case %s not assigned", case.number,
                               level=logging.INFO)
    return case.id


async def followup(*, invitation_id: int, level: Any, text: str = "", now: datetime | None = None) -> SurveyResponse:
    """追评: once, after the bad review was put right and the resident answered."""
    if not str(level).strip().isdigit() or int(level) not in LEVELS:
        raise RatingInvalid()
    now = now or utcnow()
    resp = await SurveyResponse.get_or_none(invitation_id=invitation_id)
    if resp is None or resp.answered_at is None:
        raise RatingClosed("整改答复后才可以追评。")
    n = await SurveyResponse.filter(id=resp.id, followup_level__isnull=True).update(
        followup_level=int(level), followup_text=text.strip()[:500], followup_at=now)
    if not n:
        raise RatingClosed("您已经追评过了，每条评价只能追评一次。")
    return await SurveyResponse.get(id=resp.id)


def followup_open(resp: SurveyResponse | None) -> bool:
    return resp is not None and resp.answered_at is not None and resp.followup_level is None


async def add_comment(*, invitation_id: int, text: str) -> SurveyResponse | None:
    """The resident's words after a rating in the chat (optional): kept as the free-text answer."""
    resp = await SurveyResponse.get_or_none(invitation_id=invitation_id)
    text = text.strip()[:500]
    if resp is None or not text:
        return resp
    answers = {**resp.answers, "comment": text}
    await SurveyResponse.filter(id=resp.id).update(answers=answers)
    if resp.bad_case_id is not None:
        try:
            await cases_service.add_resident_message(case_id=resp.bad_case_id, text=f"居民补充的差评原因：{text}")
        except FawuError:
            metrics.caught("surveys.comment", log, "comment not added to case %s", resp.bad_case_id, level=logging.INFO)
    return await SurveyResponse.get(id=resp.id)


async def response_of(*, invitation_id: int) -> SurveyResponse | None:
    return await SurveyResponse.get_or_none(invitation_id=invitation_id)


async def open_followup_for(*, account_key: str, openid: str) -> SurveyResponse | None:
    """The resident's put-right bad review that may still take its one 追评 (the newest, answered within
    ``survey_valid_days``)."""
    ids = await SurveyInvitation.filter(account_key=account_key, openid=openid).values_list("id", flat=True)
    if not ids:
        return None
    since = utcnow() - timedelta(days=get_settings().survey_valid_days)  # the answer invites it for a week
    return await SurveyResponse.filter(invitation_id__in=list(ids), answered_at__gte=since,
                                       followup_level__isnull=True).order_by("-answered_at").first()


def in_correction_window(resp: SurveyResponse, now: datetime | None = None) -> bool:
    window = timedelta(minutes=get_settings().survey_correction_minutes)
    return (now or utcnow()) - _aware(resp.first_at) <= window
