"""Mass-send quotas per account, checked before calling WeChat (kept in the database).

Subscription accounts: 1 mass send per day (Asia/Shanghai day). Service accounts: a follower
receives at most 4 mass sends a month (a tag or to-all send counts for everyone, so at most 4 a
month per account). OpenID-list sends: verified service accounts only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.core.clock import to_local, utcnow
from app.matrix.service import Account
from app.wechat.outbound_models import WechatMassRecipient, WechatMassSend

SUBSCRIPTION_PER_DAY = 1
SERVICE_PER_USER_MONTH = 4


def _day_month(now: datetime) -> tuple[str, str]:
    local = to_local(now)
    return local.strftime("%Y-%m-%d"), local.strftime("%Y-%m")


async def mass_sends_today(*, account_key: str, now: datetime | None = None) -> int:
    day, _ = _day_month(now or utcnow())
    return await WechatMassSend.filter(account_key=account_key, local_day=day).count()


async def broadcast_sends_this_month(*, account_key: str, now: datetime | None = None) -> int:
    _, month = _day_month(now or utcnow())
    return await WechatMassSend.filter(account_key=account_key, local_month=month,
                                       target__in=["tag", "all"]).count()


async def can_mass_send(*, account: Account, target: str = "tag", now: datetime | None = None) -> bool:
    """Whether a tag/all mass send (target "tag"/"all") or an OpenID-list send may go out now."""
    return await mass_refusal(account=account, target=target, now=now) is None


async def mass_refusal(*, account: Account, target: str = "tag", now: datetime | None = None) -> int | None:
    """None when allowed, else the WeChat code it would fail with (48001 or 45028)."""
    now = now or utcnow()
    if account.is_miniprogram:
        return 48001
    if target == "openids" and not account.can_mass_send_openids:
        return 48001
    if account.kind == "subscription":
        return 45028 if await mass_sends_today(account_key=account.key, now=now) >= SUBSCRIPTION_PER_DAY else None
    if target in ("tag", "all") and await broadcast_sends_this_month(account_key=account.key, now=now) \
            >= SERVICE_PER_USER_MONTH:
        return 45028
    return None


async def eligible_openids(*, account_key: str, openids: list[str], now: datetime | None = None) -> list[str]:
    """The OpenIDs (in order, de-duplicated) that have not yet received 4 mass sends this month."""
    _, month = _day_month(now or utcnow())
    unique = list(dict.fromkeys(openids))
    full: set[str] = set()
    for i in range(0, len(unique), 1000):
        part = unique[i:i + 1000]
        full.update(str(o) for o in await WechatMassRecipient.filter(
            account_key=account_key, local_month=month, openid__in=part,
            count__gte=SERVICE_PER_USER_MONTH).values_list("openid", flat=True))
    return [o for o in unique if o not in full]


async def record_mass_send(*, account_key: str, target: str, result: dict[str, Any], clientmsgid: str = "",
                           msgtype: str = "", tag_id: int | None = None, openids: list[str] | None = None,
                           now: datetime | None = None) -> WechatMassSend:
    """Count one accepted mass send (and, for OpenID lists, one more for each recipient this month)."""
    now = now or utcnow()
    day, month = _day_month(now)
    async with in_transaction():
        row = await WechatMassSend.create(
            account_key=account_key, target=target, tag_id=tag_id, recipients=len(openids or []),
            clientmsgid=clientmsgid, msg_id=str(result.get("msg_id", "")),
            msg_data_id=str(result.get("msg_data_id", "")), msgtype=msgtype, local_day=day, local_month=month,
            created_at=now)
        if openids:
            for i in range(0, len(openids), 1000):
                part = list(dict.fromkeys(openids[i:i + 1000]))
                existing = set(await WechatMassRecipient.filter(
                    account_key=account_key, local_month=month, openid__in=part).values_list("openid", flat=True))
                if existing:
                    await WechatMassRecipient.filter(account_key=account_key, local_month=month,
                                                     openid__in=list(existing)).update(count=F("count") + 1)
                new = [WechatMassRecipient(account_key=account_key, openid=o, local_month=month, count=1)
                       for o in part if o not in existing]
                if new:
                    await WechatMassRecipient.bulk_create(new)
    return row


async def record_mass_finished(*, account_key: str, msg_id: str, status: str, result: dict[str, Any],
                               now: datetime | None = None) -> bool:
    """Match a MASSSENDJOBFINISH event back to its send; False when no send has that msg_id."""
    n = await WechatMassSend.filter(account_key=account_key, msg_id=str(msg_id)).update(
        status=status[:32], result=result, finished_at=now or utcnow())
    return n > 0


async def mass_sends(*, account_key: str, limit: int = 50) -> list[WechatMassSend]:
    return await WechatMassSend.filter(account_key=account_key).order_by("-id").limit(limit)


# ---- the MASSSENDJOBFINISH event, matched back to its send (registered through app.wiring) ----

from app.wechat.router import Inbound, Reply, router  # noqa: E402

JOB_FIELDS = ("Status", "TotalCount", "FilterCount", "SentCount", "ErrorCount")


@router.on_event("masssendjobfinish")
async def on_mass_job_finished(inbound: Inbound) -> Reply | None:
    """Store the outcome on the send; declines, so other handlers (and the engine's record) still run."""
    raw = inbound.raw
    msg_id = str(raw.get("MsgID") or raw.get("MsgId") or "")
    if msg_id:
        await record_mass_finished(account_key=inbound.account_key, msg_id=msg_id,
                                   status=str(raw.get("Status", "") or "finished"),
                                   result={k: raw.get(k) for k in JOB_FIELDS if k in raw})
    return None
