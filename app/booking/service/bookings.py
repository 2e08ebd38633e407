"""Book, look up, cancel, move, check in and mark no-shows. Every write takes its place through the
quota row (store.take_place) inside its transaction, whichever path it comes from (chat, page, API,
console, reschedule, waiting list)."""

from __future__ import annotations

import logging
import time as time_module
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.booking.models import Booking, BookingSlot
from app.booking.service import catalog, notify, store
from app.booking.service.errors import (
    BookingNotFound,
    NotChangeable,
    SlotFull,
    SlotNotOffered,
    TooLate,
    TooManyBookings,
)
from app.config import get_settings
from app.core import events, pii
from app.core.clock import LOCAL_TZ, to_local, utcnow
from app.errors import InvalidInput
from app.jobs import service as jobs

log = logging.getLogger("fawu.booking")

STATUS_ZH = {"booked": "已预约", "cancelled": "已取消", "checked_in": "已签到", "no_show": "未到", "moved": "已改约"}
CHANNEL_ZH = {"chat": "公众号对话", "page": "扫码页面", "api": "小程序", "console": "窗口代约", "waitlist": "候补转正"}
HOLDING = ("booked",)  # statuses that hold a place in the slot


@dataclass
class Confirmation:
    """What a resident is told after booking (and on any later look-up)."""

    code: str
    status: str
    service_name: str
    point_name: str
    address: str
    phone: str
    map_url: str
    starts_at: datetime
    ends_at: datetime
    documents: list[str] = field(default_factory=list)
    legal_basis: str = ""
    name: str = ""
    phone_masked: str = ""
    created: bool = True  # False when an identical earlier submission's booking was answered again

    @property
    def when(self) -> str:
        return catalog.slot_label(self.starts_at)

    @property
    def status_zh(self) -> str:
        return STATUS_ZH.get(self.status, self.status)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "status": self.status, "status_zh": self.status_zh, "service": self.service_name,
                "point": self.point_name, "address": self.address, "point_phone": self.phone, "map_url": self.map_url,
                "starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat(),
                "local_time": self.when, "documents": self.documents, "legal_basis": self.legal_basis,
                "name": self.name, "phone": self.phone_masked}

    def text(self) -> str:
        """The confirmation as a chat message."""
        bring = "；".join(self.documents) or "身份证件"
        tel = f"，电话 {self.phone}" if self.phone else ""
        return (f"预约成功，预约码 {self.code}\n{self.service_name}｜{self.when}\n{self.point_name}\n"
                f"地址：{self.address}{tel}\n地图：{self.map_url}\n请携带：{bring}\n"
                f"到场后向工作人员报预约码签到。需取消请回复“取消预约 {self.code}”。")


async def confirmation(b: Booking, *, created: bool = True) -> Confirmation:
    p = await catalog.point(b.point_code)
    svc = await catalog.get_service(b.service_code)
    return Confirmation(code=b.code, status=b.status, service_name=svc.name, point_name=p.name, address=p.address,
                        phone=p.phone, map_url=p.map_url, starts_at=b.starts_at, ends_at=b.ends_at,
                        documents=list(svc.documents), legal_basis=svc.legal_basis, name=b.name,
                        phone_masked=b.phone_masked, created=created)


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 40:
        raise InvalidInput("请填写姓名（不超过40个字）。")
    return name


# ---- reminders' times ----

def _quiet() -> tuple[time, time] | None:
    text = get_settings().booking_quiet_hours
    if not text:
        return None
    a, b = text.split("-")
    return time.fromisoformat(a), time.fromisoformat(b)


def in_quiet_hours(when: datetime) -> bool:
    window = _quiet()
    if window is None:
        return False
    start, end = window
    t = to_local(when).time()
    return (start <= t or t < end) if start > end else (start <= t < end)


def after_quiet_hours(when: datetime) -> datetime:
    """``when``, or the end of the quiet hours it falls in."""
    window = _quiet()
    if window is None or not in_quiet_hours(when):
        return when
    start, end = window
    local = to_local(when)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=LOCAL_TZ).astimezone(when.tzinfo)


