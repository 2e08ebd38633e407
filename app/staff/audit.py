"""The tamper-evident audit log (安全审计): entries sealed into an HMAC-SM3 hash chain, checked by
``verify``, exported for the assessor and archived (never before ``audit_retention_days``).

Link n: ``hash_n = HMAC-SM3(K, canonical(entry_n) with prev_hash = hash_{n-1})`` where K is the
audit key derived from a data key (its id kept with the entry, so keys rotate). The first link's
``prev_hash`` is the genesis: HMAC-SM3 over the entries written before the chain existed. The head
row is locked while an entry is appended, so two processes never fork the chain.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from app.config import get_settings
from app.core import crypto
from app.core.actor import Actor
from app.core.clock import utcnow
from app.core.retry import retry_transaction
from app.errors import InvalidInput
from app.staff.models import AuditHead, AuditLog

log = logging.getLogger("fawu.audit")
T = TypeVar("T")
_HEAD_ID = 1
_BATCH = 500


def _at_text(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def canonical(e: AuditLog) -> bytes:
    """The bytes an entry's HMAC covers: every field that says who, what, when, where and outcome."""
    return json.dumps([e.seq, e.prev_hash, e.key_id, _at_text(e.at), e.actor_id, e.actor_name, e.actor_role,
                       e.action, e.target_type, e.target_id, e.detail, e.ip, e.outcome],
                      ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _seal(e: AuditLog) -> str:
    _, key = crypto.hmac_sm3_key("audit", e.key_id)
    return crypto.hmac_sm3(key, canonical(e))


def _legacy_bytes(e: AuditLog) -> bytes:
    return json.dumps([e.id, _at_text(e.at), e.actor_id, e.actor_name, e.action, e.target_type, e.target_id,
                       e.detail, e.ip], ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


async def _genesis(key_id: str) -> str:
    """The first link's prev_hash: HMAC-SM3 over every entry written before the chain (in id order)."""
    _, key = crypto.hmac_sm3_key("audit", key_id)
    acc = crypto.sm3_hex(b"fawu-audit-genesis")
    for row in await AuditLog.filter(seq__isnull=True).order_by("id"):
        acc = crypto.hmac_sm3(key, acc.encode() + _legacy_bytes(row))
    return acc


async def _head() -> AuditHead:
    """The head row, locked for this transaction (created with the genesis on first use)."""
    head = await AuditHead.select_for_update().get_or_none(id=_HEAD_ID)
    if head is not None:
        return head
    kid = crypto.keyring().active
    try:
        async with in_transaction():
            await AuditHead.create(id=_HEAD_ID, seq=0, hash=await _genesis(kid), key_id=kid)
    except IntegrityError:
        pass  # another process created it at the same moment
    except Exception as exc:
        # MariaDB chose this first writer as a deadlock victim and rolled the whole transaction back, so the
        # savepoint's own rollback fails (1305, the driver's error) and hides the 1213: said again as a
        # deadlock so the caller's retry runs the whole transaction again
        if "1305" not in str(exc) and "1213" not in str(exc):
            raise
        raise OperationalError(f"(1213, 'Deadlock found while creating the audit head: {exc}')") from exc
    return await AuditHead.select_for_update().get(id=_HEAD_ID)


async def append(*, actor: Actor | None, action: str, target_type: str = "", target_id: str | int = "",
                 detail: dict[str, Any] | None = None, ip: str = "", outcome: str = "ok") -> AuditLog:
    """Write one sealed entry (inside the caller's transaction when there is one)."""
    async def go() -> AuditLog:
        async with in_transaction():
            head = await _head()
            entry = AuditLog(
                seq=head.seq + 1, prev_hash=head.hash, key_id=crypto.keyring().active, at=utcnow(),
                actor_id=actor.id if actor else None, actor_name=(actor.name if actor else "")[:32],
                actor_role=str(actor.role) if actor else "", action=action[:48], target_type=target_type[:32],
                target_id=str(target_id)[:64], detail=detail or {}, ip=ip[:64], outcome=outcome[:16],
            )
            entry.hash = _seal(entry)
            await entry.save()
            await AuditHead.filter(id=_HEAD_ID).update(seq=entry.seq, hash=entry.hash, key_id=entry.key_id)
            return entry

    if in_outer_transaction():  # a deadlock rolled the caller's whole transaction back: theirs to handle
        return await go()
    return await retry_transaction(go, what="audit", tries=10)  # the chain head is every writer's lock


async def append_many(*, actor: Actor | None, entries: list[tuple[str, str, str | int, dict[str, Any]]],
                      ip: str = "") -> int:
    """Write several sealed entries (action, target_type, target_id, detail) under one lock of the head
    and one insert: a list page's views, one entry per resident shown."""
    if not entries:
        return 0

    async def go() -> int:
        async with in_transaction():
            head = await _head()
            seq, prev, key_id, now = head.seq, head.hash, crypto.keyring().active, utcnow()
            rows = []
            for action, target_type, target_id, detail in entries:
                seq += 1
                entry = AuditLog(
                    seq=seq, prev_hash=prev, key_id=key_id, at=now, actor_id=actor.id if actor else None,
                    actor_name=(actor.name if actor else "")[:32], actor_role=str(actor.role) if actor else "",
                    action=action[:48], target_type=target_type[:32], target_id=str(target_id)[:64],
                    detail=detail or {}, ip=ip[:64], outcome="ok")
                entry.hash = prev = _seal(entry)
                rows.append(entry)
            await AuditLog.bulk_create(rows)
            await AuditHead.filter(id=_HEAD_ID).update(seq=seq, hash=prev, key_id=key_id)
            return len(rows)

    if in_outer_transaction():
        return await go()
    return await retry_transaction(go, what="audit", tries=10)  # the chain head is every writer's lock


def in_outer_transaction() -> bool:
    """Whether the caller runs inside a transaction (tortoise's contextual connection)."""
    return isinstance(connections.get("default"), TransactionalDBClient)


@dataclass
class Verdict:
    """What ``verify`` found: entries checked, and each break (seq and why)."""

    checked: int = 0
    legacy: int = 0
    head_seq: int = 0
    head_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def _sealed(from_seq: int = 0) -> AsyncIterator[AuditLog]:
    last = from_seq
    while True:
        rows = await AuditLog.filter(seq__gt=last).order_by("seq").limit(_BATCH)
        if not rows:
            return
        for r in rows:
            yield r
        last = int(rows[-1].seq or 0)


async def verify() -> Verdict:
    """Recompute every link; report each entry changed, removed or inserted, and a head that does not
    match the newest entry (the newest entries deleted)."""
    v = Verdict()
    v.legacy = await AuditLog.filter(seq__isnull=True).count()
    head = await AuditHead.get_or_none(id=_HEAD_ID)
    if head is None:
        return v
    v.head_seq, v.head_hash = int(head.seq), head.hash
    archived = {int(str(a.detail.get("through_seq", -1))): str(a.detail.get("through_hash", ""))
                for a in await AuditLog.filter(action="audit.archived")}
    prev_seq: int | None = None
    prev_hash = ""
    async for e in _sealed():
        seq = int(e.seq or 0)
        if prev_seq is None:
            if seq == 1:
                first_kid = e.key_id
                try:
                    genesis = await _genesis(first_kid)
                except crypto.DecryptError as exc:
                    v.problems.append(f"#1: {exc}")
                    genesis = e.prev_hash
                if e.prev_hash != genesis:
                    v.problems.append("#1: 链起点与早期记录不符 (entries before the chain were changed)")
            elif archived.get(seq - 1) != e.prev_hash:
                v.problems.append(f"#{seq}: 之前的记录缺失且无归档记录 (entries before it removed without archive)")
        elif seq != prev_seq + 1:
            v.problems.append(f"#{prev_seq + 1}–#{seq - 1}: 记录缺失 (entries removed)")
        if prev_seq is not None and e.prev_hash != prev_hash:
            v.problems.append(f"#{seq}: 与上一条不相连 (link broken)")
        try:
            good = _seal(e) == e.hash
        except crypto.DecryptError as exc:
            v.problems.append(f"#{seq}: {exc}")
            good = True
        if not good:
            v.problems.append(f"#{seq}: 内容被改动 (entry altered)")
        prev_seq, prev_hash = seq, e.hash
        v.checked += 1
    if prev_seq is not None and (prev_seq != v.head_seq or prev_hash != v.head_hash):
        v.problems.append(f"#{prev_seq + 1}–#{v.head_seq}: 最新的记录被删除 (newest entries removed)")
    if prev_seq is None and v.head_seq:
        v.problems.append(f"#1–#{v.head_seq}: 全部记录被删除 (every entry removed)")
    return v


def export_line(e: AuditLog) -> dict[str, Any]:
    """One entry as the assessor's export shows it (JSON Lines), with the chain fields to re-check."""
    return {"seq": e.seq, "at": _at_text(e.at) + "Z", "actor_id": e.actor_id, "actor_name": e.actor_name,
            "actor_role": e.actor_role, "action": e.action, "target_type": e.target_type, "target_id": e.target_id,
            "detail": e.detail, "ip": e.ip, "outcome": e.outcome, "key_id": e.key_id,
            "prev_hash": e.prev_hash, "hash": e.hash}


async def export_lines(*, since: datetime | None = None, until: datetime | None = None,
                       only: set[int] | None = None) -> AsyncIterator[str]:
    """The log as JSON Lines in chain order (``only``: these links), then a last line with the SM3
    digest of the lines before."""
    digest_input: list[bytes] = []
    async for e in _sealed():
        if (since and e.at < since) or (until and e.at >= until) or (only is not None and e.seq not in only):
            continue
        line = json.dumps(export_line(e), ensure_ascii=False, sort_keys=True)
        digest_input.append(line.encode("utf-8") + b"\n")
        yield line + "\n"
    yield json.dumps({"sm3": crypto.sm3_hex(b"".join(digest_input)), "lines": len(digest_input)}) + "\n"


class TooEarlyToArchive(InvalidInput):
    code = "audit_retention"
    message_zh = "审计记录须至少保存 180 天（《网络安全法》第二十一条），不能提前归档。"


async def archive(*, before: datetime, actor: Actor | None, write: Callable[[str], None]) -> dict[str, Any]:
    """Move sealed entries older than ``before`` (at least ``audit_retention_days`` ago) out of the
    database: ``write`` receives them as JSON Lines first; the entries are then deleted and an
    ``audit.archived`` entry records the last archived link and the archive's SM3 digest, so the
    remaining chain still verifies."""
    limit = utcnow() - timedelta(days=get_settings().audit_retention_days)
    if before > limit:
        raise TooEarlyToArchive()
    rows: list[AuditLog] = []
    async for e in _sealed():
        if e.at >= before:
            break  # only a prefix of the chain goes, so the rest stays one chain
        rows.append(e)
    if not rows:
        return {"archived": 0}
    through = rows[-1]
    lines = [json.dumps(export_line(e), ensure_ascii=False, sort_keys=True) + "\n" for e in rows]
    for line in lines:
        write(line)
    digest = crypto.sm3_hex("".join(lines).encode("utf-8"))
    async with in_transaction():
        deleted = await AuditLog.filter(seq__lte=through.seq, seq__isnull=False).delete()
        await append(actor=actor, action="audit.archived", target_type="audit",
                     detail={"through_seq": through.seq, "through_hash": through.hash, "entries": deleted,
                             "sm3": digest})
    return {"archived": deleted, "through_seq": through.seq, "sm3": digest}
