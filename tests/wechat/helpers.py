"""Test helpers for the WeChat engine: a simulator bound to the in-process app, test handlers."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from app.emulator.simulator import CallbackSimulator
from app.matrix.service import get_matrix
from app.wechat.router import Article, Inbound, NewsReply, Reply, TextReply, router

PLAIN, SAFE, COMPAT = "yx_jiedao", "yx_district", "yx_taoyuan"
CALLS: dict[str, int] = {}


def sim(client: httpx.AsyncClient, account_key: str, **kw: Any) -> CallbackSimulator:
    return CallbackSimulator(get_matrix().get(account_key), base_url=str(client.base_url).rstrip("/"),
                             client=client, **kw)


def _count(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


# Handlers with unique patterns/keys on the shared router (nothing else matches them).
@router.on_text(r"^ZZT-echo ", priority=0)
async def _echo(inbound: Inbound) -> Reply | None:
    _count(f"echo:{inbound.openid}")
    return TextReply("回声：" + (inbound.text or "")[len("ZZT-echo "):])


@router.on_text(r"^ZZT-slow ", priority=0)
async def _slow(inbound: Inbound) -> Reply | None:
    _count(f"slow:{inbound.openid}")
    await asyncio.sleep(float((inbound.text or "").split()[1]))
    return TextReply("慢答复：" + (inbound.text or "").split()[2])


@router.on_text(r"^ZZT-long$", priority=0)
async def _long(inbound: Inbound) -> Reply | None:
    return TextReply("\n".join(f"第{i}条：法律援助申请需要身份证明、经济困难证明和案件材料。" for i in range(120)))


@router.on_text(r"^ZZT-news$", priority=0)
async def _news_text(inbound: Inbound) -> Reply | None:
    return NewsReply([Article(title=f"文章{i}", url=f"https://example.org/{i}") for i in range(10)])


@router.on_menu("zzt:news")
async def _news_menu(inbound: Inbound) -> Reply | None:
    return NewsReply([Article(title=f"文章{i}", url=f"https://example.org/{i}") for i in range(10)])


@router.on_text(r"^ZZT-boom$", priority=0)
async def _boom(inbound: Inbound) -> Reply | None:
    raise RuntimeError("handler bug")


@router.on_text(r"^ZZT-dlg start$", priority=0)
async def _dlg_start(inbound: Inbound) -> Reply | None:
    inbound.state.set("zzt_dlg", {"step": 1})
    return TextReply("请问您的姓名？")


@router.on_dialogue("zzt_dlg")
async def _dlg(inbound: Inbound) -> Reply | None:
    step = int(inbound.state.data.get("step", 1))
    if step >= 2:
        name = inbound.state.data.get("name", "")
        inbound.state.clear()
        return TextReply(f"完成：{name}，{inbound.text}")
    inbound.state.set("zzt_dlg", {"step": 2, "name": inbound.text})
    return TextReply("请问您的电话？")


@router.on_text(r"^ZZT-ctrl$", priority=0)
async def _ctrl(inbound: Inbound) -> Reply | None:
    """What an LLM sometimes writes: vertical tab and backspace inside the answer."""
    return TextReply("第一条\x0b建议：先协商\x08。\x00再申请仲裁\ufffe。")


FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466"  # one grapheme, 25 UTF-8 bytes


@router.on_text(r"^ZZT-emoji$", priority=0)
async def _emoji(inbound: Inbound) -> Reply | None:
    return TextReply("家" + FAMILY * 300 + "🇨🇳" * 40)