def reminder_times(*, starts_at: datetime, now: datetime) -> dict[str, datetime]:
    """When the two reminders go: the day before (10:00, or at once when booked later but still more
    than 12 hours ahead) and two hours before (08:00 when that falls in quiet hours); never in quiet
    hours, never after the start."""
    out: dict[str, datetime] = {}
    local = to_local(starts_at)
    day_at = datetime.combine(local.date() - timedelta(days=1), time(10, 0), tzinfo=LOCAL_TZ)
    if day_at < now:
        day_at = now if starts_at - now > timedelta(hours=12) else starts_at
    day_at = after_quiet_hours(day_at)
    soon_at = after_quiet_hours(starts_at - timedelta(hours=2))
    if day_at < starts_at - timedelta(hours=4) and day_at >= now - timedelta(minutes=1):
        out["day"] = day_at
    if now <= soon_at < starts_at:
        out["soon"] = soon_at
    return out


async def schedule_reminders(b: Booking, now: datetime) -> None:
    stamp = int(b.starts_at.timestamp())
    for kind, at in reminder_times(starts_at=b.starts_at, now=now).items():
        await jobs.enqueue("booking.remind", {"booking_id": b.id, "kind": kind, "starts_at": b.starts_at.isoformat()},
                           run_at=at, dedupe_key=f"booking.remind:{b.id}:{kind}:{stamp}")


async def _count_future(phone_hash: str, now: datetime) -> int:
    return await Booking.filter(phone_hash=phone_hash, status__in=HOLDING, starts_at__gt=now).count()


async def _next_free(point_code: str, service_code: str, after: datetime, now: datetime,
                     svc: Any = None, sch: Any = None) -> list[dict[str, Any]]:
    svc = svc or await catalog.get_service(service_code)
    sch = sch or await catalog.schedule(point_code=point_code, service_code=service_code)
    free = await catalog.free_slots(point_code=point_code, service_code=service_code, now=now, after=after, limit=3,
                                    svc=svc, sch=sch)
    if not free:
        free = await catalog.free_slots(point_code=point_code, service_code=service_code, now=now, limit=3,
                                        svc=svc, sch=sch)
    return [{"slot": s.key, "label": s.label, "left": s.left} for s in free]


# The next free slots offered with "已约满", per (point, service, full slot): computed once a second at most
# in each process. A burst of 200 residents for one slot made 197 computations of the same answer; a
# suggestion a second old is as good (the resident picks later, and the write path checks again then).
NEXT_FREE_SECONDS = 1.0


async def full_error(point_code: str, service_code: str, starts_at: datetime, now: datetime,
                     svc: Any = None, sch: Any = None) -> SlotFull:
    """"已约满" with the next free slots (the next ones after it, else the first ones listed)."""
    key = (point_code, service_code, starts_at)
    cache = catalog.next_free_cache
    hit = cache.get(key)
    if hit is not None and time_module.monotonic() - hit[0] <= NEXT_FREE_SECONDS:
        nxt = hit[1]
    else:
        nxt = await _next_free(point_code, service_code, starts_at, now, svc, sch)
        if len(cache) > 1000:
            cache.clear()
        cache[key] = (time_module.monotonic(), nxt)
    if nxt:
        options = "；".join(n["label"] for n in nxt)
        msg = f"已约满：{catalog.slot_label(starts_at)} 的名额已被约完。最近可约：{options}。"
    else:
        msg = f"已约满：{catalog.slot_label(starts_at)} 的名额已被约完，近期暂无空闲时段，可加入候补或致电服务点。"
    return SlotFull(msg, next=nxt)


