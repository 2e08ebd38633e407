"""Invitations (评价邀请): one per service instance (a unique key), restraint, delivery through WeChat.

Every invitation ends ``sent``, ``queued`` (waits for the resident's next interaction) or ``skipped``,
with a reason; a case's invitation is shown on the case (``cases_service.record_survey``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from app.cases import service as cases_service
from app.config import get_settings
from app.core import events, metrics, ratelimit
from app.core.actor import SYSTEM
from app.core.clock import format_local, utcnow
from app.core.scope import OrgScope
from app.errors import Conflict, Forbidden, NotFound
from app.surveys import definitions
from app.surveys.models import SurveyContact, SurveyInvitation, SurveyResponse
from app.wechat import delivery, windows
from app.wechat import service as wechat_service
from app.wechat.client import get_client
from app.wechat.errors import WeChatAPIError
from app.wechat.router import DialogueState

log = logging.getLogger("fawu.surveys")

ENDED = ("sent", "queued", "skipped")
STATE_RATE = "surveys:rate"  # the resident's dialogue right after an invitation: a bare digit rates
TYPE_ZH = {"case": "事项", "consultation": "法律咨询", "appointment": "预约服务"}


class InvitationNotFound(NotFound):
    code = "survey_invitation_not_found"
    message_zh = "没有找到该评价邀请。"


class RatedToday(Conflict):
    """One WeChat identity takes at most one receipt code per ``survey_resident_gap_hours`` (no stuffing)."""

    code = "survey_rated_today"
    message_zh = "同一微信每24小时只能用评价码评价一次。"


class TokenRefused(Forbidden):
    code = "survey_token_refused"
    message_zh = "评价链接无效或已过期。请回复公众号或联系工作人员获取新的评价链接。"


@dataclass
class ServiceRef:
    """One finished service instance to be rated (ids and plain values)."""

    service_key: str
    service_type: str  # case, consultation, appointment
    service: str = "other"
    case_id: int | None = None
    case_number: str = ""
    resident_id: int | None = None
    account_key: str | None = None
    openid: str | None = None
    township_code: str | None = None
    community_code: str | None = None
    provider: str = ""
    provider_id: int | None = None
    channel: str = "wechat"
    no_survey_reason: str = ""  # a reason not to invite (recorded as skipped)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def contact_key(*, resident_id: int | None, account_key: str | None, openid: str | None) -> str | None:
    if account_key and openid:
        return f"w:{account_key}:{openid}"
    if resident_id:
        return f"r:{resident_id}"
    return None


async def _contact(key: str) -> SurveyContact:
    row = await SurveyContact.get_or_none(contact_key=key)
    if row is None:
        try:
            row = await SurveyContact.create(contact_key=key)
        except IntegrityError:  # created concurrently
            row = await SurveyContact.get(contact_key=key)
    return row


# ---- the signed link ---------------------------------------------------------------------------

def _who(inv: SurveyInvitation) -> str:
    return hashlib.sha256(f"{inv.account_key}:{inv.openid}:{inv.resident_id}".encode()).hexdigest()[:16]


def _sign(message: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, f"surveys:{message}".encode(), hashlib.sha256).hexdigest()[:32]


def make_token(inv: SurveyInvitation, *, now: datetime | None = None) -> str:
    """A link token bound to the invitation and its resident, valid ``survey_link_days``."""
    exp = int(((now or utcnow()) + timedelta(days=get_settings().survey_link_days)).timestamp())
    body = f"{inv.id}.{exp}.{_who(inv)}"
    return f"{body}.{_sign(body)}"


async def invitation_for_token(token: str, *, now: datetime | None = None) -> SurveyInvitation:
    """The invitation a token was made for; TokenRefused when forged, expired or not this resident's."""
    parts = (token or "").split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        raise TokenRefused()
    body = ".".join(parts[:3])
    if not hmac.compare_digest(_sign(body), parts[3]):
        raise TokenRefused()
    if int(parts[1]) < int((now or utcnow()).timestamp()):
        raise TokenRefused("评价链接已过期。请回复公众号或联系工作人员获取新的评价链接。")
    inv = await SurveyInvitation.get_or_none(id=int(parts[0]))
    if inv is None or not hmac.compare_digest(_who(inv), parts[2]):
        raise TokenRefused()
    return inv


def link(inv: SurveyInvitation) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/survey/t/{make_token(inv)}"


# ---- the invitation's text ---------------------------------------------------------------------

