"""The mini-program's booking (预约) and rating (服务评价) for the resident of the session, on the booking
and surveys domains' service functions; and the resident's official-account identity (joined by
unionid), which cases and bookings made in the mini-program carry so results, replies and reminders
also reach the resident in the official account's chat."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.booking import service as booking_service
from app.cases import service as cases_service
from app.config import get_settings
from app.core.clock import utcnow
from app.errors import NotFound
from app.matrix.service import get_matrix
from app.residents import service as residents_service
from app.surveys import service as surveys_service


class MpBookingNotFound(NotFound):
    code = "mp_booking_not_found"
    message_zh = "没有找到这个预约。请核对预约码，或在“我的预约”中查看。"


class MpRatingNotFound(NotFound):
    code = "mp_rating_not_found"
    message_zh = "没有找到这条评价邀请。"


# ---- who the resident is on WeChat ----

async def openids(resident_id: int) -> list[str]:
    """Every openid of the resident (the mini-program's and each official account's)."""
    return [str(i["openid"]) for i in await residents_service.identities(resident_id)]


async def official_identity(resident_id: int) -> tuple[str, str] | None:
    """The official account (key, openid) where the resident can be reached: one they follow, the
    account of their township first, then the one they used last; None when they follow none (or the
    mini-program and the accounts are not bound to one Open Platform account, so no unionid joined them)."""
    try:
        matrix = get_matrix()
    except RuntimeError:
        return None
    r = await residents_service.get_resident(resident_id)
    own = matrix.for_unit(r.township_code) if r.township_code else None
    rows = []
    for i in await residents_service.identities(resident_id):
        acc = matrix.get(str(i["account_key"]))
        if acc is None or acc.is_miniprogram or not i["following"]:
            continue
        last = i["last_interaction_at"]
        rows.append((own is not None and acc.key == own.key, last.timestamp() if last else 0.0,
                     acc.key, str(i["openid"])))
    if not rows:
        return None
    best = max(rows)
    return best[2], best[3]


async def link_open_cases(*, resident_id: int) -> int:
    """Open cases the resident made in the mini-program before an official-account identity was known
    now carry it (replies and the result reach that chat too); how many were linked."""
    oa = await official_identity(resident_id)
    if oa is None:
        return 0
    n = 0
    for case in await cases_service.open_cases_for_resident(resident_id=resident_id):
        if case.channel == "miniprogram" and not case.openid:
            await cases_service.link_wechat(case_id=case.id, account_key=oa[0], openid=oa[1])
            n += 1
    return n


# ---- booking ----

async def booking_services() -> list[dict[str, Any]]:
    return [{"code": s.code, "name": s.name, "duration": s.duration, "providers": s.providers,
             "documents": list(s.documents), "checklist": list(s.checklist), "legal_basis": s.legal_basis}
            for s in await booking_service.services()]


async def booking_points(*, community_code: str | None) -> list[dict[str, Any]]:
    return [{"code": p.code, "name": p.name, "kind": p.kind,
             "kind_zh": booking_service.POINT_KIND_ZH.get(p.kind, ""), "address": p.address, "phone": p.phone,
             "map_url": p.map_url} for p in await booking_service.points_near(community_code=community_code)]


async def booking_slots(*, point: str, service: str) -> list[dict[str, Any]]:
    """Free slots, grouped by local day for the page (a day heading, then its times)."""
    rows = await booking_service.free_slots(point_code=point, service_code=service)
    return [{"slot": s.key, "label": s.label, "day": s.label.split(" ")[0] if " " in s.label else s.label,
             "left": s.left, "provisional": s.provisional} for s in rows]


def _changeable(b: Any) -> bool:
    cutoff = timedelta(minutes=get_settings().booking_cancel_cutoff_minutes)
    return bool(b.status == "booked" and b.starts_at - utcnow() >= cutoff)


async def _booking_out(b: Any, *, created: bool = False) -> dict[str, Any]:
    try:
        out = (await booking_service.confirmation(b, created=created)).as_json()
    except NotFound:  # its service or point was retired since: the booking still shows, plainly
        out = {"code": b.code, "status": b.status, "status_zh": booking_service.STATUS_ZH.get(b.status, b.status),
               "service": b.service_code, "point": b.point_code, "address": "", "point_phone": "", "map_url": "",
               "starts_at": b.starts_at.isoformat(), "ends_at": b.ends_at.isoformat(),
               "local_time": booking_service.slot_label(b.starts_at), "documents": [], "legal_basis": "",
               "name": b.name, "phone": b.phone_masked}
    out.update(can_change=_changeable(b), created=created, point_code=b.point_code, service_code=b.service_code,
               upcoming=b.status == "booked" and b.starts_at > utcnow())
    return out


async def _recent_board(account_key: str, openid: str) -> str | None:
    """The board whose code opened the mini-program within the last week (the scan analytics count
    bookings made after a board's scan)."""
    link = await residents_service.find_identity(account_key=account_key, openid=openid)
    if link is None or not link.last_board_code or link.last_board_at is None:
        return None
    return link.last_board_code if utcnow() - link.last_board_at <= timedelta(days=7) else None


async def book(*, resident_id: int, mp_openid: str, point: str, service: str, slot: str, name: str,
               phone: str, description: str = "", checklist: list[str] | None = None,
               request_id: str | None = None, board: str | None = None, mp_account_key: str = "") -> dict[str, Any]:
    """Book for the resident. The booking carries their official-account identity when they follow one
    (reminders and a staff cancellation reach that chat), and the board they scanned lately; the same
    ``request_id`` gives the same booking."""
    oa = await official_identity(resident_id)
    board = board or (await _recent_board(mp_account_key, mp_openid) if mp_account_key else None)
    conf = await booking_service.book(
        point_code=point, service_code=service, starts_at=booking_service.parse_slot_key(slot), name=name,
        phone=phone, description=description, checklist=checklist or [], channel="api",
        request_key=f"mp:{resident_id}:{request_id}" if request_id else None,
        account_key=oa[0] if oa else None, openid=oa[1] if oa else None, resident_id=resident_id,
        board_code=board or None)
    b = await booking_service.find_for_resident(code=conf.code, resident_id=resident_id,
                                                openids=[mp_openid, *await openids(resident_id)])
    return await _booking_out(b, created=conf.created)


# Reminders: booking schedules them in the booking's own transaction and asks (booking.reminder_channels_requested)
# whether the resident allowed the mini-program's subscribe message; app.mp_api.subscribers answers and sends.


async def my_bookings(*, resident_id: int) -> list[dict[str, Any]]:
    rows = await booking_service.of_resident_id(resident_id=resident_id, openids=await openids(resident_id))
    out = [await _booking_out(b) for b in rows]
    return [o for o in out if o["upcoming"]] + [o for o in reversed(out) if not o["upcoming"]]


async def _mine(resident_id: int, code: str) -> Any:
    try:
        return await booking_service.find_for_resident(code=code, resident_id=resident_id,
                                                       openids=await openids(resident_id))
    except NotFound as exc:
        raise MpBookingNotFound() from exc


async def booking(*, resident_id: int, code: str) -> dict[str, Any]:
    return await _booking_out(await _mine(resident_id, code))


async def cancel_booking(*, resident_id: int, code: str) -> dict[str, Any]:
    b = await _mine(resident_id, code)
    return await _booking_out(await booking_service.cancel(booking_id=b.id))


async def move_booking(*, resident_id: int, code: str, slot: str) -> dict[str, Any]:
    b = await _mine(resident_id, code)
    await booking_service.move(booking_id=b.id, starts_at=booking_service.parse_slot_key(slot))
    moved = await booking_service.get(b.id)
    return await _booking_out(moved)


# ---- rating (好差评) ----

async def ratings(*, resident_id: int) -> list[dict[str, Any]]:
    return await surveys_service.invitations_of_resident(resident_id=resident_id, openids=await openids(resident_id))


async def rating(*, resident_id: int, invitation_id: int) -> dict[str, Any]:
    try:
        return await surveys_service.invitation_of_resident(resident_id=resident_id, invitation_id=invitation_id,
                                                            openids=await openids(resident_id))
    except NotFound as exc:
        raise MpRatingNotFound() from exc


RESULT_ZH = {"new": "感谢您的评价！", "same": "您已评价过，感谢！", "corrected": "已为您更正评价。",
             "answers": "已补充您的意见，感谢！"}


async def rate(*, resident_id: int, invitation_id: int, level: int, answers: dict[str, Any]) -> dict[str, Any]:
    """Rate one of the resident's own finished services (5 levels; 4 and 5 open a rectification case)."""
    await rating(resident_id=resident_id, invitation_id=invitation_id)  # scoped: another's is "not found"
    resp, result = await surveys_service.answer(invitation_id=invitation_id, level=level, answers=answers,
                                                via="miniprogram")
    message = RESULT_ZH.get(result, "感谢您的评价！")
    if resp.level in surveys_service.BAD and result in ("new", "corrected"):
        message += "我们会尽快联系您了解情况并整改。"
    return {"result": result, "message": message,
            "rating": await rating(resident_id=resident_id, invitation_id=invitation_id)}
