"""The inbox costs a fixed number of queries: the same with 3 cases as with 30 (tab counts in one
query, the page, transfers and alerts each with their cases prefetched)."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from tests.console.conftest import HTML, login
from tests.factories import make_case, make_staff


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.selects = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "SELECT" in record.getMessage().upper():
            self.selects += 1


async def _selects(client: httpx.AsyncClient) -> int:
    log = logging.getLogger("tortoise.db_client")
    counter, level = _Count(), log.level
    log.addHandler(counter)
    log.setLevel(logging.DEBUG)
    try:
        r = await client.get("/console/inbox", params={"tab": "all"}, headers=HTML)
        assert r.status_code == 200
    finally:
        log.removeHandler(counter)
        log.setLevel(level)
    return counter.selects


async def test_inbox_queries_do_not_grow_with_cases(client: httpx.AsyncClient, app: Any) -> None:
    await make_staff(username="counter")
    await login(client, "counter")
    for i in range(3):
        await make_case(summary=f"案件{i}")
    few = await _selects(client)
    for i in range(27):
        await make_case(summary=f"更多案件{i}")
    many = await _selects(client)
    assert few == many, (few, many)
    assert many <= 14, many  # session, staff, then the inbox's own handful
