"""The booking dialogue in the chat: service → point (nearest first) → day → slot → name → phone →
description → confirm, with numbered replies. The step and the answers so far live in the engine's
dialogue state (persisted after every turn), so the resident may leave and come back within its
lifetime and continue where they were. Channel-neutral: takes text, returns text."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.booking.service import bookings, catalog, waitlist
from app.booking.service.errors import SlotFull, SlotNotOffered, TooManyBookings
from app.config import get_settings
from app.core import pii, pii_text
from app.core.clock import LOCAL_TZ, utcnow
from app.errors import FawuError, InvalidInput
from app.org import service as org

PREFIX = "booking:"
TTL_MINUTES = 24 * 60  # the resident may finish tomorrow
EXIT_WORDS = ("退出", "取消", "算了", "结束", "不约了")
MAX_POINTS = 6
MAX_DAYS = 7
HINT = "回复数字选择，回复“退出”结束预约。"


@dataclass
class Turn:
    """One answer of the dialogue: the text, and the next state (None: the dialogue ends)."""

    text: str
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _pick(text: str, n: int) -> int | None:
    t = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if t.isdigit() and 1 <= int(t) <= n:
        return int(t) - 1
    return None


def _numbered(items: list[str]) -> str:
    return "\n".join(f"{i + 1}. {s}" for i, s in enumerate(items))


async def _community_of(board_code: str | None, community_code: str | None) -> str | None:
    if board_code:
        board = await org.find_board(board_code)
        if board is not None:
            return str(board.community.code)
    return community_code


async def start(*, board_code: str | None = None, community_code: str | None = None) -> Turn:
    rows = await catalog.services()
    if not rows:
        return Turn("预约服务暂未开放，请拨打 12348 咨询。")
    data = {"nonce": secrets.token_hex(6), "services": [s.code for s in rows], "board": board_code,
            "community": await _community_of(board_code, community_code)}
    return Turn("您好，欢迎预约公共法律服务。请选择要办理的事项：\n" + _numbered([s.name for s in rows]) + "\n" + HINT,
                PREFIX + "service", data)


async def _ask_point(data: dict[str, Any]) -> Turn:
    points = (await catalog.points_near(community_code=data.get("community")))[:MAX_POINTS]
    data["points"] = [p.code for p in points]
    lines = [f"{p.name}（{p.address}）" for p in points]
    return Turn("请选择服务点（离您最近的排在前面）：\n" + _numbered(lines) + "\n" + HINT, PREFIX + "point", data)


async def _ask_day(data: dict[str, Any]) -> Turn:
    free = await catalog.free_slots(point_code=data["point"], service_code=data["service"])
    days: dict[date, int] = {}
    for s in free:
        d = s.starts_at.astimezone(LOCAL_TZ).date()
        days[d] = days.get(d, 0) + s.left
    if not days:
        point = await catalog.point(data["point"])
        turn = await _ask_point(data)
        return Turn(f"{point.name}近期暂无可预约的时段，请换一个服务点。\n" + turn.text, turn.state, turn.data)
    chosen = sorted(days)[:MAX_DAYS]
    data["days"] = [d.isoformat() for d in chosen]
    lines = [f"{d.month}月{d.day}日 {catalog.WEEKDAY_ZH[d.weekday()]}（可约 {days[d]} 人）" for d in chosen]
    return Turn("请选择日期：\n" + _numbered(lines) + "\n" + HINT, PREFIX + "day", data)


async def _ask_slot(data: dict[str, Any], *, intro: str = "请选择时间：") -> Turn:
    day = date.fromisoformat(data["day"])
    free = await catalog.free_slots(point_code=data["point"], service_code=data["service"], days=[day])
    if not free:
        turn = await _ask_day(data)
        return Turn("这一天的名额刚刚约满了。" + turn.text, turn.state, turn.data)
    data["slots"] = [s.key for s in free]
    lines = [f"{s.starts_at.astimezone(LOCAL_TZ):%H:%M}（剩 {s.left} 个名额）" for s in free]
    return Turn(intro + "\n" + _numbered(lines) + "\n" + HINT, PREFIX + "slot", data)


def _summary(data: dict[str, Any], svc_name: str, point_name: str) -> str:
    starts = catalog.parse_slot_key(data["slot"])
    return (f"请核对：\n事项：{svc_name}\n地点：{point_name}\n时间：{catalog.slot_label(starts)}\n"
            f"姓名：{data['name']}\n电话：{pii.mask_phone(data['phone'])}\n"
            + (f"事项说明：{data['desc']}\n" if data.get("desc") else "")
            + "1. 确认预约\n2. 重新选择时间\n回复“退出”放弃本次预约。")


async def _ask_confirm(data: dict[str, Any]) -> Turn:
    svc = await catalog.get_service(data["service"])
    point = await catalog.point(data["point"])
    text = _summary(data, svc.name, point.name)
    if svc.checklist:
        text = "办理" + svc.name + "请带齐：" + "；".join(svc.checklist) + "。\n" + text
    return Turn(text, PREFIX + "confirm", data)


async def step(*, state: str, data: dict[str, Any], text: str, account_key: str, openid: str,
               resident_id: int | None) -> Turn:
    """One turn of the dialogue in state ``state`` with the resident's ``text``."""
    text = (text or "").strip()
    name = state[len(PREFIX):]
    if text in EXIT_WORDS:
        return Turn("已退出预约。需要时回复“预约”即可重新开始。")
    if text in ("预约", "我要预约", "预约办事"):
        return Turn("您正在预约中，接着上次的步骤继续；要重新开始请先回复“退出”。\n"
                    + (await _reprompt(name, data)).text, state, data)
    if name == "service":
        i = _pick(text, len(data["services"]))
        if i is None:
            return await _reprompt(name, data, bad=True)
        data["service"] = data["services"][i]
        return await _ask_point(data)
    if name == "point":
        i = _pick(text, len(data["points"]))
        if i is None:
            return await _reprompt(name, data, bad=True)
        data["point"] = data["points"][i]
        return await _ask_day(data)
    if name == "day":
        i = _pick(text, len(data["days"]))
        if i is None:
            return await _reprompt(name, data, bad=True)
        data["day"] = data["days"][i]
        return await _ask_slot(data)
    if name == "slot":
        if text == "0" and data.get("full_slot"):
            return await _join_waitlist(data, account_key=account_key, openid=openid, resident_id=resident_id)
        i = _pick(text, len(data["slots"]))
        if i is None:
            return await _reprompt(name, data, bad=True)
        data["slot"] = data["slots"][i]
        data.pop("full_slot", None)
        if data.get("phone"):
            return await _ask_confirm(data)
        return Turn("请回复预约人的姓名：", PREFIX + "name", data)
    if name == "name":
        try:
            data["name"] = bookings.clean_name(text)
        except InvalidInput as exc:
            return Turn(exc.message_zh + "请回复预约人的姓名：", state, data)
        return Turn("请回复联系手机号（仅用于本次预约的联系和提醒，加密保存）：", PREFIX + "phone", data)
    if name == "phone":
        try:
            data["phone"] = pii.normalize_phone(text)
        except InvalidInput as exc:
            return Turn(exc.message_zh, state, data)
        return Turn("请用一两句话说明要办理的事情（100字以内，便于工作人员准备）；不想说明请回复“无”。\n"
                    "请勿发送身份证号等敏感信息。", PREFIX + "desc", data)
    if name == "desc":
        data["desc"] = "" if text in ("无", "没有", "不用") else pii_safe(text)[:100]
        return await _ask_confirm(data)
    if name == "confirm":
        if text == "2":
            return await _ask_day(data)
        if text != "1" and text not in ("确认", "确定", "好"):
            return await _reprompt(name, data, bad=True)
        return await _book(data, account_key=account_key, openid=openid, resident_id=resident_id)
    return Turn("预约已过期，请回复“预约”重新开始。")