async def book(*, point_code: str, service_code: str, starts_at: datetime, name: str, phone: str,
               channel: str, description: str = "", checklist: list[str] | None = None,
               request_key: str | None = None, account_key: str | None = None, openid: str | None = None,
               resident_id: int | None = None, board_code: str | None = None,
               now: datetime | None = None) -> Confirmation:
    """Book one place. Idempotent on ``request_key`` (and per person and slot): a repeated submission
    answers the first one's booking. SlotFull (with the next free slots) when no place is left."""
    now = (now or utcnow()).astimezone(UTC)
    name = clean_name(name)
    phone = pii.normalize_phone(phone)
    description = " ".join((description or "").split())[:300]
    phone_hash = pii.lookup_hash(phone)
    if request_key:
        earlier = await Booking.filter(request_key=request_key).first()
        if earlier is not None:
            return await confirmation(earlier, created=False)
    svc = await catalog.get_service(service_code)
    point = await catalog.point(point_code)
    sch = await catalog.schedule(point_code=point.code, service_code=svc.code)
    slot = await catalog.check_offered(point_code=point.code, service_code=svc.code, starts_at=starts_at, now=now,
                                       svc=svc, sch=sch)
    if slot is None:
        raise SlotNotOffered()
    ticked = [c for c in (checklist or []) if c in svc.checklist]
    row = await store.slot_row(point_code=point.code, service_code=svc.code, starts_at=slot.starts_at)
    same = await Booking.filter(active_key=f"{row.id}:{phone_hash}").first()
    if same is not None:
        return await confirmation(same, created=False)
    if row.taken >= slot.capacity:
        # already full when read: answer at once, without a transaction (only a shortcut: a place is
        # ever taken only by the conditional UPDATE below)
        raise await full_error(point.code, svc.code, slot.starts_at, now, svc, sch)
    await store.person_row(phone_hash)
    cap = get_settings().booking_max_per_resident

    async def attempt() -> tuple[Booking, bool]:
        async with in_transaction():
            if await store.seen_full(row.id, slot.capacity):
                raise SlotFull()  # committed full meanwhile: no lock taken, nothing to wait for
            await store.lock_person(phone_hash)
            if request_key and (earlier := await Booking.filter(request_key=request_key).first()):
                return earlier, False
            same = await Booking.filter(active_key=f"{row.id}:{phone_hash}").first()
            if same is not None:
                return same, False
            if await _count_future(phone_hash, now) >= cap:
                raise TooManyBookings(f"您已有 {cap} 个尚未到期的预约，请先办理或取消其中一个后再预约。")
            if not await store.take_place(row.id, slot.capacity):
                raise SlotFull()
            b = await Booking.create(
                code=store.new_code(), slot_id=row.id, point_code=point.code, unit_code=point.unit_code,
                service_code=svc.code, starts_at=slot.starts_at, ends_at=slot.ends_at, name=name,
                phone_enc=pii.encrypt(phone), phone_hash=phone_hash, phone_masked=pii.mask_phone(phone),
                description=description, checklist=ticked, channel=channel, account_key=account_key, openid=openid,
                resident_id=resident_id, board_code=board_code, request_key=request_key,
                active_key=f"{row.id}:{phone_hash}")
            await schedule_reminders(b, now)
            return b, True

    try:
        b, created = await store.retrying(attempt)
    except SlotFull:
        raise await full_error(point.code, svc.code, slot.starts_at, now, svc, sch) from None
    except IntegrityError:
        # an identical submission committed first (request_key or person+slot): answer its booking
        again = None
        if request_key:
            again = await Booking.filter(request_key=request_key).first()
        again = again or await Booking.filter(active_key=f"{row.id}:{phone_hash}").first()
        if again is None:
            raise
        return await confirmation(again, created=False)
    return await confirmation(b, created=created)


# ---- look-up ----

async def find(*, code: str, phone: str | None = None, openid: str | None = None) -> Booking:
    """A booking by code, proven by the phone number or the WeChat identity that made it."""
    b = await Booking.filter(code=(code or "").strip().upper()).first()
    if b is None:
        raise BookingNotFound()
    if openid is not None and b.openid == openid:
        return b
    if phone is not None:
        try:
            if pii.lookup_hash(pii.normalize_phone(phone)) == b.phone_hash:
                return b
        except InvalidInput:
            pass
    raise BookingNotFound()


