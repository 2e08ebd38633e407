"""The WeChat engine's persistence: inbound rows, dialogue state, pending deliveries, conversation()."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from app.core import pii_text, redisclient
from app.core.clock import utcnow
from app.db import insert_row, update_where
from app.errors import FawuError, NotFound
from app.jobs import service as jobs
from app.wechat.models import ChatLog, DialogueStateRow, InboundMessage, PendingDelivery
from app.wechat.outbound_models import WechatMassRecipient, WechatWindow
from app.wechat.router import DialogueState


class WeChatEngineError(FawuError):
    code = "wechat_error"
    message_zh = "微信消息处理失败，请稍后再试。"


class UnknownAccount(NotFound):
    code = "wechat_unknown_account"
    message_zh = "没有这个公众号。"


class InboundNotFound(NotFound):
    code = "wechat_inbound_not_found"
    message_zh = "没有找到这条微信消息。"


# ---- de-duplication and persistence ----


def dedup_key(fields: dict[str, Any]) -> str:
    """WeChat's retry identity: MsgId for messages; From+CreateTime+Event+EventKey for events."""
    msg_id = fields.get("MsgId") or fields.get("MsgID")
    if msg_id and str(msg_id).isdigit() and fields.get("MsgType") != "event":
        return f"m:{msg_id}"
    basis = "\x1f".join(str(fields.get(k) or "") for k in ("FromUserName", "CreateTime", "Event", "EventKey",
                                                             "MsgID", "MsgId"))
    return "e:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()


async def persist_inbound(*, account_key: str, key: str, openid: str, kind: str, event: str | None,
                          event_key: str | None, msg_id: str | None, text: str | None, raw: dict[str, Any],
                          known: bool = True, status: str = "processing",
                          sig_key: str | None = None) -> InboundMessage | None:
    """One INSERT that both stores the message and claims it; None when it is a duplicate (or,
    with ``sig_key``, when that plain-mode signature already carried another message).

    Personal numbers in the text and fields are stored masked, the originals encrypted beside them
    (app.core.pii_text); ``find_inbound`` and ``get_inbound`` give them back as sent."""
    now = utcnow()
    stored_text, text_enc = pii_text.protect(text)
    stored_raw, fields_enc = pii_text.protect_fields(raw)
    values: dict[str, Any] = dict(
        account_key=account_key, dedup_key=key, openid=openid, kind=kind, event=event, sig_key=sig_key,
        event_key=(event_key[:255] if event_key else None), msg_id=msg_id, text=stored_text,
        fields_json=stored_raw, text_enc=text_enc, fields_enc=fields_enc,
        known=known, status=status, created_at=now, updated_at=now,
        reply_xml="" if status == "done" else None,
    )
    try:
        new_id = await insert_row(InboundMessage, values)  # the hot INSERT, its SQL written once
    except IntegrityError:
        return None
    row = InboundMessage(id=new_id, **values)
    row._saved_in_db = True
    return _as_sent(row)


def _as_sent(row: InboundMessage) -> InboundMessage:
    """The row with its text and fields as sent (in memory only: save it through the service's updates,
    never with ``row.save()``, or the originals would be written in clear)."""
    sent = pii_text.reveal(row.text, row.text_enc)
    if sent is not None:
        row.text = sent
    if row.fields_enc:
        row.fields_json = pii_text.reveal_fields(row.fields_json, row.fields_enc)
    return row


async def find_inbound(*, account_key: str, key: str) -> InboundMessage | None:
    row = await InboundMessage.get_or_none(account_key=account_key, dedup_key=key)
    return _as_sent(row) if row is not None else None


async def get_inbound(inbound_id: int) -> InboundMessage:
    row = await InboundMessage.get_or_none(id=inbound_id)
    if row is None:
        raise InboundNotFound()
    return _as_sent(row)


async def finish_inbound(*, inbound_id: int, status: str, reply_xml: str | None = None,
                         reply_text: str | None = None, resident_id: int | None = None,
                         board_code: str | None = None, only_if: str | tuple[str, ...] | None = None) -> bool:
    """Store the outcome (one UPDATE); ``only_if`` makes it a compare-and-set on the status."""
    where: dict[str, Any] = {"id": inbound_id}
    if only_if is not None:
        where["status"] = only_if if isinstance(only_if, str) else tuple(only_if)
    values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
    if reply_xml is not None:
        values["reply_xml"] = reply_xml
    if reply_text is not None:
        values["reply_text"] = reply_text
    if resident_id is not None:
        values["resident_id"] = resident_id
    if board_code is not None:
        values["board_code"] = board_code
    return bool(await update_where(InboundMessage, where, values))


