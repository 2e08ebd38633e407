"""Planning and scheduling a send: which accounts, how each may send, quotas, one copy per resident.

Each account sends the way its kind allows: a subscription account to all its followers or to a
tag (one mass send a day); a verified service account to OpenID lists of 2–10,000 (a follower
receives at most 4 a month) or to all / a tag. In a send to several accounts, a resident known
(by unionid) to follow more than one gets the article once: subscription accounts go first, the
largest to all; one whose followers overlap with those already covered sends to a tag made for this
send holding only its share; service accounts send to OpenID lists of whoever is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.config import get_settings
from app.core.actor import Actor, Role
from app.core.clock import LOCAL_TZ, to_local, utcnow
from app.errors import Forbidden
from app.jobs import service as jobs
from app.matrix.service import KIND_ZH, Account, get_matrix
from app.push.models import PushArticle, PushChunk, PushDelivery, PushSend
from app.push.service import articles, review
from app.push.service.errors import BadAudience, QuotaRefused, SendNotFound, WrongStatus
from app.residents import service as residents_service
from app.wechat import quotas
from app.wechat.client import MASS_CHUNK_MAX, split_openids

GROUPS_ZH = {"elderly": "老年人", "migrant_worker": "农民工", "disabled": "残疾人", "minor": "未成年人家长",
             "women": "妇女", "veteran": "退役军人"}
MODE_ZH = {"all": "全部关注者", "tagged": "按本次推送标签", "openids": "按 OpenID 列表"}
SEND_STATUS_ZH = {"scheduled": "待发送", "sending": "发送中", "sent": "已发送", "partly": "部分发送",
                  "failed": "发送失败", "cancelled": "已取消"}


@dataclass
class AccountPlan:
    """How one account takes part in a send."""

    account_key: str
    display_name: str
    kind: str
    township_code: str | None
    mode: str = ""
    openids: list[str] = field(default_factory=list)
    planned: int = 0
    known_followers: int = 0
    overlap: int = 0  # followers who get it from another account of this send
    over_quota: int = 0  # followers left out: 4 mass sends this month already
    quota_text: str = ""
    refusal: str = ""

    @property
    def kind_zh(self) -> str:
        return KIND_ZH.get(self.kind, self.kind)

    @property
    def mode_zh(self) -> str:
        return MODE_ZH.get(self.mode, "不发送")


@dataclass
class SendPlan:
    accounts: list[AccountPlan]
    run_at: datetime
    quiet_moved: bool

    @property
    def refusals(self) -> list[str]:
        return [f"{a.display_name}：{a.refusal}" for a in self.accounts if a.refusal]

    @property
    def total(self) -> int:
        return sum(a.planned for a in self.accounts if not a.refusal)

    @property
    def duplicates_avoided(self) -> int:
        return sum(a.overlap for a in self.accounts)


# ---- time ----

def _quiet_window() -> tuple[time, time] | None:
    text = get_settings().push_quiet_hours
    if not text:
        return None
    a, b = text.split("-")
    return time.fromisoformat(a), time.fromisoformat(b)


def after_quiet_hours(when: datetime) -> datetime:
    """The send time moved past quiet hours (local), if it falls in them."""
    window = _quiet_window()
    if window is None:
        return when
    start, end = window
    local = to_local(when)
    t = local.timetz().replace(tzinfo=None)
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return when
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=LOCAL_TZ).astimezone(when.tzinfo or LOCAL_TZ)


def parse_local(value: str) -> datetime | None:
    """``2026-12-04T09:00`` (a datetime-local field, 北京时间) → aware UTC; empty → None."""
    value = (value or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", value):
        raise BadAudience("发送时间格式应为 2026-12-04 09:00。")
    return datetime.fromisoformat(value.replace(" ", "T")).replace(tzinfo=LOCAL_TZ)


# ---- quotas ----

async def _pending_on(account_key: str, *, day: str | None = None, month: str | None = None) -> int:
    """Deliveries already scheduled for this account on a local day (or month), not yet sent."""
    ids = await PushDelivery.filter(account_key=account_key, status="pending").values_list("send_id", flat=True)
    if not ids:
        return 0
    n = 0
    for send in await PushSend.filter(id__in=list(ids), status="scheduled"):
        local = to_local(send.run_at)
        if (day and local.strftime("%Y-%m-%d") == day) or (month and local.strftime("%Y-%m") == month):
            n += 1
    return n


async def quota_status(account: Account, *, at: datetime) -> tuple[int, str]:
    """(broadcast sends left, text for the console) for the account at a time."""
    local = to_local(at)
    if account.kind == "subscription":
        day = local.strftime("%Y-%m-%d")
        used = await quotas.mass_sends_today(account_key=account.key, now=at) + await _pending_on(account.key, day=day)
        left = max(0, quotas.SUBSCRIPTION_PER_DAY - used)
        return left, f"{local.month}月{local.day}日群发剩余 {left} 次（订阅号每天 {quotas.SUBSCRIPTION_PER_DAY} 次）"
    month = local.strftime("%Y-%m")
    used = await quotas.broadcast_sends_this_month(account_key=account.key, now=at) + \
        await _pending_on(account.key, month=month)
    left = max(0, quotas.SERVICE_PER_USER_MONTH - used)
    text = (f"{local.month}月全体/标签群发剩余 {left} 次；按 OpenID 列表发送时，本月已收满 "
            f"{quotas.SERVICE_PER_USER_MONTH} 条的关注者自动跳过")
    return left, text


async def quotas_overview(*, actor: Actor) -> list[dict[str, Any]]:
    """Each account the actor may send from, with what is left (the console shows it before sending)."""
    now = utcnow()
    out = []
    for acc in sendable_accounts(actor):
        left, text = await quota_status(acc, at=now)
        out.append({"key": acc.key, "name": acc.display_name, "kind_zh": KIND_ZH.get(acc.kind, acc.kind),
                    "left": left, "text": text, "openids": acc.can_mass_send_openids})
    return out


def sendable_accounts(actor: Actor) -> list[Account]:
    return [a for a in get_matrix().official_accounts() if actor.scope.allows(a.org_unit)]


# ---- planning ----

def _township_of(account: Account) -> str | None:
    return None if account.org_unit == get_matrix_district() else account.org_unit


def get_matrix_district() -> str:
    """The district's unit code: the service account's (the district account of the matrix)."""
    keys = [a.org_unit for a in get_matrix().official_accounts() if a.kind == "service"]
    return keys[0] if keys else ""


async def plan_send(*, actor: Actor, article_id: int, account_keys: list[str], townships: list[str] | None = None,
                    communities: list[str] | None = None, group: str = "", when: datetime | None = None) -> SendPlan:
    """Who would get the article from which account, and whether each account's quota allows it."""
    article = await articles.get_article(article_id, actor=actor)
    if not review.approved_for_sending(article):
        raise WrongStatus("文章还没有完成审批，不能发送。")
    matrix = get_matrix()
    accounts: list[Account] = []
    for key in dict.fromkeys(account_keys):
        acc = matrix.get(key)
        if acc is None or acc.is_miniprogram or not actor.scope.allows(acc.org_unit):
            raise Forbidden(f"不能通过账号 {key} 发送。")
        accounts.append(acc)
    if not accounts:
        raise BadAudience("请至少选择一个公众号。")
    if group and group not in GROUPS_ZH:
        raise BadAudience("未知的人群标签。")
    townships = [t for t in (townships or []) if t]
    communities = [c for c in (communities or []) if c]
    if townships:
        accounts = [a for a in accounts if _township_of(a) is None or a.org_unit in townships]
        if not accounts:
            raise BadAudience("所选镇街没有对应的公众号。")
    run_at = after_quiet_hours(when or utcnow())
    plans: dict[str, AccountPlan] = {}
    followers: dict[str, list[dict[str, Any]]] = {}
    for acc in accounts:
        district_level = _township_of(acc) is None
        followers[acc.key] = await residents_service.followers(
            account_keys=[acc.key], townships=townships if district_level else None,
            communities=communities, group=group)
        plans[acc.key] = AccountPlan(acc.key, acc.display_name, acc.kind, _township_of(acc),
                                     known_followers=len(followers[acc.key]))
    narrowed = bool(communities or group)
    covered: set[int] = set()
    order = sorted((a for a in accounts if a.kind == "subscription"), key=lambda a: -len(followers[a.key])) + \
        [a for a in accounts if a.kind != "subscription"]
    for acc in order:
        plan = plans[acc.key]
        rows = followers[acc.key]
        share = [r for r in rows if r["resident_id"] not in covered]
        plan.overlap = len(rows) - len(share)
        district_narrowed = _township_of(acc) is None and bool(townships)
        precise = narrowed or district_narrowed or plan.overlap > 0
        if acc.kind == "service" and acc.can_mass_send_openids and precise:
            eligible = await quotas.eligible_openids(account_key=acc.key, openids=[r["openid"] for r in share],
                                                     now=run_at)
            plan.over_quota = len(share) - len(eligible)
            plan.openids = eligible
            plan.mode = "openids" if len(eligible) >= 2 else ("tagged" if eligible else "")
        else:
            plan.openids = [r["openid"] for r in share]
            plan.mode = "tagged" if precise else "all"
        plan.planned = len(plan.openids)
        if plan.mode == "all" and not rows:
            plan.mode = ""
        covered |= {r["resident_id"] for r in share}
        left, plan.quota_text = await quota_status(acc, at=run_at)
        if not plan.mode:
            plan.refusal = ("本月这些关注者已收满 4 条群发" if plan.over_quota else "没有需要由此账号送达的关注者")
        elif plan.mode != "openids" and left <= 0:
            plan.refusal = "群发次数已用完：" + plan.quota_text
    return SendPlan([plans[a.key] for a in accounts], run_at, run_at != (when or run_at))