def pii_safe(text: str) -> str:
    """The description as stored: phone, ID and bank card numbers typed into it are masked."""
    return pii_text.mask_text(text)


async def _reprompt(name: str, data: dict[str, Any], *, bad: bool = False) -> Turn:
    prefix = "没有看懂您的选择。" if bad else ""
    if name == "service":
        rows = await catalog.services()
        turn = Turn("请选择要办理的事项：\n" + _numbered([s.name for s in rows if s.code in data["services"]])
                    + "\n" + HINT, PREFIX + "service", data)
    elif name == "point":
        turn = await _ask_point(data)
    elif name == "day":
        turn = await _ask_day(data)
    elif name == "slot":
        turn = await _ask_slot(data)
    elif name == "confirm":
        turn = await _ask_confirm(data)
    else:
        turn = Turn("请按提示回复。", PREFIX + name, data)
    return Turn(prefix + turn.text, turn.state, turn.data)


async def _book(data: dict[str, Any], *, account_key: str, openid: str, resident_id: int | None) -> Turn:
    try:
        conf = await bookings.book(
            point_code=data["point"], service_code=data["service"], starts_at=catalog.parse_slot_key(data["slot"]),
            name=data["name"], phone=data["phone"], description=data.get("desc", ""),
            channel="chat", request_key=f"chat:{account_key}:{openid}:{data['nonce']}"[:80],
            account_key=account_key, openid=openid, resident_id=resident_id, board_code=data.get("board"))
    except SlotFull as exc:
        nxt = exc.details.get("next") or []
        data["full_slot"] = data["slot"]
        if not nxt:
            return Turn(exc.message_zh + "\n回复 0 加入候补（有人取消时为您保留名额），回复“退出”结束。",
                        PREFIX + "slot", {**data, "slots": []})
        data["slots"] = [n["slot"] for n in nxt]
        return Turn(f"已约满：{catalog.slot_label(catalog.parse_slot_key(data['slot']))} 的名额刚被约完。"
                    "可改约以下时间：\n" + _numbered([n["label"] for n in nxt])
                    + "\n回复 0 加入该时段的候补。" + HINT, PREFIX + "slot", data)
    except (SlotNotOffered, TooManyBookings) as exc:
        if isinstance(exc, TooManyBookings):
            return Turn(exc.message_zh + "回复“我的预约”查看。")
        turn = await _ask_day(data)
        return Turn(exc.message_zh + "\n" + turn.text, turn.state, turn.data)
    return Turn(conf.text())


