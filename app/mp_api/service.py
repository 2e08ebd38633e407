"""The mini-program's rules: login through jscode2session to a session of our own, and every
resident call scoped to the resident of that session (community, consultation, my cases, requests
that become cases, subscribe messages).

The session token is random, given to the phone once, and stored only as its sha256; WeChat's
session_key never leaves this module (it is not even kept). Every read of a case goes through the
resident id of the session, so guessing another number answers "not found", as for an unknown one.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.boards import service as boards_service
from app.cases import service as cases_service
from app.config import get_settings
from app.consult import service as consult_service
from app.core import metrics, pii, ratelimit
from app.core.clock import format_local, utcnow
from app.errors import FawuError, InvalidInput, NotAuthenticated, NotFound
from app.matrix.service import Account, get_matrix
from app.mp_api import visits
from app.mp_api.models import MpSession, MpSubscription
from app.org import service as org_service
from app.push import service as push_service
from app.residents import service as residents_service
from app.wechat import errors as wx_errors
from app.wechat.client import get_client

log = logging.getLogger("fawu.mp")

# ---- errors (Chinese for the resident; code for the mini-program's logic) ----


class MpError(FawuError):
    code = "mp_error"
    message_zh = "操作未能完成，请稍后再试。如有急事请拨打 12348。"


class LoginCodeInvalid(NotAuthenticated):
    code = "mp_code_invalid"
    message_zh = "登录凭证无效或已过期，请重新打开小程序。"


class LoginCodeUsed(NotAuthenticated):
    code = "mp_code_used"
    message_zh = "登录凭证已经用过了，请重新打开小程序。"


class LoginTooFrequent(MpError):
    code = "mp_login_limited"
    message_zh = "登录太频繁了，请一分钟后再试。"
    status = 429

    def __init__(self) -> None:
        super().__init__(retry_after=60)
        self.headers = {"Retry-After": "60"}


class LoginRefused(MpError):
    code = "mp_login_refused"
    message_zh = "微信认为当前账号存在风险，暂时无法登录。如有急事请拨打 12348 公共法律服务热线。"
    status = 403


class WeChatUnavailable(MpError):
    code = "mp_wechat_unavailable"
    message_zh = "暂时连不上微信，请稍后再试。如有急事请拨打 12348 公共法律服务热线。"
    status = 503


class NoMiniProgram(MpError):
    code = "mp_not_configured"
    message_zh = "小程序尚未开通，请稍后再试或拨打 12348。"
    status = 503


class SessionMissing(NotAuthenticated):
    code = "mp_session_missing"
    message_zh = "请先登录小程序。"


class SessionExpired(NotAuthenticated):
    code = "mp_session_expired"
    message_zh = "登录已过期，请重新进入小程序。"


class MpCaseNotFound(NotFound):
    code = "mp_case_not_found"
    message_zh = "没有找到这件事项。"


class UnknownCommunity(NotFound):
    code = "mp_unknown_community"
    message_zh = "没有找到这个村（社区），请扫描公示牌上的小程序码或重新选择。"


# ---- the account ----

def account() -> Account:
    """The mini-program of the matrix (NoMiniProgram when the matrix has none)."""
    try:
        mp = get_matrix().miniprogram()
    except RuntimeError:  # no matrix loaded
        mp = None
    if mp is None:
        raise NoMiniProgram()
    return mp


# ---- login and sessions ----

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class Login:
    token: str
    expires_in: int
    resident_id: int
    new_resident: bool


@dataclass
class Session:
    """A valid session: who is asking (the resident) and as which WeChat identity."""

    id: int
    resident_id: int
    openid: str
    account_key: str


async def login(*, code: str, client: str = "") -> Login:
    """wx.login's code → jscode2session (single use) → the resident of the openid (merged with their
    official-account self by unionid) → a new session token. WeChat's refusals become Chinese errors."""
    mp = account()
    code = (code or "").strip()
    if not code or len(code) > 128:
        raise LoginCodeInvalid()
    try:
        data = await get_client().jscode2session(code)
    except wx_errors.InvalidCode as exc:
        raise (LoginCodeUsed() if exc.errcode == 40163 else LoginCodeInvalid()) from exc
    except wx_errors.ApiQuotaExceeded as exc:
        raise LoginTooFrequent() from exc
    except wx_errors.WeChatAPIError as exc:
        if exc.errcode == 40226:
            raise LoginRefused() from exc
        if exc.errcode == 40029:  # an untyped path of the same refusal
            raise LoginCodeInvalid() from exc
        metrics.caught("mp.login", log, "jscode2session failed: %s", exc.errcode, level=logging.WARNING)
        raise WeChatUnavailable() from exc
    openid = str(data.get("openid") or "")
    if not openid:
        raise WeChatUnavailable()
    unionid = str(data.get("unionid") or "") or None
    existed = await residents_service.find_identity(account_key=mp.key, openid=openid)
    link = await residents_service.ensure_identity(account_key=mp.key, openid=openid, unionid=unionid)
    await residents_service.touch(link)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    hours = get_settings().mp_session_hours
    await MpSession.create(token_hash=_hash(token), resident_id=link.resident_id, openid=openid, unionid=unionid,
                           client=client[:24], created_at=now, expires_at=now + timedelta(hours=hours))
    if unionid:  # joined to their official-account self: open mini-program cases reach that chat too
        await visits.link_open_cases(resident_id=link.resident_id)
    return Login(token=token, expires_in=hours * 3600, resident_id=link.resident_id, new_resident=existed is None)