async def of_resident(*, openid: str | None = None, phone: str | None = None, upcoming: bool = True,
                      now: datetime | None = None) -> list[Booking]:
    qs = Booking.all()
    if openid:
        qs = qs.filter(openid=openid)
    elif phone:
        qs = qs.filter(phone_hash=pii.lookup_hash(pii.normalize_phone(phone)))
    else:
        return []
    if upcoming:
        qs = qs.filter(status__in=HOLDING, starts_at__gt=now or utcnow())
    return await qs.order_by("starts_at")


async def get(booking_id: int) -> Booking:
    b = await Booking.filter(id=booking_id).first()
    if b is None:
        raise BookingNotFound()
    return b


# ---- cancel, move ----

def _check_cutoff(b: Booking, now: datetime) -> None:
    cutoff = get_settings().booking_cancel_cutoff_minutes
    if b.starts_at - now < timedelta(minutes=cutoff):
        raise TooLate(f"距离预约开始已不足 {cutoff // 60 if cutoff >= 60 else cutoff}"
                      f"{'小时' if cutoff >= 60 else '分钟'}，不能在线取消或改约，请致电服务点。")


async def cancel(*, booking_id: int, by_staff: str | None = None, reason: str = "",
                 now: datetime | None = None) -> Booking:
    """Cancel: by the resident up to the cut-off; by staff any time, with a reason the resident is told.
    The freed place goes to the first on the waiting list, held for them."""
    # function-level: waitlist imports this module (a cycle)
    from app.booking.service import waitlist

    now = (now or utcnow()).astimezone(UTC)
    b = await get(booking_id)
    if b.status not in HOLDING:
        raise NotChangeable()
    if by_staff is None:
        _check_cutoff(b, now)
    elif not reason.strip():
        raise InvalidInput("工作人员取消预约须填写原因（将告知居民）。")

    async def attempt() -> bool:
        async with in_transaction():
            await store.lock_person(b.phone_hash)
            done = await Booking.filter(id=b.id, status__in=HOLDING).update(
                status="cancelled", active_key=None, cancelled_at=now, cancelled_by=by_staff or "resident",
                cancel_reason=reason.strip()[:200])
            if not done:
                return False
            await store.free_place(b.slot_id)
            if by_staff is not None:
                await notify.to_resident(account_key=b.account_key, openid=b.openid, ref=f"booking:{b.id}:cancel",
                                         text=f"很抱歉，您 {catalog.slot_label(b.starts_at)} 的预约（{b.code}）"
                                              f"已由工作人员取消，原因：{reason.strip()}。如需重新预约请回复“预约”。")
            await waitlist.offer_next(slot_id=b.slot_id, now=now)
            return True

    if not await store.retrying(attempt):
        raise NotChangeable()
    return await get(b.id)


async def move(*, booking_id: int, starts_at: datetime, by_staff: str | None = None,
               now: datetime | None = None) -> Confirmation:
    """Reschedule in place (same code): take a place in the new slot, free the old one, reminders anew."""
    # function-level: waitlist imports this module (a cycle)
    from app.booking.service import waitlist

    now = (now or utcnow()).astimezone(UTC)
    b = await get(booking_id)
    if b.status not in HOLDING:
        raise NotChangeable()
    if by_staff is None:
        _check_cutoff(b, now)
    slot = await catalog.check_offered(point_code=b.point_code, service_code=b.service_code, starts_at=starts_at,
                                       now=now)
    if slot is None:
        raise SlotNotOffered()
    if slot.starts_at == b.starts_at:
        return await confirmation(b, created=False)
    new_row = await store.slot_row(point_code=b.point_code, service_code=b.service_code, starts_at=slot.starts_at)
    old_slot_id = b.slot_id

    async def attempt() -> None:
        async with in_transaction():
            await store.lock_person(b.phone_hash)
            # slot rows in id order: two moves in opposite directions cannot deadlock
            for sid in sorted((new_row.id, old_slot_id)):
                if sid == new_row.id:
                    if not await store.take_place(new_row.id, slot.capacity):
                        raise SlotFull()
                else:
                    await store.free_place(old_slot_id)
            done = await Booking.filter(id=b.id, status__in=HOLDING, slot_id=old_slot_id).update(
                slot_id=new_row.id, starts_at=slot.starts_at, ends_at=slot.ends_at,
                active_key=f"{new_row.id}:{b.phone_hash}", reminded_day_at=None, reminded_soon_at=None)
            if not done:
                raise NotChangeable()
            moved = await get(b.id)
            await schedule_reminders(moved, now)
            if by_staff is not None:
                await notify.to_resident(account_key=b.account_key, openid=b.openid,
                                         ref=f"booking:{b.id}:move:{int(slot.starts_at.timestamp())}",
                                         text=f"您的预约（{b.code}）已由工作人员改到 {catalog.slot_label(slot.starts_at)}，"
                                              "地点不变。如不方便请回复“取消预约 " + b.code + "”。")
            await waitlist.offer_next(slot_id=old_slot_id, now=now)

    try:
        await store.retrying(attempt)
    except SlotFull:
        raise await full_error(b.point_code, b.service_code, slot.starts_at, now) from None
    except IntegrityError:
        raise NotChangeable("您在该时段已有预约。") from None
    return await confirmation(await get(b.id))