# ---- dialogue state ----
#
# The database row (wechat_dialogue) is the truth without Redis. With ``redis_url`` set, the state
# (name, data, expiry) is kept in Redis instead, under ``fawu:dlg:<account>:<openid>``, and the row only
# counts the waiting answers (``pending``, always in the database); when Redis fails the row takes the
# state again. Whichever was written last wins (each carries when it was saved), so a dialogue saved in
# the database while Redis was down is not undone by Redis's older copy when it comes back.

DIALOGUE_KEY = "fawu:dlg:"
_ROW = "(SELECT d.{col} FROM wechat_dialogue d WHERE d.account_key = resident_account.account_key " \
       "AND d.openid = resident_account.openid)"
# the dialogue row, read in the same statement as the resident's identity (app.wechat.processing)
DIALOGUE_FACTS = {f"dlg_{col}": _ROW.format(col=col) for col in ("name", "data", "expires_at", "pending", "updated_at")}
# a row made only to count waiting answers was never a saved dialogue: older than any
_NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def _py(field: str, value: Any) -> Any:
    return DialogueStateRow._meta.fields_map[field].to_python_value(value)


def dialogue_from_facts(facts: dict[str, Any]) -> tuple[DialogueState, int, datetime]:
    """The row's state, waiting answers and save time, from the identity statement's facts."""
    if facts.get("dlg_updated_at") is None:
        return DialogueState(), 0, _NEVER
    state = DialogueState(name=facts.get("dlg_name"), data=dict(_py("data", facts.get("dlg_data")) or {}),
                          expires_at=_py("expires_at", facts.get("dlg_expires_at")))
    return state, int(facts.get("dlg_pending") or 0), _py("updated_at", facts["dlg_updated_at"])


async def load_dialogue(*, account_key: str, openid: str,
                        facts: dict[str, Any] | None = None) -> tuple[DialogueState, int]:
    """The resident's dialogue state on this account and the count of answers waiting for them
    (``facts``: the row as read with the identity, no statement of its own)."""
    if facts is not None and "dlg_updated_at" in facts:
        state, pending, saved = dialogue_from_facts(facts)
    else:
        row = await DialogueStateRow.get_or_none(account_key=account_key, openid=openid)
        if row is None:
            state, pending, saved = DialogueState(), 0, _NEVER
        else:
            state = DialogueState(name=row.name, data=dict(row.data or {}), expires_at=row.expires_at)
            pending, saved = row.pending, row.updated_at
    kept = await _redis_dialogue(account_key, openid)
    if kept is not None and kept[1] > saved:
        state = kept[0]
    return state, pending


async def _redis_dialogue(account_key: str, openid: str) -> tuple[DialogueState, datetime] | None:
    r = redisclient.client()
    if r is None:
        return None
    try:
        raw = await r.get(f"{DIALOGUE_KEY}{account_key}:{openid}")
    except Exception:
        redisclient.caught("dialogue.load")
        return None
    if not raw:
        return None
    d = json.loads(raw)
    expires = datetime.fromisoformat(d["expires_at"]) if d.get("expires_at") else None
    return DialogueState(name=d.get("name"), data=dict(d.get("data") or {}), expires_at=expires), \
        datetime.fromisoformat(d["at"])


async def save_dialogue(*, account_key: str, openid: str, state: DialogueState, row_exists: bool = True) -> None:
    """Redis when configured and up, else the row (``row_exists=False``: the caller read that there is
    none, so the INSERT is tried first)."""
    now = utcnow()
    if await _redis_save(account_key, openid, state, now):
        state.dirty = False
        return
    values: dict[str, Any] = {"name": state.name, "data": state.data, "expires_at": state.expires_at, "updated_at": now}
    n = 0 if not row_exists else await update_where(DialogueStateRow, {"account_key": account_key, "openid": openid},
                                                    values)
    if n:
        state.dirty = False
        return
    try:
        await DialogueStateRow.create(account_key=account_key, openid=openid, **values)
    except IntegrityError:
        await DialogueStateRow.filter(account_key=account_key, openid=openid).update(**values)
    state.dirty = False


async def _redis_save(account_key: str, openid: str, state: DialogueState, now: datetime) -> bool:
    r = redisclient.client()
    if r is None:
        return False
    value = json.dumps({"name": state.name, "data": state.data, "at": now.isoformat(),
                        "expires_at": state.expires_at.isoformat() if state.expires_at else None},
                       ensure_ascii=False, default=str)
    # kept a day past its expiry (a cleared state a day), so it still outranks an older row
    ttl = 86400 + max(int((state.expires_at - now).total_seconds()), 0) if state.expires_at else 86400
    try:
        await r.set(f"{DIALOGUE_KEY}{account_key}:{openid}", value, ex=ttl)
    except Exception:
        redisclient.caught("dialogue.save")
        return False
    return True