async def authenticate(token: str | None) -> Session:
    """The session of a bearer token: SessionMissing without one, SessionExpired when unknown, expired,
    revoked, or its resident erased. Counts the resident's call (rate group ``mp_resident``)."""
    if not token:
        raise SessionMissing()
    if len(token) > 128:
        raise SessionExpired()
    row = await MpSession.get_or_none(token_hash=_hash(token))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise SessionExpired()
    if (await residents_service.get_resident(row.resident_id)).erased_at is not None:
        raise SessionExpired()
    await ratelimit.hit("mp_resident", "resident", str(row.resident_id))
    if row.last_seen_at is None or now - row.last_seen_at > timedelta(minutes=5):
        await MpSession.filter(id=row.id).update(last_seen_at=now)
    return Session(id=row.id, resident_id=row.resident_id, openid=row.openid, account_key=account().key)


async def logout(*, session: Session) -> None:
    await MpSession.filter(id=session.id).update(revoked_at=utcnow())


async def revoke_resident(*, resident_id: int) -> int:
    """End every session of a resident (erasure, or staff blocking abuse); how many were ended."""
    return await MpSession.filter(resident_id=resident_id, revoked_at__isnull=True).update(revoked_at=utcnow())


async def erase_resident(*, resident_id: int) -> int:
    """Erasure: the resident's sessions are deleted (a held token stops working) with their
    subscribe-message answers; how many sessions there were."""
    n = await MpSession.filter(resident_id=resident_id).delete()
    await MpSubscription.filter(resident_id=resident_id).delete()
    return n


async def export_resident(*, resident_id: int) -> dict[str, Any]:
    """What the mini-program keeps about a resident (no token: only its hash is kept, and not shown)."""
    sessions = await MpSession.filter(resident_id=resident_id).order_by("created_at")
    subs = await MpSubscription.filter(resident_id=resident_id).order_by("scene")
    return {
        "sessions": [{"openid": s.openid, "created_at": format_local(s.created_at),
                      "expires_at": format_local(s.expires_at), "revoked_at": format_local(s.revoked_at)}
                     for s in sessions],
        "subscriptions": [{"scene": s.scene, "status": s.status, "remaining": s.remaining, "sent": s.sent}
                          for s in subs],
    }


async def purge_expired(*, older_than_days: int = 30) -> int:
    return await MpSession.filter(expires_at__lt=utcnow() - timedelta(days=older_than_days)).delete()


# ---- me and my community ----

async def community_of(session: Session) -> tuple[str | None, str | None, list[str]]:
    """The resident's community, township and special groups."""
    return await _community(session.resident_id)


async def _community(resident_id: int) -> tuple[str | None, str | None, list[str]]:
    r = await residents_service.get_resident(resident_id)
    return r.community_code, r.township_code, list(r.special_groups or [])


async def me(*, session: Session) -> dict[str, Any]:
    """What the home page needs: the resident's community card (or none yet), the hotline."""
    r = await residents_service.get_resident(session.resident_id)
    out: dict[str, Any] = {"resident_id": r.id, "name": r.name, "community": None,
                           "hotline": get_settings().hotline, "open_cases": 0}
    if r.community_code:
        try:
            out["community"] = await community(community_code=r.community_code)
        except NotFound:  # a community retired since: the resident chooses again
            out["community"] = None
    out["open_cases"] = len(await cases_service.open_cases_for_resident(resident_id=r.id))
    return out