def invitation_text(inv: SurveyInvitation, survey: definitions.Survey) -> str:
    """The chat invitation: a numbered plain-language scale, each line a one-tap quick reply."""
    what = f"您的{TYPE_ZH.get(inv.service_type, '事项')}" + (f"（{inv.case_number}）" if inv.case_number else "")
    lines = [f"{what}已办理完毕。{survey.intro}"]
    for value, label in survey.levels.items():
        tap = f"{value} {label}"
        lines.append(f'<a href="weixin://bizmsgmenu?msgmenucontent={tap}&msgmenuid=sv{inv.id}_{value}">{tap}</a>'
                     f"（{survey.plain[value]}）")
    lines.append("点一下或回复数字即可；10分钟内可以更正。")
    lines.append(f'<a href="{link(inv)}">填写完整问卷</a>；不想再收到评价邀请请回复“不再评价”。')
    return "\n".join(lines)


# ---- making and delivering ---------------------------------------------------------------------

async def _new_receipt_code() -> str:
    while True:
        code = f"{secrets.randbelow(10**8):08d}"
        if not await SurveyInvitation.exists(receipt_code=code):
            return code


async def create(ref: ServiceRef, *, now: datetime | None = None) -> tuple[SurveyInvitation, bool]:
    """The invitation of ``ref.service_key`` (created once: the database's unique key decides) and
    whether this call created it."""
    existing = await SurveyInvitation.get_or_none(service_key=ref.service_key)
    if existing is not None:
        return existing, False
    survey = await definitions.pin(definitions.current())
    now = now or utcnow()
    fields = asdict(ref)
    fields.pop("no_survey_reason")
    try:
        inv = await SurveyInvitation.create(
            **fields, survey_key=survey.key, survey_version=survey.version, status="pending",
            receipt_code=await _new_receipt_code(), created_at=now,
            expires_at=now + timedelta(days=get_settings().survey_valid_days))
    except IntegrityError:  # another event for the same service won the unique key
        return await SurveyInvitation.get(service_key=ref.service_key), False
    return inv, True


async def _end(inv: SurveyInvitation, status: str, reason: str, *, via: str = "", sent: bool = False) -> None:
    inv.status, inv.reason, inv.via = status, reason[:200], via
    if sent:
        inv.sent_at = utcnow()
    await SurveyInvitation.filter(id=inv.id).update(status=inv.status, reason=inv.reason, via=via,
                                                     sent_at=inv.sent_at)
    if inv.case_id is not None:
        await cases_service.record_survey(case_id=inv.case_id, status=status, reason=reason,
                                          detail={"invitation_id": inv.id, "via": via})
    log.info("survey invitation %s %s (%s)", inv.id, status, reason)


async def _claim(inv: SurveyInvitation) -> bool:
    """Only one process decides and sends (pending → sending)."""
    return bool(await SurveyInvitation.filter(id=inv.id, status="pending").update(status="sending"))


async def _restraint(inv: SurveyInvitation, ref_reason: str = "") -> str | None:
    """Why not to invite (opt-out, closed without survey, once per resident per 24 h), else None.
    The 24 h slot is taken by a conditional update: concurrent invitations of one resident get one slot."""
    if ref_reason:
        return ref_reason
    key = contact_key(resident_id=inv.resident_id, account_key=inv.account_key, openid=inv.openid)
    if key is None:
        return None
    contact = await _contact(key)
    if contact.opted_out_at is not None:
        return "居民已选择不再接收评价邀请"
    if not (inv.account_key and inv.openid):
        return None  # a receipt code: the resident chooses to rate, no message is sent
    gap = get_settings().survey_resident_gap_hours
    now = utcnow()
    took = await SurveyContact.filter(id=contact.id, last_invited_at__isnull=True).update(last_invited_at=now)
    if not took:
        took = await SurveyContact.filter(id=contact.id, last_invited_at__lte=now - timedelta(hours=gap)).update(
            last_invited_at=now)
    if not took:
        return f"该居民{gap}小时内已收到过评价邀请（每人{gap}小时内最多一次）"
    return None


