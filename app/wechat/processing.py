"""Handling a stored message: identity, window and dialogue, the router, waiting answers, the stored outcome."""

from __future__ import annotations

import functools
import logging
from typing import Any

from app.config import get_settings
from app.core import afterreply, metrics
from app.errors import FawuError, wechat_text
from app.jobs import service as jobs
from app.matrix.service import Account
from app.residents import service as residents
from app.wechat import delivery, service, windows
from app.wechat.replies import render_reply, split_text
from app.wechat.router import NO_REPLY, Inbound, InboundRouter, NewsReply, Reply, TextReply

log = logging.getLogger("fawu.wechat.callback")

# Which interaction each inbound opens for the customer-service window (app.wechat.windows).
INTERACTION = {"click": "click", "scancode_push": "click", "scancode_waitmsg": "click",
               "subscribe": "subscribe", "scan": "scan"}




async def _prepare(acc: Account, inbound: Inbound, router: InboundRouter) -> int:
    """Identity, follow status, window, dialogue state; returns the count of waiting answers.

    For a known resident one statement reads the identity, the resident, the dialogue row and the
    handlers' identity facts (e.g. the open case)."""
    event = inbound.event
    if event in ("subscribe", "unsubscribe"):
        link = await residents.set_following(account_key=acc.key, openid=inbound.openid,
                                             following=event == "subscribe")
        if event == "subscribe":
            await jobs.enqueue("wechat.fetch_user_info", {"account_key": acc.key, "openid": inbound.openid},
                               dedupe_key=f"wechat.fetch_user_info:{acc.key}:{inbound.openid}:{inbound.message_id}")
    else:
        facts = {**router.facts, **service.DIALOGUE_FACTS}
        link = await residents.ensure_identity(account_key=acc.key, openid=inbound.openid, facts=facts)
        if hasattr(link, "dlg_updated_at"):  # read with its facts (a link of another kind of caller has none)
            inbound.facts = {name: getattr(link, name) for name in facts}
            inbound.facts["resident"] = link.resident
    inbound.resident_id = link.resident_id  # type: ignore[attr-defined]
    inbound.board_code = link.last_board_code
    kind = "message" if inbound.kind != "event" else INTERACTION.get(event or "")
    if kind is not None:  # the customer-service window: opened once the answer is out (nothing sent before)
        await afterreply.after_reply("wechat.window", functools.partial(
            windows.record_interaction, account_key=acc.key, openid=inbound.openid, kind=kind))
    inbound.state, pending = await service.load_dialogue(account_key=acc.key, openid=inbound.openid,
                                                         facts=inbound.facts or None)
    return pending


async def _dispatch(inbound: Inbound, router: InboundRouter) -> Reply:
    try:
        return await router.dispatch(inbound)
    except Exception as exc:  # a domain error gets its Chinese message; anything else "busy"
        unexpected = not isinstance(exc, FawuError)
        metrics.caught("wechat.handler" if unexpected else "wechat.handler.domain", log,
                       "wechat handler failed: account=%s kind=%s event=%s", inbound.account_key, inbound.kind,
                       inbound.event, level=logging.ERROR if unexpected else logging.INFO)
        return TextReply(wechat_text(exc)) if inbound.kind != "event" or inbound.event == "click" else NO_REPLY


async def process(acc: Account, inbound: Inbound, router: InboundRouter) -> str:
    """Everything after persistence; stores the outcome. Returns the plain reply XML ('' = success)."""
    pending = await _prepare(acc, inbound, router)
    reply = await _dispatch(inbound, router)
    if inbound.state.dirty:
        await service.save_dialogue(account_key=acc.key, openid=inbound.openid, state=inbound.state,
                                    row_exists=inbound.facts.get("dlg_updated_at", True) is not None)
    reply, rest = await _with_pending(acc, inbound, reply, pending)
    after_message = inbound.kind != "event"
    xml, bot_text = render_reply(acc, inbound.openid, reply, after_message=after_message)
    outcome: dict[str, Any] = {"reply_xml": xml, "reply_text": bot_text or "", "resident_id": inbound.resident_id,
                               "board_code": inbound.board_code}
    if not await service.finish_inbound(inbound_id=inbound.message_id or 0, status="done", only_if="processing",
                                        **outcome):
        # over budget: "answered" (a retry still gets success; the answer goes out by delivery once)
        if not await service.finish_inbound(inbound_id=inbound.message_id or 0, status="answered",
                                            only_if=("deferred", "redoing"), **outcome):
            return xml  # another run stored (and delivers) the answer: this one is dropped whole
    if rest:  # one job for the parts, in order; keyed on the message, so a recovered run adds none
        await jobs.enqueue("wechat.send_text", {"account_key": acc.key, "openid": inbound.openid, "texts": rest,
                                                "inbound_id": inbound.message_id},
                           dedupe_key=f"wechat.send_text:{inbound.message_id}")
    return xml


async def _with_pending(acc: Account, inbound: Inbound, reply: Reply, pending: int) -> tuple[Reply, list[str]]:
    """Merge waiting answers into a text reply; split a long text. Returns (reply, later parts)."""
    texts: list[str] = []
    if pending > 0 and not isinstance(reply, NewsReply):
        rows = await service.pending_for(account_key=acc.key, openid=inbound.openid)
        news_waiting = False
        for p in rows:
            if p.kind == "text":
                if await service.mark_delivered(pending_id=p.id, via="passive"):
                    texts.append(str(p.payload.get("text", "")))
                    await delivery.delivered(pending=p)
            else:
                news_waiting = True
        if news_waiting:
            await jobs.enqueue("wechat.flush_pending", {"account_key": acc.key, "openid": inbound.openid})
    elif pending > 0:
        await jobs.enqueue("wechat.flush_pending", {"account_key": acc.key, "openid": inbound.openid})
    if isinstance(reply, TextReply):
        texts.append(reply.content)
    if not texts:
        return reply, []
    parts = split_text("\n\n".join(texts), get_settings().wechat_max_text_bytes)
    return TextReply(parts[0]), parts[1:]