async def community(*, community_code: str, board_code: str | None = None) -> dict[str, Any]:
    try:
        card = await boards_service.community_card(community_code=community_code, board_code=board_code)
    except NotFound as exc:
        raise UnknownCommunity() from exc
    return {
        "community_code": card.community_code, "community_name": card.community_name,
        "township_code": card.township_code, "township_name": card.township_name,
        "district_name": card.district_name, "board_code": card.board_code, "place": card.place,
        "advisors": [{"name": a.name, "phone": a.phone, "firm": a.firm, "duty_hours": a.duty_hours}
                     for a in card.advisors],
        "nearest": _point(card.nearest), "station": _point(card.station), "hotline": card.hotline,
    }


def _point(p: Any) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"name": p.name, "address": p.address, "phone": p.phone, "hours": p.hours,
            "latitude": p.latitude, "longitude": p.longitude}


async def open_board(*, session: Session, scene: str) -> dict[str, Any]:
    """The mini-program opened by a board's code (scene ``b=<CODE>``, or the bare code): the board is
    remembered on the resident, the scan recorded, and its community's card answered."""
    scene = (scene or "").strip()[:64]
    if scene and "=" not in scene and ":" not in scene:
        scene = "b=" + scene
    board_code, _ = await boards_service.wechat_scan(account_key=session.account_key, openid=session.openid,
                                                     scene=scene, event="open", channel="miniprogram")
    if board_code is None:
        raise boards_service.UnknownBoard(board_code=scene[:40])
    board = await boards_service.get_active_board(board_code)
    return await community(community_code=board.community.code, board_code=board_code)


async def communities() -> list[dict[str, Any]]:
    """Every active township with its communities, for choosing one by hand."""
    units = await org_service.tree()
    towns = sorted((u for u in units.values() if u.kind == "township"), key=lambda u: u.code)
    out = []
    for t in towns:
        out.append({"code": t.code, "name": t.name, "communities": [
            {"code": c.code, "name": c.name} for c in sorted(
                (u for u in units.values() if u.kind == "community" and u.township_code == t.code),
                key=lambda u: u.code)]})
    return out


async def choose_community(*, session: Session, community_code: str) -> dict[str, Any]:
    info = (await org_service.tree()).get(community_code)
    if info is None or info.kind != "community":
        raise UnknownCommunity()
    await residents_service.set_location(session.resident_id, community_code=info.code,
                                         township_code=info.township_code)
    return await community(community_code=info.code)


# ---- consultation ----

async def ask(*, session: Session, text: str, category: str | None = None, second_turn: bool = False,
              request_id: str | None = None, client: str = "") -> dict[str, Any]:
    """One question on the consultation engine of the accounts (safety gate, intents, knowledge base);
    a hand-over opens (or joins) the resident's case at the front desk."""
    community_code, township_code, groups = await _community(session.resident_id)
    category = category if category in consult_service.CATEGORIES else None
    answer = await consult_service.ask(text, channel="miniprogram", account_key=session.account_key,
                                       community_code=community_code, township_code=township_code,
                                       resident_id=session.resident_id, category=category,
                                       second_turn=second_turn, special_groups=groups, openid=session.openid,
                                       client=client)
    out = answer.as_dict()
    out["case_number"] = None
    if answer.handoff:
        oa = await visits.official_identity(session.resident_id)
        h = await consult_service.hand_over(
            text=text, category=answer.category, urgent=answer.urgent, resident_id=session.resident_id,
            channel="miniprogram", community_code=community_code, township_code=township_code,
            account_key=oa[0] if oa else None, openid=oa[1] if oa else None,
            conversation=[{"role": "resident", "text": text, "at": utcnow()},
                          {"role": "bot", "text": answer.reply, "at": utcnow()}],
            source_ref=f"mp:{session.resident_id}:{request_id}" if request_id else None)
        out["reply"] = f"{answer.reply}\n{h.reply}"
        out["case_number"] = h.case_number
    return out


async def hand_over(*, session: Session, text: str, category: str | None = None,
                    request_id: str | None = None) -> dict[str, Any]:
    """The resident pressed "转人工": their matter (what they asked before) goes to the front desk."""
    community_code, township_code, _ = await _community(session.resident_id)
    oa = await visits.official_identity(session.resident_id)
    h = await consult_service.hand_over(
        text=text or "居民在小程序点击“转人工”", category=category if category in consult_service.CATEGORIES
        else "other", resident_id=session.resident_id, channel="miniprogram", community_code=community_code,
        township_code=township_code, account_key=oa[0] if oa else None, openid=oa[1] if oa else None,
        conversation=[{"role": "resident", "text": text or "居民在小程序点击“转人工”", "at": utcnow()}] if oa else None, source_ref=f"mp:{session.resident_id}:{request_id}" if request_id else None)
    return {"reply": h.reply, "case_number": h.case_number}


# ---- my cases ----

