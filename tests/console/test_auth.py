"""Login, sessions, CSRF, lockout and the forced password change, through real HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from app.core import clock
from app.core.actor import Role
from app.staff.models import AuditLog, StaffUser
from tests.console.conftest import HTML, csrf_of, login, session_csrf
from tests.factories import PASSWORD, make_staff


class TestLoginPage:
    async def test_chinese_form_with_token_and_demo_hint(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/console/login", headers=HTML)
        assert r.status_code == 200
        assert "工作人员登录" in r.text and "用户名" in r.text and "密码" in r.text
        assert csrf_of(r.text)
        assert "fawu-demo-2026" in r.text  # demo mode shows the demo accounts' initial password
        assert "yxjd" in r.text

    async def test_no_demo_hint_outside_demo(self, client: httpx.AsyncClient, settings: Any) -> None:
        from app.config import set_settings

        set_settings(settings.model_copy(update={"demo": False}))
        r = await client.get("/console/login", headers=HTML)
        assert "fawu-demo-2026" not in r.text

    async def test_unauthenticated_page_redirects_and_api_gets_401(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/console/inbox?tab=due", headers=HTML)
        assert r.status_code == 303
        assert r.headers["location"] == "/console/login?next=%2Fconsole%2Finbox%3Ftab%3Ddue"
        r = await client.get("/console/inbox")
        assert r.status_code == 401
        assert r.json()["error"]["message"] == "请先登录工作台。"


class TestLogin:
    async def test_login_sets_secure_session_cookie_and_audits(self, client: httpx.AsyncClient) -> None:
        user = await make_staff()
        r = await login(client, "clerk")
        assert r.status_code == 303 and r.headers["location"] == "/console"
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("fawu_console="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        assert await AuditLog.filter(action="login.ok", actor_id=user.id).count() == 1
        assert (await StaffUser.get(id=user.id)).last_login_at is not None

    async def test_secure_flag_when_configured(self, app: Any, settings: Any) -> None:
        from app.config import set_settings

        set_settings(settings.model_copy(update={"cookie_secure": True}))
        await make_staff()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as c:
            r = await login(c, "clerk")
            cookie = next(v for k, v in r.headers.multi_items()
                          if k == "set-cookie" and v.startswith("fawu_console="))
            assert "Secure" in cookie

    async def test_next_is_kept_but_never_leaves_the_console(self, client: httpx.AsyncClient,
                                                             new_client: Any) -> None:
        await make_staff()
        page = await client.get("/console/login", headers=HTML)
        r = await client.post("/console/login", headers=HTML, data={
            "username": "clerk", "password": PASSWORD, "csrf_token": csrf_of(page.text),
            "next": "/console/dashboard"})
        assert r.headers["location"] == "/console/dashboard"
        other = new_client()
        page = await other.get("/console/login", headers=HTML)
        r = await other.post("/console/login", headers=HTML, data={
            "username": "clerk", "password": PASSWORD, "csrf_token": csrf_of(page.text),
            "next": "//evil.example/console"})
        assert r.headers["location"] == "/console"

    async def test_wrong_password_and_unknown_user_same_answer(self, client: httpx.AsyncClient) -> None:
        await make_staff()
        bad = await login(client, "clerk", "wrong-password-1")
        unknown = await login(client, "nobody", "wrong-password-1")
        assert bad.status_code == unknown.status_code == 401
        assert "用户名或密码不正确" in bad.text and "用户名或密码不正确" in unknown.text
        assert "fawu_console=" not in bad.headers.get("set-cookie", "")

    async def test_logout_ends_the_session(self, client: httpx.AsyncClient) -> None:
        await make_staff()
        await login(client, "clerk")
        cookie = client.cookies.get("fawu_console")
        token = await session_csrf(client)
        r = await client.post("/console/logout", headers=HTML, data={"csrf_token": token})
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
        client.cookies.set("fawu_console", cookie)  # a stolen copy of the old cookie is worthless
        r = await client.get("/console/password", headers=HTML)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login")

    async def test_session_expires(self, client: httpx.AsyncClient, settings: Any) -> None:
        await make_staff()
        await login(client, "clerk")
        try:
            clock.freeze(clock.utcnow() + timedelta(seconds=settings.session_max_age + 1))
            r = await client.get("/console/password", headers=HTML)
            assert r.status_code == 303
        finally:
            clock.freeze(None)


class TestCsrf:
    async def test_post_without_or_with_wrong_token_is_refused(self, client: httpx.AsyncClient) -> None:
        await make_staff()
        await login(client, "clerk")
        for data in ({}, {"csrf_token": "forged-token"}):
            r = await client.post("/console/logout", headers=HTML, data=data)
            assert r.status_code == 403
            assert "安全校验未通过" in r.text and "<html" in r.text
        r = await client.post("/console/logout", headers={"x-csrf-token": "forged"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
        assert (await client.get("/console/password", headers=HTML)).status_code == 200  # still logged in

    async def test_login_form_needs_its_token(self, client: httpx.AsyncClient) -> None:
        await make_staff()
        await client.get("/console/login", headers=HTML)
        r = await client.post("/console/login", headers=HTML,
                              data={"username": "clerk", "password": PASSWORD, "csrf_token": "x"})
        assert r.status_code == 403 and "安全校验未通过" in r.text
        assert "fawu_console" not in client.cookies

    async def test_token_is_bound_to_the_session(self, client: httpx.AsyncClient, new_client: Any) -> None:
        await make_staff()
        await make_staff(username="other")
        await login(client, "clerk")
        mine = await session_csrf(client)
        other = new_client()
        await login(other, "other")
        r = await other.post("/console/logout", headers=HTML, data={"csrf_token": mine})
        assert r.status_code == 403


class TestLockout:
    async def test_failures_lock_then_lock_expires(self, client: httpx.AsyncClient, settings: Any) -> None:
        user = await make_staff()
        n = settings.login_max_failures
        for _ in range(n - 1):
            assert (await login(client, "clerk", "not-the-password1")).status_code == 401
        r = await login(client, "clerk", "not-the-password1")
        assert r.status_code == 423 and "账号已暂时锁定" in r.text
        r = await login(client, "clerk")  # even the right password is refused while locked
        assert r.status_code == 423
        assert "fawu_console" not in client.cookies
        assert await AuditLog.filter(action="login.failed", actor_id=user.id).count() == n
        locked = await AuditLog.filter(action="login.locked", actor_id=user.id).get()
        assert locked.detail["minutes"] == settings.login_lock_minutes
        assert await AuditLog.filter(action="login.refused_locked", actor_id=user.id).count() == 1
        try:
            clock.freeze(clock.utcnow() + timedelta(minutes=settings.login_lock_minutes, seconds=1))
            r = await login(client, "clerk")
            assert r.status_code == 303
            row = await StaffUser.get(id=user.id)
            assert row.failed_logins == 0 and row.locked_until is None
        finally:
            clock.freeze(None)

    async def test_success_resets_the_count(self, client: httpx.AsyncClient, settings: Any) -> None:
        user = await make_staff()
        for _ in range(settings.login_max_failures - 1):
            await login(client, "clerk", "not-the-password1")
        assert (await login(client, "clerk")).status_code == 303
        assert (await StaffUser.get(id=user.id)).failed_logins == 0


class TestForcedPasswordChange:
    async def test_demo_password_must_be_changed_first(self, client: httpx.AsyncClient,
                                                       new_client: Any) -> None:
        await make_staff(must_change_password=True)
        r = await login(client, "clerk")
        assert r.headers["location"] == "/console/password"
        elsewhere = new_client()
        await login(elsewhere, "clerk")
        for path in ("/console/inbox", "/console/dashboard"):
            r = await client.get(path, headers=HTML)
            assert r.status_code == 303 and r.headers["location"] == "/console/password", path
        r = await client.get("/console/inbox")
        assert r.status_code == 403 and r.json()["error"]["code"] == "password_change_required"
        page = await client.get("/console/password", headers=HTML)
        assert "首次登录请先修改初始密码" in page.text
        token = csrf_of(page.text)
        for new, msg in (("short1", "密码至少"), (PASSWORD, "不能与原密码相同"), ("onlyletters", "密码至少")):
            r = await client.post("/console/password", headers=HTML, data={
                "csrf_token": token, "old_password": PASSWORD, "new_password": new, "confirm": new})
            assert r.status_code == 400 and msg in r.text
        r = await client.post("/console/password", headers=HTML, data={
            "csrf_token": token, "old_password": "wrong", "new_password": "brand-new-pass-7", "confirm": "brand-new-pass-7"})
        assert r.status_code == 400 and "原密码不正确" in r.text
        r = await client.post("/console/password", headers=HTML, data={
            "csrf_token": token, "old_password": PASSWORD, "new_password": "brand-new-pass-7",
            "confirm": "brand-new-pass-7"})
        assert r.status_code == 303
        row = await StaffUser.get(username="clerk")
        assert not row.must_change_password
        assert await AuditLog.filter(action="password.changed", actor_id=row.id).count() == 1
        r = await client.get("/console/dashboard", headers=HTML)
        assert r.status_code != 303
        # the other browser logged in with the old password is logged out
        r = await elsewhere.get("/console/password", headers=HTML)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
        assert (await login(elsewhere, "clerk", "brand-new-pass-7")).status_code == 303


class TestRoles:
    async def test_supervisor_may_log_out_and_change_password(self, client: httpx.AsyncClient) -> None:
        await make_staff(username="sup", role=Role.SUPERVISOR, unit_codes=["YX"], must_change_password=True)
        await login(client, "sup")
        token = await session_csrf(client)
        r = await client.post("/console/password", headers=HTML, data={
            "csrf_token": token, "old_password": PASSWORD, "new_password": "sup-new-pass-9", "confirm": "sup-new-pass-9"})
        assert r.status_code == 303
        r = await client.post("/console/logout", headers=HTML, data={"csrf_token": token})
        assert r.status_code == 303


class TestSessionPurge:
    async def test_expired_sessions_are_purged_by_the_schedule(self, client: httpx.AsyncClient,
                                                               settings: Any) -> None:
        from app import wiring
        from app.console.kit.models import ConsoleSession

        await make_staff()
        await login(client, "clerk")
        schedule = dict((name, fn) for name, _, fn in wiring.schedules())["console.purge_sessions"]
        assert await schedule() == 0 and await ConsoleSession.all().count() == 1
        try:
            clock.freeze(clock.utcnow() + timedelta(seconds=settings.session_max_age + 1))
            assert await schedule() == 1
        finally:
            clock.freeze(None)
        assert await ConsoleSession.all().count() == 0
