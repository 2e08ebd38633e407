"""Console test helpers: staff factories and logging in through the real login form."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

PASSWORD = "correct-horse-42"
HTML = {"accept": "text/html"}

_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF_RE.search(html)
    assert m, "no csrf_token field in the page"
    return m.group(1)


async def make_staff(**overrides: Any) -> Any:
    from app.core.actor import Role
    from app.staff import service as staff_service

    spec: dict[str, Any] = {"username": "clerk", "name": "测试员", "role": Role.TOWNSHIP_STAFF,
                            "unit_codes": ["YXJD"], "password": PASSWORD, "must_change_password": False}
    spec.update(overrides)
    return await staff_service.create_staff(**spec)


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """Log in through the form (GET for the pre-login token, then POST); returns the POST response."""
    page = await client.get("/console/login", headers=HTML)
    assert page.status_code == 200
    return await client.post("/console/login", headers=HTML, data={
        "username": username, "password": password, "csrf_token": csrf_of(page.text), "next": ""})


async def session_csrf(client: httpx.AsyncClient) -> str:
    """The session's CSRF token, read from a console page."""
    page = await client.get("/console/password", headers=HTML)
    assert page.status_code == 200, page.text[:300]
    return csrf_of(page.text)


@pytest.fixture
def staff_factory() -> Callable[..., Awaitable[Any]]:
    return make_staff


@pytest.fixture
async def new_client(app: Any) -> Any:
    """Make extra clients (other browsers) on the same app."""
    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()


ID_NUMBER = "11010519491231002X"  # the standard's worked example (valid check digit)


async def make_resident(*, township: str = "YXJD", community: str | None = "JXSQ", phone: str = "13812345678",
                        name: str = "张三") -> Any:
    from app.cases.privacy import record_resident
    from app.core.actor import SYSTEM

    return await record_resident(actor=SYSTEM, name=name, phone=phone, id_number=ID_NUMBER,
                                 township_code=township, community_code=community)


async def make_case(**overrides: Any) -> Any:
    from app.cases import service as cases_service

    spec: dict[str, Any] = {"type": "consultation", "resident_id": None, "channel": "wechat",
                            "summary": "工地老板拖欠三个月工资怎么办", "category": "labor",
                            "township_code": "YXJD", "community_code": "JXSQ"}
    spec.update(overrides)
    return await cases_service.open_case(**spec)
