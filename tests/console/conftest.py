"""Console test helpers: logging in through the real login form, extra browsers (factories: tests/factories.py)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.factories import PASSWORD, make_staff

HTML = {"accept": "text/html"}

_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF_RE.search(html)
    assert m, "no csrf_token field in the page"
    return m.group(1)


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