async def my_cases(*, session: Session) -> list[dict[str, Any]]:
    return await cases_service.resident_cases(resident_id=session.resident_id, limit=50)


async def my_case(*, session: Session, number: str) -> dict[str, Any]:
    try:
        return await cases_service.resident_case(resident_id=session.resident_id, number=number)
    except NotFound as exc:
        raise MpCaseNotFound() from exc


# ---- requests that become cases (legal aid, mediation, notarisation) ----

# What each request needs (the checklist shown on the form; the resident ticks what they have).
REQUESTS: dict[str, dict[str, Any]] = {
    "legal_aid": {
        "title": "法律援助申请",
        "law": "《中华人民共和国法律援助法》第四十一条、第四十二条",
        "documents": [
            ("id", "申请人身份证明（身份证、户口簿等）"),
            ("finance", "经济困难状况说明表（个人诚信承诺），或低保、特困等证明"),
            ("matter", "与所申请法律援助事项有关的证明材料（如劳动合同、欠条、判决书等）"),
            ("agent", "代为申请的，代理人身份证明及代理关系证明"),
        ],
        "required": ["id", "matter"],
    },
    "mediation": {
        "title": "人民调解申请",
        "law": "《中华人民共和国人民调解法》第十七条、第二十三条",
        "documents": [
            ("id", "申请人身份证明"),
            ("other_party", "对方当事人姓名（名称）及联系方式"),
            ("facts", "纠纷事实经过及相关证据（照片、聊天记录、收据等）"),
        ],
        "required": ["id"],
    },
    "notarization": {
        "title": "公证预约咨询",
        "law": "《中华人民共和国公证法》第二十五条、第二十七条",
        "documents": [
            ("id", "申请人身份证明"),
            ("subject", "需要公证的文书或事项材料（如合同、学历、亲属关系等）"),
            ("agent", "委托他人办理的，授权委托书及代理人身份证明"),
        ],
        "required": ["id"],
    },
}


def request_forms() -> dict[str, Any]:
    return {k: {"title": v["title"], "law": v["law"], "required": v["required"],
                "documents": [{"key": d, "label": label} for d, label in v["documents"]]}
            for k, v in REQUESTS.items()}


async def submit_request(*, session: Session, kind: str, summary: str, name: str, phone: str,
                         category: str | None = None, documents: list[str] | None = None,
                         other_party: str = "", request_id: str | None = None) -> dict[str, Any]:
    """A legal-aid application, mediation request or notarisation enquiry: becomes a case at the
    front desk (type = kind, channel mini-program), with the resident's name and phone kept encrypted
    on their record. Sending the same ``request_id`` again gives the same case."""
    form = REQUESTS.get(kind)
    if form is None:
        raise InvalidInput("不支持的申请类型。")
    summary, name = (summary or "").strip(), (name or "").strip()
    if len(summary) < 5:
        raise InvalidInput("请简要说明您的事情经过（至少 5 个字）。")
    if not name:
        raise InvalidInput("请填写您的姓名。")
    phone_n = pii.normalize_phone(phone)  # InvalidInput in Chinese when it is not a mobile number
    have = [d for d in (documents or []) if d in {k for k, _ in form["documents"]}]
    missing = [label for k, label in form["documents"] if k in form["required"] and k not in have]
    community_code, township_code, _ = await _community(session.resident_id)
    await residents_service.update_contact(session.resident_id, name=name, phone=phone_n)
    labels = {k: label for k, label in form["documents"]}
    lines = [f"[{form['title']}] {summary}"]
    if other_party.strip():
        lines.append(f"对方当事人：{other_party.strip()[:100]}")
    lines.append("已备材料：" + ("、".join(labels[d] for d in have) or "无"))
    if missing:
        lines.append("尚缺材料：" + "、".join(missing))
    category = category if category in cases_service.CATEGORIES else {
        "legal_aid": "legal_aid", "mediation": "mediation", "notarization": "notarization"}[kind]
    oa = await visits.official_identity(session.resident_id)
    case = await cases_service.open_case(
        type=kind, resident_id=session.resident_id, channel="miniprogram", summary="\n".join(lines)[:2000],
        account_key=oa[0] if oa else None, openid=oa[1] if oa else None,
        category=category, township_code=township_code, community_code=community_code, source="form",
        contact_consent=True, source_ref=f"mp:{session.resident_id}:{request_id}" if request_id else None)
    return {"case_number": case.number, "status_zh": case.status_zh, "missing": missing,
            "message": f"已收到您的{form['title']}，编号 {case.number}。工作人员将在承诺时限内与您联系"
                       + (f"，请准备好：{'、'.join(missing)}。" if missing else "。")}


