"""Reminders the day before and two hours before: exactly once each (a compare-and-set on the booking
and the message queued in the same transaction, so a worker killed mid-run either did both or
neither), none for cancelled or moved bookings (the job carries the start it was made for), none in
quiet hours (a job due inside them waits until they end).

Channel: a subscribe message when the resident allowed one (the mini-program's, asked through the
``booking.reminder_channels_requested`` / ``booking.reminder_due`` events; the official account's
subscription notification, service accounts only), else the chat (customer-service message, or at the
next interaction when WeChat's window is closed). A subscribe attempt is claimed in the reminder's
transaction together with a fallback job: a refused message goes by the chat at once, and one never
confirmed (the worker died after the claim) goes by the chat when the fallback job runs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app.booking.models import Booking, BookingConsent, BookingReminder
from app.booking.service import catalog, notify
from app.booking.service.bookings import after_quiet_hours, in_quiet_hours
from app.config import get_settings
from app.core import events, metrics
from app.core.clock import format_local, utcnow
from app.jobs import service as jobs
from app.matrix.service import get_matrix
from app.wechat.client import get_client
from app.wechat.errors import WeChatAPIError

log = logging.getLogger("fawu.booking")

FIELD = {"day": "reminded_day_at", "soon": "reminded_soon_at"}
VIA_ZH = {"mp": "小程序订阅消息", "subscribe": "公众号订阅通知", "chat": "公众号消息"}


def reminder_text(*, kind: str, service_name: str, point_name: str, address: str, starts_at: datetime,
                  code: str) -> str:
    when = catalog.slot_label(starts_at)
    head = "明天" if kind == "day" else "两小时后"
    return (f"预约提醒：您{head}有预约。\n{service_name}｜{when}\n{point_name}（{address}）\n"
            f"预约码 {code}，到场报码签到。不能来请回复“取消预约 {code}”。")


def _thing(value: str) -> str:
    """A template's ``thing`` value: at most 20 characters, never empty (WeChat refuses both: 47003)."""
    value = " ".join(value.split()) or "预约服务"
    return value if len(value) <= 20 else value[:19] + "…"


def template_data(*, service_name: str, point_name: str, starts_at: datetime, code: str) -> dict[str, str]:
    """The reminder template's values: service (thing1), time (time2, 北京时间), place (thing3), code
    (character_string4). Match the template chosen in WeChat's console."""
    return {"thing1": _thing(service_name), "time2": format_local(starts_at), "thing3": _thing(point_name),
            "character_string4": code[:32]}


async def consent(*, account_key: str, openid: str, template_id: str, status: str, kind: str = "once") -> bool:
    """The resident answered the reminder's subscription pop-up on an official account."""
    if template_id != get_settings().booking_reminder_template_id:
        return False
    value = kind if status == "accept" else ""
    row = await BookingConsent.get_or_none(account_key=account_key, openid=openid)
    if row is None:
        await BookingConsent.get_or_create(account_key=account_key, openid=openid,
                                           defaults={"kind": value, "updated_at": utcnow()})
    await BookingConsent.filter(account_key=account_key, openid=openid).update(kind=value, updated_at=utcnow())
    return True


def _service_account(account_key: str | None) -> bool:
    if not account_key:
        return False
    try:
        acc = get_matrix().get(account_key)
    except RuntimeError:  # no matrix loaded (a command without the app): no account to send from
        return False
    return acc is not None and acc.kind == "service"  # subscription notifications: service accounts only (48001)


async def channels(b: Booking) -> list[str]:
    """The subscribe channels this resident allowed, in order (mini-program, then official account)."""
    out: list[str] = []
    if b.resident_id is not None:
        answers = await events.gather("booking.reminder_channels_requested", resident_id=b.resident_id)
        if any(a is True for a in answers):
            out.append("mp")
    if b.account_key and b.openid and _service_account(b.account_key) and get_settings().booking_reminder_template_id:
        if await BookingConsent.filter(account_key=b.account_key, openid=b.openid, kind__in=("once", "long")).exists():
            out.append("subscribe")
    return out


