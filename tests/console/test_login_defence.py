"""Login as an attacker tries it: probing names, locking a clerk out, guessing from many places, flooding."""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

import httpx

from app.config import set_settings
from app.staff.models import AuditLog
from tests.console.conftest import HTML, login
from tests.factories import PASSWORD, make_staff


def browser(app: Any, ip: str) -> httpx.AsyncClient:
    """A browser at a given address (the address is what the server sees as the client)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 50000)), base_url="http://testserver")


def _answer(r: httpx.Response, name: str) -> tuple[int, str]:
    """What the attacker reads: the status and the page, with the echoed name taken out."""
    body = r.text.replace(name, "NAME")
    body = re.sub(r'name="csrf_token" value="[^"]+"', "", body)
    return r.status_code, body


async def test_unknown_and_real_names_answer_alike(app: Any, settings: Any) -> None:
    await make_staff(username="clerk")
    n = settings.login_max_failures
    seen: dict[str, list[tuple[int, str]]] = {}
    took: dict[str, list[float]] = {"clerk": [], "nosuchclerk": []}
    for name, ip in (("clerk", "10.1.0.1"), ("nosuchclerk", "10.1.0.2")):
        c = browser(app, ip)
        seen[name] = []
        for _ in range(n + 2):
            start = time.perf_counter()
            r = await login(c, name, "wrong-password-1")
            took[name].append(time.perf_counter() - start)
            seen[name].append(_answer(r, name))
    assert [s for s, _ in seen["clerk"]] == [401] * (n - 1) + [423] * 3
    assert seen["clerk"] == seen["nosuchclerk"]  # same statuses, same pages
    real, unknown = statistics.median(took["clerk"]), statistics.median(took["nosuchclerk"])
    assert 0.5 < unknown / real < 2.0, (real, unknown)  # one argon2 check either way


async def test_an_outsider_cannot_lock_a_clerk_out(app: Any, settings: Any) -> None:
    await make_staff(username="clerk")
    attacker = browser(app, "203.0.113.9")
    for _ in range(settings.login_max_failures + 1):
        r = await login(attacker, "clerk", "guess-password-1")
    assert r.status_code == 423
    assert (await login(attacker, "clerk")).status_code == 423  # the attacker's client stays locked
    clerk = browser(app, "10.2.0.7")  # the clerk, from their own office, never logged in from here
    r = await login(clerk, "clerk")
    assert r.status_code == 303 and "fawu_console" in clerk.cookies


async def test_backstop_stops_spread_guessing_but_not_the_clerks_browser(app: Any, settings: Any) -> None:
    set_settings(settings.model_copy(update={"login_account_max_failures": 10}))
    await make_staff(username="clerk")
    own = browser(app, "10.3.0.1")
    assert (await login(own, "clerk")).status_code == 303  # the clerk's browser: it has logged in here
    own.cookies.delete("fawu_console")  # session gone; the browser keeps its device cookie
    for i in range(3):  # guesses from three places, five each: fifteen failures on the account
        for _ in range(settings.login_max_failures):
            await login(browser(app, f"198.51.100.{i}"), "clerk", "guess-password-1")
    stranger = browser(app, "198.51.100.99")
    r = await login(stranger, "clerk")  # even the right password, from a browser never used for it
    assert r.status_code == 423
    assert await AuditLog.filter(action="login.refused_backstop").exists()
    assert (await login(own, "clerk")).status_code == 303  # the clerk works on
    # an unknown name under the same spray answers the same
    for i in range(3):
        for _ in range(settings.login_max_failures):
            await login(browser(app, f"198.51.101.{i}"), "ghost", "guess-password-1")
    assert (await login(browser(app, "198.51.101.99"), "ghost", "guess-password-1")).status_code == 423


async def test_per_client_throttle_answers_429_with_retry_after(app: Any) -> None:
    await make_staff(username="clerk")
    flood = browser(app, "192.0.2.50")
    page = await flood.get("/console/login", headers=HTML)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    statuses = []
    for i in range(15):
        r = await flood.post("/console/login", headers=HTML, data={
            "username": f"user{i}", "password": "x", "csrf_token": token})
        statuses.append(r.status_code)
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    assert int(r.headers["retry-after"]) >= 1 and "操作太频繁" in r.text
    assert (await login(browser(app, "192.0.2.51"), "clerk", PASSWORD)).status_code == 303  # others unaffected


async def test_long_usernames_are_a_plain_failed_login(app: Any) -> None:
    """33–64 characters (longer than any account): the same 401 as any wrong name, never a 500."""
    c = browser(app, "10.4.0.1")
    for length in (33, 64):
        r = await login(c, "u" * length, "whatever-1")
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
    r = await login(c, "u" * 65, "whatever-1")
    assert r.status_code == 400 and "填写的内容有误" in r.text
