"""The engine's own WeChat handlers: welcome on subscribe, the hotline menu key, recorded events."""

from __future__ import annotations

import logging

from app.config import get_settings
from app.matrix.service import get_matrix
from app.wechat.router import NO_REPLY, Inbound, Reply, TextReply, router

log = logging.getLogger("fawu.wechat.inbound")

HOTLINE_KEY = "info:hotline"
DEFAULT_WELCOME = "欢迎关注！发送文字或语音向法律咨询机器人提问，回复“转人工”联系工作人员。公共法律服务热线：{hotline}。"
# Events that are only recorded (the inbound row); other domains may still answer them.
RECORDED_EVENTS = ("location", "view", "masssendjobfinish", "templatesendjobfinish",
                   "subscribe_msg_popup_event", "subscribe_msg_change_event", "subscribe_msg_sent_event")


def welcome_text(account_key: str) -> str:
    acc = get_matrix().get(account_key)
    text = acc.welcome_text if acc is not None else ""
    return text or DEFAULT_WELCOME.format(hotline=get_settings().hotline)


@router.on_event("subscribe")
async def on_subscribe(inbound: Inbound) -> Reply | None:
    """A new follower (by search, or by a scene no other domain answered): the account's welcome."""
    return TextReply(welcome_text(inbound.account_key))


@router.on_event("unsubscribe")
async def on_unsubscribe(inbound: Inbound) -> Reply | None:
    """Follow status is kept by the engine; WeChat shows nothing to someone who left."""
    return NO_REPLY


@router.on_menu(HOTLINE_KEY)
async def on_hotline(inbound: Inbound) -> Reply | None:
    s = get_settings()
    return TextReply(f"公共法律服务热线：{s.hotline}（24小时）\n工作人员在线时间：{_hours_zh(s.staff_hours)}\n"
                     "也可以直接发文字或语音向我们提问。")


def _hours_zh(spec: str) -> str:
    days = {"mon-fri": "周一至周五", "mon-sat": "周一至周六", "mon-sun": "每天"}
    head, _, times = spec.partition(" ")
    return f"{days.get(head, head)} {times.replace(',', '、')}".strip()


def _recorder(event: str) -> None:
    @router.on_event(event)
    async def record(inbound: Inbound) -> Reply | None:
        log.info("wechat event recorded: account=%s event=%s id=%s", inbound.account_key, event,
                 inbound.message_id)
        return None  # declined: the row is the record; the answer is success unless others reply

    record.__name__ = f"record_{event}"


for _event in RECORDED_EVENTS:
    _recorder(_event)