# ---- 普法 articles ----

async def articles(*, session: Session) -> list[dict[str, str]]:
    """The published 普法 articles for the resident's township (its own and the district's), newest
    first, each with the absolute address of its H5 page (the mini-program opens it in a web-view)."""
    _, township_code, _ = await _community(session.resident_id)
    base = get_settings().public_base_url.rstrip("/")
    return [{**a, "url": base + a["url"]}
            for a in await push_service.latest_for_board(township_code=township_code, limit=30)]


# ---- subscribe messages ----

SUBSCRIBE_STATUSES = ("accept", "reject", "ban", "filter")


def templates() -> dict[str, str]:
    """Moment → template id, as configured (mp_subscribe_templates)."""
    return dict(get_settings().mp_subscribe_templates)


async def record_subscriptions(*, session: Session, scene: str, results: dict[str, str]) -> dict[str, Any]:
    """What wx.requestSubscribeMessage answered for each template id: an ``accept`` allows one more
    message; ``reject``/``ban`` set it to none. Unknown template ids are ignored (not ours)."""
    known = {v: k for k, v in templates().items()}
    if scene not in templates():
        raise InvalidInput("未知的订阅场景。")
    stored = {}
    now = utcnow()
    for tid, status in list(results.items())[:10]:
        if tid not in known or status not in SUBSCRIBE_STATUSES:
            continue
        remaining = 0
        for attempt in range(2):
            try:
                async with in_transaction():
                    row = await MpSubscription.filter(openid=session.openid,
                                                      template_id=tid).select_for_update().first()
                    if row is None:
                        row = MpSubscription(resident_id=session.resident_id, openid=session.openid,
                                             template_id=tid, scene=known[tid], remaining=0)
                    row.status = status
                    row.remaining = row.remaining + 1 if status == "accept" else 0
                    row.updated_at = now
                    await row.save()
                remaining = row.remaining
                break
            except IntegrityError:  # the same first answer recorded concurrently: count onto that row
                if attempt:
                    raise
        stored[known[tid]] = {"status": status, "remaining": remaining}
    return {"recorded": stored}


async def subscriptions(*, session: Session) -> dict[str, Any]:
    rows = await MpSubscription.filter(openid=session.openid)
    by_tid = {r.template_id: r for r in rows}
    return {moment: {"template_id": tid, "status": by_tid[tid].status if tid in by_tid else "",
                     "remaining": by_tid[tid].remaining if tid in by_tid else 0}
            for moment, tid in templates().items()}


def case_result_data(*, number: str, result: str, at: str) -> dict[str, str]:
    """The case_result template's values: number (character_string1), result (thing2, 20 characters),
    time (time3, 北京时间). Match the template chosen in the mini-program's console."""
    when = format_local(datetime.fromisoformat(at)) if at else format_local(utcnow())
    short = " ".join(result.split())
    return {"character_string1": number[:32], "thing2": short[:19] + "…" if len(short) > 20 else short or "已办结",
            "time3": when}


async def allows(*, resident_id: int, moment: str) -> bool:
    """Whether the resident has a subscribe message of ``moment`` left to receive."""
    tid = templates().get(moment)
    return bool(tid) and await MpSubscription.filter(resident_id=resident_id, template_id=tid, status="accept",
                                                     remaining__gt=0).exists()


async def notify(*, resident_id: int, moment: str, data: dict[str, str], page: str | None = None) -> str:
    """Send the subscribe message of ``moment`` to the resident if they allowed one: "sent", or why
    not ("not_allowed", "no_template", "failed"). Uses one allowed message."""
    tid = templates().get(moment)
    if not tid:
        return "no_template"
    async with in_transaction():
        row = await MpSubscription.filter(resident_id=resident_id, template_id=tid, status="accept",
                                          remaining__gt=0).order_by("-updated_at").select_for_update().first()
        if row is None:
            return "not_allowed"
        row.remaining -= 1
        row.sent += 1
        await row.save(update_fields=["remaining", "sent"])
    try:
        await get_client().mp_subscribe_send(row.openid, tid, data, page=page)
    except wx_errors.WeChatAPIError as exc:
        if exc.errcode == 43101:  # the resident switched it off since: nothing left to use
            await MpSubscription.filter(id=row.id).update(status="reject", remaining=0)
        else:  # not delivered: the allowance is given back
            await MpSubscription.filter(id=row.id).update(remaining=row.remaining + 1, sent=row.sent - 1)
        metrics.caught("mp.notify", log, "subscribe message %s not sent: %s", moment, exc.errcode,
                       level=logging.WARNING)
        return "failed"
    return "sent"