async def schedule_send(*, actor: Actor, article_id: int, account_keys: list[str],
                        townships: list[str] | None = None, communities: list[str] | None = None, group: str = "",
                        when: datetime | None = None) -> PushSend:
    """Plan, refuse if any chosen account lacks quota, then write the send, its deliveries and their jobs."""
    if actor.read_only or actor.role not in (Role.TOWNSHIP_STAFF, Role.DISTRICT_ADMIN):
        raise Forbidden("您不能发送普法文章。")
    plan = await plan_send(actor=actor, article_id=article_id, account_keys=account_keys, townships=townships,
                           communities=communities, group=group, when=when)
    quota_refusals = [a for a in plan.accounts if a.refusal.startswith("群发次数")]
    if quota_refusals:
        raise QuotaRefused("群发次数不足，未发送：" + "；".join(plan.refusals) + "。请改期或取消勾选这些账号。")
    live = [a for a in plan.accounts if a.mode and not a.refusal]
    if not live:
        raise BadAudience("没有可送达的关注者：" + "；".join(plan.refusals))
    article = await articles.get_article(article_id, actor=actor)
    async with in_transaction():
        send = await PushSend.create(article_id=article.id, account_keys=[a.account_key for a in live],
                                     townships=townships or [], communities=communities or [], group=group,
                                     scheduled_for=when or utcnow(), run_at=plan.run_at, created_by=actor.id)
        for a in live:
            delivery = await PushDelivery.create(
                send_id=send.id, article_id=article.id, account_key=a.account_key, township_code=a.township_code,
                mode=a.mode, planned=a.planned if a.mode != "all" else a.known_followers,
                members=a.openids if a.mode == "tagged" else [])
            chunks = split_openids(a.openids, MASS_CHUNK_MAX) if a.mode == "openids" else [[]]
            for i, part in enumerate(chunks):
                await PushChunk.create(delivery_id=delivery.id, index=i, openids=part,
                                       clientmsgid=f"fawu-push-{send.id}-{delivery.id}-{i}")
            await jobs.enqueue("push.deliver", {"delivery_id": delivery.id}, run_at=plan.run_at,
                               dedupe_key=f"push.deliver:{delivery.id}", max_attempts=8)
        before = article.status
        article.status = "scheduled"
        await article.save(update_fields=["status", "updated_at"])
        where = "、".join(a.display_name for a in live)
        await articles.record_step(article, actor, "scheduled", before,
                                   f"推送 #{send.id}：{where}，{to_local(plan.run_at):%Y-%m-%d %H:%M}，预计 {plan.total} 人")
    return send