# ---- at the desk ----

async def check_in(*, code: str, scope: Any, staff_name: str, now: datetime | None = None) -> Booking:
    """Check in by the code the resident reads out; publishes ``booking.checked_in`` (surveys, cases)."""
    now = (now or utcnow()).astimezone(UTC)
    b = await Booking.filter(code=(code or "").strip().upper()).first()
    if b is None or not scope.allows(b.unit_code):
        raise BookingNotFound("没有找到该预约码（或不属于您的服务点）。")
    if b.status == "checked_in":
        return b
    if b.status not in HOLDING and b.status != "no_show":
        raise NotChangeable(f"该预约{STATUS_ZH.get(b.status, b.status)}，不能签到。")
    if to_local(b.starts_at).date() != to_local(now).date():
        raise NotChangeable(f"该预约在 {catalog.slot_label(b.starts_at)}，不是今天。")
    async with in_transaction():
        done = await Booking.filter(id=b.id, status__in=("booked", "no_show")).update(
            status="checked_in", checked_in_at=now, no_show_at=None)
        if done:
            await events.publish("booking.checked_in", booking_id=b.id, code=b.code, service_code=b.service_code,
                                 point_code=b.point_code, unit_code=b.unit_code, resident_id=b.resident_id,
                                 account_key=b.account_key, openid=b.openid, board_code=b.board_code,
                                 starts_at=b.starts_at.isoformat(), staff=staff_name)
    return await get(b.id)


async def mark_no_shows(*, now: datetime | None = None, grace_minutes: int = 30) -> int:
    """Bookings still "booked" after their end plus a grace period become "no_show" (place kept counted)."""
    now = (now or utcnow()).astimezone(UTC)
    rows = await Booking.filter(status="booked", ends_at__lt=now - timedelta(minutes=grace_minutes)).values_list(
        "id", flat=True)
    n = 0
    for bid in rows:
        n += await Booking.filter(id=bid, status="booked").update(status="no_show", no_show_at=now, active_key=None)
    return n


async def day_list(*, scope: Any, point_code: str, day: Any) -> list[Booking]:
    """One point's bookings of a local day (the morning's printable list), in time order."""
    start = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
    qs = Booking.filter(point_code=point_code, starts_at__gte=start, starts_at__lt=start + timedelta(days=1),
                        status__in=("booked", "checked_in", "no_show"))
    return await scope.apply(qs, "unit_code").order_by("starts_at", "id")


async def slot_taken(slot_id: int) -> int:
    return int((await BookingSlot.get(id=slot_id)).taken)


async def count_by_board(*, board_codes: list[str] | None, since: datetime | None,
                         until: datetime | None) -> dict[str, int]:
    """Bookings made after a board's scan (booking carries the board), per board (the scan analytics)."""
    qs = Booking.filter(board_code__isnull=False)
    if board_codes is not None:
        qs = qs.filter(board_code__in=board_codes)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    out: dict[str, int] = {}
    for code in await qs.values_list("board_code", flat=True):
        out[str(code)] = out.get(str(code), 0) + 1
    return out