async def _try_subscribe(inv: SurveyInvitation, survey: definitions.Survey) -> str | None:
    """A subscription message when the resident allowed it: None when sent, else why not."""
    key = contact_key(resident_id=inv.resident_id, account_key=inv.account_key, openid=inv.openid)
    contact = await SurveyContact.get_or_none(contact_key=key) if key else None
    if contact is None or not contact.subscribe_consent:
        return "居民未订阅评价提醒"
    assert inv.account_key and inv.openid
    data = {"thing1": (f"{TYPE_ZH.get(inv.service_type, '事项')}{inv.case_number}")[:20],
            "phrase2": "已办结", "thing3": "请为本次服务评价"}
    try:
        await get_client().send_subscribe_bizsend(inv.account_key, inv.openid, get_settings().survey_template_id,
                                                  data, page=link(inv))
    except WeChatAPIError as exc:
        metrics.caught("surveys.subscribe", log, "subscription message refused [%s]", exc.errcode,
                       level=logging.INFO)
        if contact.subscribe_consent == "once" and exc.errcode == 43101:
            await SurveyContact.filter(id=contact.id).update(subscribe_consent="")
        return f"订阅消息未能发送（微信拒收 {exc.errcode}）"
    if contact.subscribe_consent == "once":  # a one-time agreement is used up
        await SurveyContact.filter(id=contact.id).update(subscribe_consent="")
    return None


async def _via_miniprogram(inv: SurveyInvitation) -> bool:
    """A resident known only through the mini-program: the subscribe message they allowed there
    (``surveys.invitation_due``, answered by mp_api: "sent" or why not), opening the rating page."""
    what = TYPE_ZH.get(inv.service_type, "事项")
    data = {"thing1": f"您的{what}已办理完毕"[:20], "character_string2": (inv.case_number or inv.receipt_code)[:32],
            "thing3": "请为本次服务评价"}
    answers = await events.publish("surveys.invitation_due", resident_id=inv.resident_id, data=data,
                                   page=f"pages/surveys/index?id={inv.id}")
    return "sent" in answers


async def deliver(inv: SurveyInvitation, *, ref_reason: str = "") -> SurveyInvitation:
    """Decide and send a pending invitation: skipped with a reason, a receipt code, a customer-service
    message inside the window, a subscription message if allowed, else queued for the next interaction."""
    if not await _claim(inv):
        return await SurveyInvitation.get(id=inv.id)
    try:
        why_not = await _restraint(inv, ref_reason)
        if why_not:
            await _end(inv, "skipped", why_not)
            return inv
        if not (inv.account_key and inv.openid) and inv.resident_id and await _via_miniprogram(inv):
            await _end(inv, "sent", "已通过小程序订阅消息发送评价邀请", via="mp", sent=True)
            return inv
        if not (inv.account_key and inv.openid):
            await _end(inv, "sent", f"居民未绑定微信：评价码 {inv.receipt_code}（打印在回执上，扫公示牌二维码进入评价页输入）",
                       via="receipt", sent=True)
            return inv
        survey = await definitions.used(inv.survey_key, inv.survey_version)
        window_open = await windows.can_send_custom(account_key=inv.account_key, openid=inv.openid)
        sub_reason = ""
        if not window_open:
            refused = await _try_subscribe(inv, survey)
            if refused is None:
                await _end(inv, "sent", "已通过订阅消息发送评价邀请", via="subscribe", sent=True)
                return inv
            sub_reason = refused
        outcome = await delivery.deliver_text(
            account_key=inv.account_key, openid=inv.openid, text=invitation_text(inv, survey), role="bot",
            on_delivered="surveys.delivered", on_delivered_payload={"invitation_id": inv.id}, ref=f"survey:{inv.id}")
        if outcome == "sent":
            await _end(inv, "sent", "已通过客服消息发送评价邀请", via="custom", sent=True)
            state = DialogueState()
            state.set(STATE_RATE, {}, ttl_minutes=60)  # a bare "1" now rates (ahead of an older dialogue)
            await wechat_service.save_dialogue(account_key=inv.account_key, openid=inv.openid, state=state)
        else:
            await _end(inv, "queued", f"超出48小时客服消息窗口（{sub_reason}），将在居民下次互动时送达", via="next")
    except Exception:
        await SurveyInvitation.filter(id=inv.id, status="sending").update(status="pending")
        raise
    return inv


async def invite(ref: ServiceRef) -> SurveyInvitation:
    """Invite once for ``ref.service_key``: a repeated or concurrent call finds the one invitation."""
    inv, created = await create(ref)
    if not created:
        return inv
    return await deliver(inv, ref_reason=ref.no_survey_reason)


async def invite_in_reply(ref: ServiceRef) -> str | None:
    """Invite inside the passive reply (the resident just wrote: 'solved'): the invitation's text, or
    None when it was made before or is skipped (opt-out, 24 h)."""
    inv, created = await create(ref)
    if not created or not await _claim(inv):
        return None
    why_not = await _restraint(inv, ref.no_survey_reason)
    if why_not:
        await _end(inv, "skipped", why_not)
        return None
    await _end(inv, "sent", "已在回复中发送评价邀请", via="passive", sent=True)
    return invitation_text(inv, await definitions.used(inv.survey_key, inv.survey_version))