async def _join_waitlist(data: dict[str, Any], *, account_key: str, openid: str, resident_id: int | None) -> Turn:
    try:
        w = await waitlist.join(point_code=data["point"], service_code=data["service"],
                                starts_at=catalog.parse_slot_key(data["full_slot"]), name=data["name"],
                                phone=data["phone"], description=data.get("desc", ""), account_key=account_key,
                                openid=openid, resident_id=resident_id, board_code=data.get("board"))
    except FawuError as exc:
        return Turn(exc.message_zh)
    if w.status == "offered":
        return Turn("正好有名额空出，已为您保留。回复“确认候补”完成预约。")
    pos = await waitlist.position(w.id)
    return Turn(f"已加入候补，您排在第 {pos} 位。有人取消时会第一时间通知您，并为您保留名额 "
                f"{get_settings().booking_hold_minutes} 分钟。")


async def my_bookings(*, openid: str) -> str:
    rows = await bookings.of_resident(openid=openid, now=utcnow())
    if not rows:
        return "您目前没有待办理的预约。回复“预约”开始预约。"
    lines = []
    for b in rows:
        conf = await bookings.confirmation(b, created=False)
        lines.append(f"{b.code}｜{conf.service_name}｜{conf.when}｜{conf.point_name}")
    return "您的预约：\n" + "\n".join(lines) + "\n取消请回复“取消预约 预约码”。"


async def cancel_by_chat(*, code: str, openid: str) -> str:
    b = await bookings.find(code=code, openid=openid)
    await bookings.cancel(booking_id=b.id)
    return f"已取消预约 {b.code}（{catalog.slot_label(b.starts_at)}）。需要时回复“预约”重新预约。"


async def claim_by_chat(*, openid: str) -> str:
    conf = await waitlist.claim(openid=openid)
    return conf.text()