async def _redis_forget(pairs: list[tuple[str, str]]) -> None:
    """Erasure: the dialogues kept in Redis go with the rows (a Redis outage leaves them to expire)."""
    r = redisclient.client()
    if r is None or not pairs:
        return
    try:
        await r.delete(*(f"{DIALOGUE_KEY}{a}:{o}" for a, o in pairs))
    except Exception:
        redisclient.caught("dialogue.erase")


async def _bump_pending(*, account_key: str, openid: str, delta: int) -> None:
    n = await DialogueStateRow.filter(account_key=account_key, openid=openid).update(pending=F("pending") + delta)
    if n or delta < 0:
        return
    try:
        await DialogueStateRow.create(account_key=account_key, openid=openid, pending=delta, updated_at=_NEVER)
    except IntegrityError:
        await DialogueStateRow.filter(account_key=account_key, openid=openid).update(pending=F("pending") + delta)


# ---- pending deliveries ----


async def queue_pending(*, account_key: str, openid: str, kind: str, payload: dict[str, Any],
                        inbound_id: int | None = None, ref: str | None = None) -> PendingDelivery:
    row = await PendingDelivery.create(account_key=account_key, openid=openid, kind=kind, payload=payload,
                                       inbound_id=inbound_id, created_at=utcnow(), ref=ref)
    await _bump_pending(account_key=account_key, openid=openid, delta=1)
    return row


async def record_sent(*, account_key: str, openid: str, kind: str, payload: dict[str, Any],
                      inbound_id: int | None = None, ref: str | None = None) -> None:
    """Note an answer that went out at once (only when a caller will ask for it by ``ref``)."""
    now = utcnow()
    await PendingDelivery.create(account_key=account_key, openid=openid, kind=kind, payload=payload,
                                 inbound_id=inbound_id, created_at=now, delivered_at=now, delivered_via="custom",
                                 status="sent", ref=ref)


async def pending_for(*, account_key: str, openid: str) -> list[PendingDelivery]:
    return await PendingDelivery.filter(account_key=account_key, openid=openid,
                                        delivered_at__isnull=True).order_by("id")


async def mark_delivered(*, pending_id: int, via: str) -> bool:
    """Compare-and-set: True when this call took it out of the queue (no double delivery across
    processes). ``via="passive"`` means it went out in a passive reply (sent); ``via="custom"`` claims it
    for a customer-service send (status "sending" until finish_claim)."""
    row = await PendingDelivery.get_or_none(id=pending_id)
    if row is None:
        return False
    status = "sent" if via == "passive" else "sending"
    n = await PendingDelivery.filter(id=pending_id, delivered_at__isnull=True).update(
        delivered_at=utcnow(), delivered_via=via, status=status)
    if n:
        await _bump_pending(account_key=row.account_key, openid=row.openid, delta=-1)
    return bool(n)


async def finish_claim(*, pending_id: int, status: str, reason: str | None = None) -> None:
    """A claimed send ended: "sent", or "failed" with the reason."""
    await PendingDelivery.filter(id=pending_id, status="sending").update(status=status, reason=reason)


async def unmark_delivered(*, pending_id: int, reason: str | None = None, count_attempt: bool = False) -> None:
    """Undo a claim whose sending failed: the answer waits again (``count_attempt`` for a passing failure)."""
    row = await PendingDelivery.get_or_none(id=pending_id)
    if row is None or row.delivered_at is None or row.status not in ("sending", "sent"):
        return
    values: dict[str, Any] = {"delivered_at": None, "delivered_via": None, "status": "pending"}
    if reason is not None:
        values["reason"] = reason
    if count_attempt:
        values["attempts"] = F("attempts") + 1
    n = await PendingDelivery.filter(id=pending_id, delivered_at__isnull=False, status=row.status).update(**values)
    if n:
        await _bump_pending(account_key=row.account_key, openid=row.openid, delta=1)


async def stale_claims(*, older_than: datetime) -> list[PendingDelivery]:
    """Claims ("sending") older than ``older_than``: their process died while sending."""
    return await PendingDelivery.filter(status="sending", delivered_at__lt=older_than).limit(200)


async def expire_pending(*, older_than: datetime, reason: str) -> int:
    """End the answers still waiting since before ``older_than``: "expired" with ``reason``."""
    n = 0
    for row in await PendingDelivery.filter(delivered_at__isnull=True, created_at__lt=older_than).limit(500):
        if await PendingDelivery.filter(id=row.id, delivered_at__isnull=True).update(
                delivered_at=utcnow(), status="expired", reason=reason):
            await _bump_pending(account_key=row.account_key, openid=row.openid, delta=-1)
            n += 1
    return n


