"""The edge of the app (app/edge.py, app/errors.py): bad ids, over-long filters and typed text are a
clear 4xx in Chinese, never a 500 and never in a log line; every anonymous endpoint is rate limited."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from app import edge
from app.core.actor import Role
from tests.console.conftest import HTML, login
from tests.factories import make_case, make_staff

SECRET = "TYPEDSECRET" * 4  # 44 characters a user typed; must not reach a log line


def api_routes(routes: Any, prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every APIRoute with its full path (FastAPI may keep included routers nested)."""
    out: list[tuple[str, APIRoute]] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append((prefix + r.path, r))
        elif hasattr(r, "original_router"):
            out += api_routes(r.original_router.routes, prefix + getattr(r.include_context, "prefix", ""))
    return out


def no_raise_client(app: Any, ip: str = "10.9.0.1") -> httpx.AsyncClient:
    """A client that sees what a browser sees (a 500 page, not the server's exception)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(ip, 1)),
                             base_url="http://testserver")


async def test_over_long_filters_and_ids_are_4xx_in_chinese(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    await make_staff(username="boss", role=Role.DISTRICT_ADMIN, unit_codes=["YX"])
    case = await make_case()
    c = no_raise_client(app)
    await login(c, "boss")
    caplog.set_level(logging.DEBUG)
    for param in ("township", "status", "type", "category", "due", "tab"):
        r = await c.get(f"/console/inbox?{param}={SECRET}", headers=HTML)
        assert r.status_code == 400 and "填写的内容有误" in r.text, param
        r = await c.get(f"/console/inbox?{param}={SECRET}")
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", param
    for path in ("/console/cases/12345678901234567890", "/console/residents/99999999999999999999",
                 "/console/cases/2147483648"):
        r = await c.get(path, headers=HTML)
        assert r.status_code == 404 and "没有找到" in r.text, path
    assert (await c.get(f"/console/cases/{case.id}", headers=HTML)).status_code == 200
    assert (await c.get("/console/cases/abc", headers=HTML)).status_code == 400
    for path in (f"/api/laws/search?q={SECRET * 5}", f"/laws?q={SECRET * 5}", f"/api/laws/article?law={SECRET * 5}&article=1"):
        assert (await c.get(path)).status_code == 400, path
    assert SECRET not in caplog.text


async def test_a_value_that_does_not_fit_is_400_and_not_logged(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    """The safety net under the edge: a value a column cannot hold reaching a query (here a board code
    longer than the column through a route that does not bound it) is the user's error, not a crash."""
    c = no_raise_client(app)
    caplog.set_level(logging.DEBUG)
    r = await c.get(f"/console/boards?org={SECRET}")  # not logged in: refused before any query
    assert r.status_code in (401, 303)
    r = await c.get(f"/api/boards/{SECRET}")
    assert r.status_code in (400, 404) and r.status_code != 500
    assert SECRET not in caplog.text


async def test_unexpected_errors_log_where_not_what(app: Any, caplog: pytest.LogCaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A 500 logs the exception's type and place, never its message (which may quote typed text)."""
    from app.laws import service as laws_service

    async def broken(**kwargs: Any) -> Any:
        raise RuntimeError(f"could not handle {kwargs.get('query')}")

    monkeypatch.setattr(laws_service, "lookup", broken)
    caplog.set_level(logging.DEBUG)
    r = await no_raise_client(app).get("/api/laws/search", params={"q": "TYPED13812345678"})
    assert r.status_code == 500 and r.json()["error"]["message"] == "系统繁忙，请稍后再试。"
    assert "RuntimeError" in caplog.text and "routes.py" in caplog.text
    assert "TYPED" not in caplog.text


def test_every_route_is_limited_or_behind_a_login(app: Any) -> None:
    """Each endpoint is in a rate-limit group, or exempt for a stated reason; the table names no route
    that does not exist."""
    from app.config import DEFAULT_RATE_LIMITS

    paths = {(m, path) for path, r in api_routes(app.routes) for m in r.methods}
    assert len(paths) > 40
    assert set(edge.GROUPS) <= paths, set(edge.GROUPS) - paths
    for method, path in paths:
        group = edge.group_of(method, path)
        assert group is None or group in DEFAULT_RATE_LIMITS, (method, path)
        if group is None:
            assert path.startswith(edge.EXEMPT_PREFIXES) or path == "/wechat/{account_key}", (method, path)


async def test_exempt_console_routes_need_a_login(app: Any) -> None:
    """No page under /console (exempt from the anonymous limits) answers a stranger."""
    c = no_raise_client(app)
    checked = 0
    for full, r in api_routes(app.routes):
        if not full.startswith("/console/") or full == "/console/login":
            continue
        path = full
        checked += 1
        for name in r.param_convertors:
            path = path.replace("{" + name + "}", "1")
        for method in r.methods:
            resp = await c.request(method, path, headers=HTML)
            assert resp.status_code in (303, 401, 403), (method, full, resp.status_code)
    assert checked > 20


async def test_a_law_gone_since_its_name_was_cached_is_404(app: Any) -> None:
    """The law names are cached per process; a law missing from the database (re-imported by another
    process, or another database) is "not found", never a 500."""
    from app.laws import service as laws_service

    laws_service._names = {"劳动合同法": "劳动合同法"}  # what another database held
    try:
        r = await no_raise_client(app).get("/api/laws/article", params={"law": "劳动合同法", "article": "第十条"})
        assert r.status_code == 404 and "法规库中没有" in r.json()["error"]["message"]
    finally:
        laws_service.invalidate_cache()
