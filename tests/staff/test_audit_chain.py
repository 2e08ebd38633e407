"""安全审计: every security-relevant event recorded with time, actor, role, client address, object and
outcome, sealed in an HMAC-SM3 chain that `fawu audit verify` checks; only the audit administrator
reads it; archival never before 180 days and the chain still verifies after it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from tortoise import connections

from app.core import clock
from app.core.actor import SYSTEM
from app.staff import audit as chain
from app.staff import service as staff_service
from app.staff.models import AuditHead, AuditLog


async def _some_entries(n: int = 5) -> None:
    for i in range(n):
        await staff_service.audit(actor=SYSTEM, action="test.event", target_type="thing", target_id=i,
                                  detail={"i": i, "名": "值"}, ip="10.0.0.1")


async def test_entries_form_a_chain_that_verifies(db: None) -> None:
    await _some_entries()
    rows = await AuditLog.all().order_by("seq")
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert all(rows[i].prev_hash == rows[i - 1].hash for i in range(1, 5))
    assert all(len(r.hash) == 64 and r.key_id == "k0" for r in rows)
    head = await AuditHead.get(id=1)
    assert head.seq == 5 and head.hash == rows[-1].hash
    assert (await chain.verify()).ok


async def _sql(query: str) -> None:
    await connections.get("default").execute_query(query)


@pytest.mark.parametrize("tamper, expected", [
    ("UPDATE staff_audit_log SET actor_name = 'someone else' WHERE seq = 3", "#3: 内容被改动"),
    ("UPDATE staff_audit_log SET ip = '1.2.3.4' WHERE seq = 2", "#2: 内容被改动"),
    ("UPDATE staff_audit_log SET detail = '{\"i\": 9}' WHERE seq = 4", "#4: 内容被改动"),
    ("DELETE FROM staff_audit_log WHERE seq = 3", "#3–#3: 记录缺失"),
    ("DELETE FROM staff_audit_log WHERE seq = 5", "#5–#5: 最新的记录被删除"),
    ("DELETE FROM staff_audit_log", "#1–#5: 全部记录被删除"),
])
async def test_tampering_is_detected(db: None, tamper: str, expected: str) -> None:
    await _some_entries()
    await _sql(tamper)
    verdict = await chain.verify()
    assert not verdict.ok
    assert any(p.startswith(expected) for p in verdict.problems), verdict.problems


async def test_an_inserted_or_recomputed_entry_without_the_key_is_detected(db: None) -> None:
    await _some_entries()
    row = await AuditLog.get(seq=3)
    # a forger who can write the table but has no key: re-links with a plain SM3 (or any guess)
    from app.core import crypto

    forged = crypto.sm3_hex(chain.canonical(row))
    await AuditLog.filter(id=row.id).update(actor_name="伪造", hash=forged)
    await AuditLog.filter(seq=4).update(prev_hash=forged)
    problems = (await chain.verify()).problems
    assert any(p.startswith("#3") for p in problems) and any(p.startswith("#4") for p in problems)


async def test_entries_written_before_the_chain_are_covered_by_its_first_link(db: None) -> None:
    legacy = await AuditLog.create(action="login.ok", actor_name="老记录", ip="10.0.0.9")  # as before this change
    await _some_entries(2)
    assert (await chain.verify()).ok and (await chain.verify()).legacy == 1
    await AuditLog.filter(id=legacy.id).update(actor_name="改过")
    assert any(p.startswith("#1: 链起点") for p in (await chain.verify()).problems)


async def test_archive_keeps_180_days_and_the_rest_verifies(db: None, tmp_path: Any) -> None:
    t0 = clock.utcnow()
    clock.freeze(t0 - timedelta(days=400))
    await _some_entries(3)
    clock.freeze(t0)
    await _some_entries(2)
    with pytest.raises(staff_service.TooEarlyToArchive):  # 网络安全法 art. 21: six months at least
        await staff_service.archive_audit(actor=SYSTEM, before=t0 - timedelta(days=100), write=print)
    lines: list[str] = []
    result = await staff_service.archive_audit(actor=SYSTEM, before=t0 - timedelta(days=200), write=lines.append)
    assert result["archived"] == 3 and len(lines) == 3
    assert [json.loads(x)["seq"] for x in lines] == [1, 2, 3]
    assert await AuditLog.filter(seq__lte=3).count() == 0
    verdict = await chain.verify()
    assert verdict.ok, verdict.problems
    archived = await AuditLog.get(action="audit.archived")
    assert archived.detail["through_seq"] == 3 and len(archived.detail["sm3"]) == 64
    # removing entries *without* an archive record is still detected
    await AuditLog.filter(seq=4).delete()
    assert not (await chain.verify()).ok
    clock.freeze(None)


async def test_concurrent_entries_never_fork_the_chain(db: None) -> None:
    import asyncio

    await asyncio.gather(*(staff_service.audit(actor=SYSTEM, action="test.parallel", target_id=i) for i in range(40)))
    seqs = sorted(await AuditLog.all().values_list("seq", flat=True))
    assert seqs == list(range(1, 41))
    assert (await chain.verify()).ok


async def test_a_configuration_change_between_starts_is_recorded(db: None) -> None:
    from tests.conftest import make_settings

    assert "pii_cipher" in await staff_service.record_configuration(make_settings())  # first start: all
    assert await staff_service.record_configuration(make_settings()) == []  # same settings: nothing
    changed = await staff_service.record_configuration(make_settings(session_idle_minutes=15, secret_key="x" * 40))
    assert changed == ["secret_key", "session_idle_minutes"]
    entry = await AuditLog.get(action="config.changed")
    assert entry.detail["keys"] == changed and "x" * 40 not in json.dumps(entry.detail)  # never the values
    assert (await chain.verify()).ok