@dataclass(frozen=True)
class DeliveryOutcome:
    """Where an answer sent with ``ref`` stands: "sent", "queued" (waiting for the resident), "sending",
    "failed" or "expired"; ``reason`` (Chinese) says why it failed or expired; ``at`` when it ended."""

    status: str
    reason: str | None
    at: datetime | None
    parts: int

    @property
    def status_zh(self) -> str:
        return OUTCOME_ZH.get(self.status, self.status)


OUTCOME_ZH = {"sent": "已送达", "queued": "待居民下次互动时送达", "sending": "正在发送", "failed": "发送失败",
              "expired": "已过期未送达"}


async def delivery_outcome(*, ref: str) -> DeliveryOutcome | None:
    """The outcome of everything delivered with ``ref`` (a long text is several parts): failed or expired
    if any part did, else queued/sending while any part waits, else sent. None when nothing has that ref."""
    rows = await PendingDelivery.filter(ref=ref).order_by("id")
    if not rows:
        return None
    for status in ("failed", "expired"):
        bad = [r for r in rows if r.status == status]
        if bad:
            return DeliveryOutcome(status, bad[0].reason, bad[0].delivered_at, len(rows))
    for status, shown in (("pending", "queued"), ("sending", "sending")):
        if any(r.status == status for r in rows):
            return DeliveryOutcome(shown, None, None, len(rows))
    return DeliveryOutcome("sent", None, max(r.delivered_at for r in rows if r.delivered_at), len(rows))


# ---- the conversation log ----


async def log_outbound(*, account_key: str, openid: str, text: str, role: str = "bot") -> None:
    await ChatLog.create(account_key=account_key, openid=openid, role=role, text=text, at=utcnow())


async def conversation(*, account_key: str, openid: str, limit: int = 50) -> list[dict[str, Any]]:
    """The stored messages (role resident/bot/staff, text, at), oldest first, for attaching to a case
    (texts as sent: the case stores them masked with the originals encrypted, like here)."""
    items: list[tuple[datetime, int, dict[str, Any]]] = []
    rows = await InboundMessage.filter(account_key=account_key, openid=openid).order_by("-id").limit(limit)
    for r in rows:
        if r.text:
            items.append((r.created_at, 0, {"role": "resident", "text": pii_text.reveal(r.text, r.text_enc),
                                            "at": r.created_at}))
        if r.reply_text:
            items.append((r.updated_at, 1, {"role": "bot", "text": r.reply_text, "at": r.updated_at}))
    logs = await ChatLog.filter(account_key=account_key, openid=openid).order_by("-id").limit(limit)
    for c in logs:
        items.append((c.at, 2, {"role": c.role, "text": c.text, "at": c.at}))
    items.sort(key=lambda t: (t[0], t[1]))
    return [d for _, _, d in items][-limit:]


ERASED_TEXT = "（已删除）"
ERASED_OPENID = "erased"


async def erase_messages(*, accounts: list[tuple[str, str]]) -> int:
    """Erase what a resident said and was told on the given (account_key, openid) pairs (删除权):
    the stored texts and parsed fields, the openid itself on inbound rows (counts stay), waiting
    answers, the open dialogue, the customer-service window, mass-send records and the jobs that
    name the openid. Returns rows scrubbed."""
    n = 0
    for account_key, openid in accounts:
        n += await InboundMessage.filter(account_key=account_key, openid=openid).update(
            text=None, fields_json={}, text_enc=None, fields_enc=None, reply_xml=None, reply_text=None,
            event_key=None, openid=ERASED_OPENID)
        n += await ChatLog.filter(account_key=account_key, openid=openid).delete()
        await PendingDelivery.filter(account_key=account_key, openid=openid).delete()
        await DialogueStateRow.filter(account_key=account_key, openid=openid).delete()
        await WechatWindow.filter(account_key=account_key, openid=openid).delete()
        await WechatMassRecipient.filter(account_key=account_key, openid=openid).delete()
    await _redis_forget(accounts)
    await jobs.scrub_payloads(values={o for _, o in accounts})
    return int(n)


async def purge_messages(*, before: datetime) -> int:
    """Clear the chat text of messages older than ``before`` (retention), keeping counts for figures."""
    n = await InboundMessage.filter(
        Q(text__isnull=False) | Q(reply_text__isnull=False) | Q(reply_xml__isnull=False), created_at__lt=before,
    ).update(text=None, fields_json={}, text_enc=None, fields_enc=None, reply_xml=None, reply_text=None)
    n += await ChatLog.filter(at__lt=before).delete()
    return int(n)