async def invite_case(*, case_id: int) -> SurveyInvitation | None:
    """A case's result reached the resident (反馈): its invitation. A bad-review case is not itself rated
    (the resident may add one 追评 to the original review)."""
    view = await cases_service.get_case(actor=SYSTEM, case_id=case_id)
    case = view.case
    reason = ""
    if case.type == "bad_review":
        reason = "差评整改案件不另行评价（居民可对原评价追评一次）"
    ref = ServiceRef(service_key=f"case:{case.id}", service_type="case", service=case.type, case_id=case.id,
                     case_number=case.number, resident_id=case.resident_id, account_key=case.account_key,
                     openid=case.openid, township_code=case.township_code, community_code=case.community_code,
                     provider=case.owner_name, provider_id=case.owner_id, channel=case.channel,
                     no_survey_reason=reason)
    return await invite(ref)


async def skip_case(*, case_id: int, reason: str, actor_name: str) -> SurveyInvitation:
    """Close a case without survey (with a reason): the unique key is taken, no invitation will go."""
    ref_reason = f"不发起评价：{reason.strip()}（{actor_name}）"
    view = await cases_service.get_case(actor=SYSTEM, case_id=case_id)
    case = view.case
    ref = ServiceRef(service_key=f"case:{case.id}", service_type="case", service=case.type, case_id=case.id,
                     case_number=case.number, resident_id=case.resident_id, account_key=case.account_key,
                     openid=case.openid, township_code=case.township_code, community_code=case.community_code,
                     provider=case.owner_name, provider_id=case.owner_id, channel=case.channel,
                     no_survey_reason=ref_reason)
    return await invite(ref)


async def delivered(*, invitation_id: int, delivered_at: str | None = None) -> bool:
    """A queued invitation reached the resident (their next interaction): it is sent now."""
    at = datetime.fromisoformat(delivered_at) if delivered_at else utcnow()
    n = await SurveyInvitation.filter(id=invitation_id, status="queued").update(status="sent", sent_at=at,
                                                                                via="next")
    if n:
        inv = await SurveyInvitation.get(id=invitation_id)
        if inv.case_id is not None:
            await cases_service.record_survey(case_id=inv.case_id, status="sent",
                                              reason="居民再次互动，评价邀请已送达", detail={"invitation_id": inv.id})
    return bool(n)


