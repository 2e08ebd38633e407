"""Nothing blocks the event loop: argon2, the jieba segmenter and file reads run in worker threads or
at start-up. The guard (tests/blocking.py) raises and records any such call made on the loop; argon2
and time.sleep are guarded for the whole suite (tests/conftest.py), file I/O and jieba here."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from app.core.actor import Role
from app.staff import service as staff_service
from tests.blocking import ARGON2, BlockingCall, file_io, jieba_init, no_blocking
from tests.factories import make_staff

PW = "first-pass-123"


async def test_the_guard_catches_a_blocking_call() -> None:
    with no_blocking(ARGON2) as seen, pytest.raises(BlockingCall, match="to_thread"):
        staff_service.hash_password("on-the-loop-1")
    assert seen == ["PasswordHasher.hash"]
    assert await asyncio.to_thread(staff_service.hash_password, "in-a-thread-1")  # a worker thread is fine


async def test_staff_accounts_and_passwords_off_the_loop(db: None, settings: Any) -> None:
    with no_blocking(ARGON2 + file_io()) as seen:
        user = await make_staff(username="loop_clerk", password=PW, role=Role.TOWNSHIP_STAFF)
        await staff_service.authenticate(username="loop_clerk", password=PW, max_failures=5, lock_minutes=15)
        with pytest.raises(staff_service.LoginFailed):
            await staff_service.authenticate(username="nobody", password=PW, max_failures=5, lock_minutes=15)
        await staff_service.change_password(staff_id=user.id, old_password=PW, new_password="second-pass-456")
    assert seen == []


async def test_console_login_and_password_change_off_the_loop(client: httpx.AsyncClient) -> None:
    await make_staff(username="loop_admin", password=PW, role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    with no_blocking(ARGON2) as seen:
        from tests.console.conftest import login

        await login(client, "loop_admin", PW)
        page = await client.get("/console/password")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        res = await client.post("/console/password", data={
            "old_password": PW, "new_password": "second-pass-456", "confirm": "second-pass-456", "csrf_token": token})
        assert res.status_code == 303
    assert seen == []


async def test_a_law_search_segments_off_the_loop(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import jieba

    from app.core.clock import utcnow
    from app.laws import service as laws_service
    from app.laws.models import Article, Law

    law = await Law.create(short_name="劳动合同法", name="中华人民共和国劳动合同法", imported_at=utcnow())
    await Article.create(law=law, number=30, label="第三十条", text="用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。")
    monkeypatch.setattr(jieba.dt, "initialized", False)  # as in a fresh process: the first search loads it
    with no_blocking(jieba_init() + file_io()) as seen:
        result = await laws_service.lookup(query="拖欠工资的规定")
    assert seen == [], seen
    assert isinstance(result.articles, list)
