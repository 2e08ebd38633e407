"""Putting a bad review right (差评整改): call-back, verification, rectification, the answer to the
resident (through the bad-review case, on its 15-working-day deadline), and 申诉复核 decided by the
district. Every step is audited; the review stays counted until an appeal is upheld."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from app.cases import service as cases_service
from app.core.actor import SYSTEM, Actor, Role
from app.core.clock import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.staff import service as staff_service
from app.surveys.definitions import BAD, LEVELS
from app.surveys.models import SurveyInvitation, SurveyResponse

FINDINGS = {"true": "属实", "partly": "部分属实", "false": "不属实"}
APPEAL_ZH = {"": "", "requested": "申诉复核中", "upheld": "申诉成立（不计入）", "rejected": "申诉不成立"}


class ReviewNotFound(NotFound):
    code = "survey_review_not_found"
    message_zh = "没有找到该评价。"


class ReviewForbidden(Forbidden):
    code = "survey_review_forbidden"
    message_zh = "您没有权限处理该评价。"


class ReviewStepInvalid(InvalidInput):
    code = "survey_review_step_invalid"
    message_zh = "请把整改信息填写完整。"


class ReviewStepOrder(Conflict):
    code = "survey_review_step_order"
    message_zh = "请按顺序办理：回访、核实、整改、答复。"


def scoped(actor: Actor) -> QuerySet[SurveyResponse]:
    """Responses in the actor's units: the one scoping point of the survey pages."""
    if actor.scope.all_units:
        return SurveyResponse.all()
    units = list(actor.scope.unit_codes)
    return SurveyResponse.filter(Q(township_code__in=units) | Q(community_code__in=units))


@dataclass
class Review:
    """A bad review with its invitation and case, for the console."""

    response: SurveyResponse
    invitation: SurveyInvitation
    level_zh: str
    case_number: str = ""
    case_status: str = ""
    deadline_at: Any = None
    overdue: bool = False

    @property
    def step(self) -> str:
        r = self.response
        if r.answered_at is not None:
            return "已答复"
        if r.rectified_at is not None:
            return "已整改，待答复"
        if r.verified_at is not None:
            return "已核实，待整改"
        if r.callback_at is not None:
            return "已回访，待核实"
        return "待回访"


async def _review(resp: SurveyResponse) -> Review:
    inv = await SurveyInvitation.get(id=resp.invitation_id)
    review = Review(resp, inv, LEVELS[resp.level])
    if resp.bad_case_id is not None:
        view = await cases_service.get_case(actor=SYSTEM, case_id=resp.bad_case_id)
        review.case_number, review.case_status = view.case.number, view.labels.get("status", "")
        review.deadline_at = view.case.deadline_at
        review.overdue = view.due == "overdue"
    return review


async def get(*, actor: Actor, response_id: int) -> Review:
    resp = await scoped(actor).filter(id=response_id).first()
    if resp is None:
        raise ReviewNotFound()
    return await _review(resp)


async def view(*, actor: Actor, response_id: int, ip: str = "") -> Review:
    """``get`` for the review page, which shows what the resident wrote: the view is audit-logged
    (``resident.listed``, or ``survey_response.listed`` for an anonymous rating), like a case page."""
    review = await get(actor=actor, response_id=response_id)
    if await cases_service.protected_residents(resident_ids=[review.invitation.resident_id], above=actor.clearance):
        # 安全标记: the resident has a case labelled above this reader's clearance: the rating stays, their words go
        resp = review.response
        resp.answers = {k: ("（受保护居民，内容不显示）" if k == "comment" else v) for k, v in resp.answers.items()}
        resp.followup_text = "（受保护居民，内容不显示）" if resp.followup_text else ""
        resp.history = []
    who: tuple[str, int | str] = (("resident", review.invitation.resident_id) if review.invitation.resident_id
                                  else ("survey_response", review.response.id))
    await staff_service.audit_shown(actor=actor, page="survey_review", shown=[who], ip=ip)
    return review


async def list_bad(*, actor: Actor, state: str = "open") -> list[Review]:
    """Bad reviews in scope: open (not yet answered), overdue, put right (answered), or all."""
    qs = scoped(actor).filter(level__in=list(BAD))
    if state in ("open", "overdue"):
        qs = qs.filter(answered_at__isnull=True)
    elif state == "done":
        qs = qs.filter(answered_at__isnull=False)
    out = [await _review(r) for r in await qs.order_by("-first_at").limit(500)]
    return [r for r in out if r.overdue] if state == "overdue" else out


def _writer(actor: Actor) -> None:
    if actor.read_only:
        raise ReviewForbidden("督导账号只能查看。")