async def resume_pending(*, older_than_seconds: int = 120) -> int:
    """Invitations left pending or sending by a crash are decided again (the sweep job)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    await SurveyInvitation.filter(status="sending", created_at__lte=cutoff).update(status="pending")
    n = 0
    for inv in await SurveyInvitation.filter(status="pending", created_at__lte=cutoff).limit(100):
        await deliver(inv)
        n += 1
    return n


async def set_opt_out(*, account_key: str | None, openid: str | None, resident_id: int | None = None,
                      out: bool = True) -> bool:
    """The resident asked for no more invitations (退订), or asked for them again."""
    key = contact_key(resident_id=resident_id, account_key=account_key, openid=openid)
    if key is None:
        return False
    contact = await _contact(key)
    await SurveyContact.filter(id=contact.id).update(opted_out_at=utcnow() if out else None)
    return True


async def record_consent(*, account_key: str, openid: str, template_id: str, status: str,
                         kind: str = "once") -> bool:
    """The resident accepted (or rejected) the survey's subscription message in WeChat's pop-up."""
    if template_id != get_settings().survey_template_id:
        return False
    contact = await _contact(f"w:{account_key}:{openid}")
    await SurveyContact.filter(id=contact.id).update(subscribe_consent=kind if status == "accept" else "")
    return True


async def latest_for(*, account_key: str, openid: str, prefer_id: int | None = None) -> SurveyInvitation | None:
    """The resident's newest invitation that reached them and may still be answered (a queued one has not:
    a digit typed before it arrives is not its rating); ``prefer_id`` (the one just shown, e.g. a receipt
    code's) first when it is theirs and open."""
    if prefer_id:
        hit = await SurveyInvitation.filter(id=prefer_id, account_key=account_key, openid=openid, status="sent",
                                            expires_at__gt=utcnow()).first()
        if hit is not None:
            return hit
    return await SurveyInvitation.filter(account_key=account_key, openid=openid, status="sent",
                                         expires_at__gt=utcnow()).order_by("-created_at", "-id").first()


async def for_case(*, case_id: int) -> SurveyInvitation | None:
    return await SurveyInvitation.get_or_none(service_key=f"case:{case_id}")


async def by_receipt_code(code: str) -> SurveyInvitation:
    inv = await SurveyInvitation.get_or_none(receipt_code=(code or "").strip())
    if inv is None:
        raise InvitationNotFound("评价码不正确，请核对回执上的8位数字。")
    return inv


async def claim_receipt(*, code: str, account_key: str, openid: str,
                        now: datetime | None = None) -> SurveyInvitation:
    """A walk-in resident sends the receipt's code in the chat ("评价 12345678"): the invitation is bound to
    this WeChat identity, so a bare digit rates it. One WeChat identity takes at most one code per
    ``survey_resident_gap_hours`` (a conditional update on its contact row, so concurrent codes get one);
    a refused code is left as it was (still valid, nothing lost) and the message says when to come back.
    Codes tried by one identity are rate limited (``survey_code``), so codes cannot be guessed in the chat."""
    await ratelimit.hit("survey_code", "wechat", hashlib.sha256(f"{account_key}:{openid}".encode()).hexdigest()[:24])
    inv = await by_receipt_code(code)
    if inv.account_key == account_key and inv.openid == openid:
        return inv  # the same code again: already this resident's
    if inv.openid is not None:
        raise InvitationNotFound("该评价码已由其他微信用户使用。如有疑问，请联系办事窗口。")
    if inv.status not in ("sent", "queued") or _aware(inv.expires_at) <= (now or utcnow()):
        raise InvitationNotFound("该评价码已过期或不需要评价。")
    now = now or utcnow()
    gap = get_settings().survey_resident_gap_hours
    contact = await _contact(f"w:{account_key}:{openid}")
    if contact.opted_out_at is not None:
        raise RatedToday("您已选择不再接收评价邀请。如需评价，请先回复“恢复评价”。")
    took = await SurveyContact.filter(id=contact.id, last_rated_at__isnull=True).update(last_rated_at=now)
    if not took:
        took = await SurveyContact.filter(id=contact.id, last_rated_at__lte=now - timedelta(hours=gap)).update(
            last_rated_at=now)
    if not took:
        row = await SurveyContact.get(id=contact.id)
        assert row.last_rated_at is not None
        again = format_local(_aware(row.last_rated_at) + timedelta(hours=gap))
        raise RatedToday(f"您在{gap}小时内已用评价码评价过一次服务。为保证评价真实，同一微信每{gap}小时只能用评价码评价"
                         f"一次。评价码 {inv.receipt_code} 仍然有效（{format_local(inv.expires_at)}前），"
                         f"请在{again}后再回复“评价 {inv.receipt_code}”，或由本人在公示牌评价页输入。")
    bound = await SurveyInvitation.filter(id=inv.id, openid__isnull=True).update(
        account_key=account_key, openid=openid, status="sent", via="receipt")
    if not bound:  # another identity took it at the same moment: give the 24 h slot back
        await SurveyContact.filter(id=contact.id, last_rated_at=now).update(last_rated_at=None)
        raise InvitationNotFound("该评价码已由其他微信用户使用。如有疑问，请联系办事窗口。")
    if inv.case_id is not None:
        await cases_service.record_survey(case_id=inv.case_id, status="sent", reason="居民凭回执评价码在微信中打开评价",
                                          detail={"invitation_id": inv.id, "via": "receipt"})
    return await SurveyInvitation.get(id=inv.id)


@dataclass
class Receipt:
    """What the desk prints for a walk-in (回执评价码): the code, the page its QR opens, the chat command."""

    invitation: SurveyInvitation
    code: str
    url: str
    rated: bool


async def receipt_for(*, scope: OrgScope, service_key: str) -> Receipt:
    """The receipt of a service instance (``case:12``, ``booking:7``) within the staff member's scope; not found
    (never another township's) when there is none yet or it was skipped."""
    inv = await SurveyInvitation.get_or_none(service_key=service_key[:96])
    if inv is None or not (scope.all_units or scope.allows_any(inv.township_code, inv.community_code)):
        raise InvitationNotFound("该服务还没有评价邀请（办结或签到后生成），请稍后刷新。")
    if inv.status == "skipped":
        raise InvitationNotFound(f"该服务不发起评价：{inv.reason}")
    base = get_settings().public_base_url.rstrip("/")
    rated = await SurveyResponse.exists(invitation_id=inv.id)
    return Receipt(invitation=inv, code=inv.receipt_code, url=f"{base}/survey?code={inv.receipt_code}", rated=rated)


def public(inv: SurveyInvitation) -> dict[str, Any]:
    return {"id": inv.id, "status": inv.status, "reason": inv.reason, "via": inv.via}