async def remind(*, booking_id: int, kind: str, starts_at: str, now: datetime | None = None) -> str:
    """Send one reminder; answers what happened: sent, skipped (why) or deferred (quiet hours)."""
    now = (now or utcnow()).astimezone(UTC)
    b = await Booking.filter(id=booking_id).first()
    if b is None or b.status != "booked":
        return "skipped:status"
    if b.starts_at.isoformat() != starts_at:
        return "skipped:moved"
    if b.starts_at <= now:
        return "skipped:past"
    if in_quiet_hours(now):
        later = after_quiet_hours(now)
        if later >= b.starts_at:
            return "skipped:quiet"
        await jobs.enqueue("booking.remind", {"booking_id": b.id, "kind": kind, "starts_at": starts_at},
                           run_at=later, dedupe_key=f"booking.remind:{b.id}:{kind}:{int(b.starts_at.timestamp())}:"
                                                    f"{int(later.timestamp())}")
        return "deferred"
    allowed = await channels(b)
    if not b.openid and not allowed:
        return "skipped:no_wechat"
    svc = await catalog.get_service(b.service_code)
    point = await catalog.point(b.point_code)
    text = reminder_text(kind=kind, service_name=svc.name, point_name=point.name, address=point.address,
                         starts_at=b.starts_at, code=b.code)
    async with in_transaction():
        done = await Booking.filter(id=b.id, status="booked", starts_at=b.starts_at,
                                    **{f"{FIELD[kind]}__isnull": True}).update(**{FIELD[kind]: now})
        if not done:
            return "skipped:already"
        if not allowed:
            await notify.to_resident(account_key=b.account_key, openid=b.openid,
                                     ref=f"booking:{b.id}:remind:{kind}", text=text)
            return "sent"
        await BookingReminder.create(booking_id=b.id, kind=kind, starts_at=b.starts_at, status="sending",
                                     via=allowed[0], at=now)
        wait = timedelta(minutes=get_settings().booking_reminder_fallback_minutes)
        await jobs.enqueue("booking.reminder_fallback", {"booking_id": b.id, "kind": kind, "starts_at": starts_at},
                           run_at=now + wait,
                           dedupe_key=f"booking.reminder_fallback:{b.id}:{kind}:{int(b.starts_at.timestamp())}")
    data = template_data(service_name=svc.name, point_name=point.name, starts_at=b.starts_at, code=b.code)
    why: list[str] = []
    for via in allowed:
        refused = await _send(b, via, data)
        if refused is None:
            await BookingReminder.filter(booking_id=b.id, kind=kind, starts_at=b.starts_at, status="sending").update(
                status="sent", via=via, reason=f"已通过{VIA_ZH[via]}提醒")
            return "sent"
        why.append(refused)
    await _fall_back(b, kind, text, "；".join(why))
    return "sent"


async def _send(b: Booking, via: str, data: dict[str, str]) -> str | None:
    """One subscribe message: None when WeChat took it, else why not (in Chinese, for the record)."""
    if via == "mp":
        assert b.resident_id is not None
        answers = await events.gather("booking.reminder_due", resident_id=b.resident_id, data=data,
                                      page=f"pages/booking/mine?code={b.code}")
        return None if "sent" in answers else f"小程序订阅消息未发送（{'、'.join(str(a) for a in answers) or '无'}）"
    assert b.account_key and b.openid
    base = get_settings().public_base_url.rstrip("/")
    try:
        await get_client().send_subscribe_bizsend(b.account_key, b.openid, get_settings().booking_reminder_template_id,
                                                  data, page=f"{base}/booking/manage?code={b.code}")
    except WeChatAPIError as exc:
        metrics.caught("booking.subscribe", log, "reminder subscription message refused [%s]", exc.errcode,
                       level=logging.INFO)
        if exc.errcode == 43101:  # the resident switched it off (or a one-time agreement was used elsewhere)
            await BookingConsent.filter(account_key=b.account_key, openid=b.openid).update(kind="", updated_at=utcnow())
        return f"公众号订阅通知未发送（微信拒收 {exc.errcode}）"
    await BookingConsent.filter(account_key=b.account_key, openid=b.openid, kind="once").update(
        kind="", updated_at=utcnow())  # a one-time agreement is used up
    return None


async def _fall_back(b: Booking, kind: str, text: str, reason: str) -> bool:
    """The chat instead of the subscribe message (once: a compare-and-set on the claim)."""
    async with in_transaction():
        took = await BookingReminder.filter(booking_id=b.id, kind=kind, starts_at=b.starts_at,
                                            status="sending").update(status="fallback", via="chat",
                                                                     reason=f"{reason}，改由公众号消息提醒"[:200])
        if took:
            await notify.to_resident(account_key=b.account_key, openid=b.openid, ref=f"booking:{b.id}:remind:{kind}",
                                     text=text)
    return bool(took)


async def fallback_due(*, booking_id: int, kind: str, starts_at: str, now: datetime | None = None) -> str:
    """The fallback job: a subscribe message still unconfirmed (the worker died) goes by the chat."""
    now = (now or utcnow()).astimezone(UTC)
    b = await Booking.filter(id=booking_id).first()
    if b is None or b.status != "booked" or b.starts_at.isoformat() != starts_at or b.starts_at <= now:
        await BookingReminder.filter(booking_id=booking_id, kind=kind, status="sending").update(
            status="fallback", reason="预约已变更或已过时，不再提醒")
        return "skipped"
    if not await BookingReminder.filter(booking_id=b.id, kind=kind, starts_at=b.starts_at, status="sending").exists():
        return "done"
    svc = await catalog.get_service(b.service_code)
    point = await catalog.point(b.point_code)
    text = reminder_text(kind=kind, service_name=svc.name, point_name=point.name, address=point.address,
                         starts_at=b.starts_at, code=b.code)
    return "sent" if await _fall_back(b, kind, text, "订阅消息未确认送达") else "done"


async def reminder_log(*, booking_id: int) -> list[dict[str, Any]]:
    """How the reminders of a booking went (for staff)."""
    rows = await BookingReminder.filter(booking_id=booking_id).order_by("at")
    return [{"kind": r.kind, "status": r.status, "via": VIA_ZH.get(r.via, r.via), "reason": r.reason, "at": r.at}
            for r in rows]