def _text(text: str | None, message_zh: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ReviewStepInvalid(message_zh)
    return text[:2000]


async def _step(actor: Actor, response_id: int, action: str, fields: dict[str, Any], detail: dict[str, Any]) -> Review:
    review = await get(actor=actor, response_id=response_id)
    if review.response.level not in BAD:
        raise ReviewStepOrder("只有差评需要整改。")
    await SurveyResponse.filter(id=review.response.id).update(**fields)
    await staff_service.audit(actor=actor, action=f"surveys.{action}", target_type="survey_response",
                              target_id=review.response.id, detail=detail)
    return await get(actor=actor, response_id=response_id)


async def record_callback(*, actor: Actor, response_id: int, note: str, reached: bool = True) -> Review:
    """回访: the named resident was called back (reached or not), with what they said."""
    _writer(actor)
    note = _text(note, "请记录回访情况。")
    prefix = "" if reached else "（未接通）"
    return await _step(actor, response_id, "callback", {"callback_at": utcnow(), "callback_note": prefix + note},
                       {"reached": reached})


async def verify(*, actor: Actor, response_id: int, finding: str, note: str) -> Review:
    """核实: whether the complaint is true, partly true or not."""
    _writer(actor)
    if finding not in FINDINGS:
        raise ReviewStepInvalid("请选择核实结论：属实、部分属实或不属实。")
    note = _text(note, "请填写核实情况。")
    review = await get(actor=actor, response_id=response_id)
    if review.response.callback_at is None:
        raise ReviewStepOrder("请先记录对居民的回访。")
    return await _step(actor, response_id, "verify", {"verified_at": utcnow(), "finding": finding,
                                                     "verify_note": note}, {"finding": finding})


async def rectify(*, actor: Actor, response_id: int, measures: str) -> Review:
    """整改: what was done about it."""
    _writer(actor)
    measures = _text(measures, "请填写整改措施。")
    review = await get(actor=actor, response_id=response_id)
    if review.response.verified_at is None:
        raise ReviewStepOrder("请先填写核实情况。")
    return await _step(actor, response_id, "rectify", {"rectified_at": utcnow(), "rectify_note": measures}, {})


async def answer_resident(*, actor: Actor, response_id: int, text: str) -> Review:
    """答复: the answer goes to the resident as the bad-review case's result (WeChat, or told by phone);
    afterwards the resident may add one 追评."""
    _writer(actor)
    text = _text(text, "请填写给居民的答复。")
    review = await get(actor=actor, response_id=response_id)
    if review.response.rectified_at is None:
        raise ReviewStepOrder("请先填写整改措施。")
    if review.response.answered_at is not None:
        raise ReviewStepOrder("已经答复过居民。")
    if review.response.bad_case_id is not None:
        case_id = review.response.bad_case_id
        view = await cases_service.get_case(actor=actor, case_id=case_id)
        if view.case.owner_id is None:
            await cases_service.take(actor=actor, case_id=case_id)
        told = None if (view.case.account_key and view.case.openid) else "phone"
        follow = "\n如您对整改结果仍有意见，可回复数字 1–5 追评一次（1 非常满意 … 5 非常不满意）。" if told is None else ""
        await cases_service.give_result(actor=actor, case_id=case_id, text=text + follow, told=told)
    return await _step(actor, response_id, "answer", {"answered_at": utcnow(), "answer_text": text}, {})


async def request_appeal(*, actor: Actor, response_id: int, reason: str) -> Review:
    """申诉复核: the unit thinks the review mistaken or malicious; it stays counted until the district decides."""
    _writer(actor)
    reason = _text(reason, "请写明申诉理由。")
    review = await get(actor=actor, response_id=response_id)
    if review.response.appeal:
        raise ReviewStepOrder("该评价已申诉过。")
    return await _step(actor, response_id, "appeal", {"appeal": "requested", "appeal_reason": reason}, {})


async def decide_appeal(*, actor: Actor, response_id: int, upheld: bool, note: str) -> Review:
    """The district decides an appeal (audited); an upheld appeal takes the review out of the figures."""
    _writer(actor)
    if actor.role != Role.DISTRICT_ADMIN or not actor.is_district:
        raise ReviewForbidden("申诉复核由区级管理员决定。")
    note = _text(note, "请写明复核意见。")
    review = await get(actor=actor, response_id=response_id)
    if review.response.appeal != "requested":
        raise ReviewStepOrder("该评价没有待复核的申诉。")
    return await _step(actor, response_id, "appeal_decision",
                       {"appeal": "upheld" if upheld else "rejected", "appeal_decision": note,
                        "appeal_decided_by": actor.name, "counted": not upheld}, {"upheld": upheld})