async def cancel_send(*, actor: Actor, send_id: int) -> PushSend:
    """Cancel a send that has not started (its jobs find it cancelled and stop)."""
    send = await get_send(send_id, actor=actor)
    if send.status != "scheduled" or actor.read_only:
        raise WrongStatus("只有尚未开始的推送可以取消。")
    async with in_transaction():
        send.status = "cancelled"
        await send.save(update_fields=["status"])
        await PushDelivery.filter(send_id=send.id, status="pending").update(status="cancelled")
        article = await PushArticle.get(id=send.article_id)
        if article.status == "scheduled" and not await PushSend.filter(
                article_id=article.id, status__in=["scheduled", "sending"]).exists():
            article.status = "sent" if await PushSend.filter(article_id=article.id, status__in=["sent", "partly"]) \
                .exists() else "approved"
            await article.save(update_fields=["status", "updated_at"])
        await articles.record_step(article, actor, "cancelled", "scheduled", f"取消推送 #{send.id}")
    return send


async def get_send(send_id: int, *, actor: Actor | None = None) -> PushSend:
    send = await PushSend.get_or_none(id=send_id)
    if send is None:
        raise SendNotFound()
    if actor is not None:
        await articles.get_article(send.article_id, actor=actor)
        if not all(actor.scope.allows(a.org_unit) for k in send.account_keys if (a := get_matrix().get(k))):
            raise SendNotFound()
    return send


async def sends_of(article_id: int) -> list[tuple[PushSend, list[PushDelivery]]]:
    out = []
    for send in await PushSend.filter(article_id=article_id).order_by("-id"):
        out.append((send, await PushDelivery.filter(send_id=send.id).order_by("id")))
    return out
