"""The mini-program API end to end over HTTP against the WeChat emulator: login with single-use codes,
sessions (expiry, logout, erasure), scoping across residents and townships, the consultation behind
the session, my cases with results, requests that become cases, subscribe messages, rate limits and
bad input (a clear 4xx in Chinese, never a 500)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.config import set_settings
from app.core import clock, ratelimit
from tests.cases.conftest import build_team
from tests.consult.conftest import FIXTURE_KB

pytestmark = pytest.mark.db


def at(app: Any, ip: str = "10.20.0.1") -> httpx.AsyncClient:
    """A client that sees what a phone sees (a 500 stays a 500, not an exception in the test)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(ip, 1)),
                             base_url="http://testserver")


async def mint(emulator: Any, **kw: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://wx") as c:
        return (await c.post("/_control/login_codes", json=kw)).json()  # type: ignore[no-any-return]


async def login(c: httpx.AsyncClient, emulator: Any, **kw: Any) -> dict[str, str]:
    code = (await mint(emulator, **kw))["code"]
    r = await c.post("/api/mp/login", json={"code": code})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def kb(settings: Any) -> Any:
    from app.consult import engine

    engine.use_folder(FIXTURE_KB)
    yield
    engine.use_folder(None)


async def test_login_codes_are_single_use_and_refusals_are_chinese(app: Any, emulator: Any) -> None:
    c = at(app)
    minted = await mint(emulator)
    r = await c.post("/api/mp/login", json={"code": minted["code"]})
    assert r.status_code == 200
    body = r.json()
    assert body["new_resident"] is True and len(body["token"]) >= 40
    assert "session_key" not in r.text and emulator.mp_users[minted["openid"]] not in r.text
    # the same code again: WeChat's 40163
    again = await c.post("/api/mp/login", json={"code": minted["code"]})
    assert again.status_code == 401 and again.json()["error"]["code"] == "mp_code_used"
    assert "重新打开小程序" in again.json()["error"]["message"]
    # an invented code: 40029
    bad = await c.post("/api/mp/login", json={"code": "not-a-code"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "mp_code_invalid"
    # a code older than 5 minutes: 40029
    stale = await mint(emulator)
    emulator.offset = timedelta(minutes=6)
    r = await c.post("/api/mp/login", json={"code": stale["code"]})
    assert r.json()["error"]["code"] == "mp_code_invalid"
    emulator.offset = timedelta(0)
    # a high-risk user: 40226
    risky = await mint(emulator, risky=True)
    r = await c.post("/api/mp/login", json={"code": risky["code"]})
    assert r.status_code == 403 and "风险" in r.json()["error"]["message"]
    # the same openid logs in again: the same resident, a new token
    second = await mint(emulator, openid=minted["openid"])
    r2 = await c.post("/api/mp/login", json={"code": second["code"]})
    assert r2.json()["resident_id"] == body["resident_id"] and r2.json()["new_resident"] is False
    assert r2.json()["token"] != body["token"]
    # bad bodies: 400 in Chinese
    for payload in ({}, {"code": ""}, {"code": "x" * 500}, [1, 2]):
        r = await c.post("/api/mp/login", json=payload)
        assert r.status_code == 400 and "填写的内容有误" in r.json()["error"]["message"], payload
    r = await c.post("/api/mp/login", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400


async def test_wechat_busy_and_per_user_limit(app: Any, emulator: Any) -> None:
    from app.emulator.state import LOGIN_PER_USER_MINUTE, Fault

    c = at(app)
    emulator.faults.append(Fault(endpoint="sns/jscode2session", kind="errcode", errcode=-1, remaining=10))
    r = await c.post("/api/mp/login", json={"code": (await mint(emulator))["code"]})
    assert r.status_code == 503 and "12348" in r.json()["error"]["message"]
    emulator.faults.clear()
    # WeChat's 45011: more than 100 logins of one user within a minute
    openid = "oBusyUser000000000000000000"
    emulator.minute_calls[(f"jscode2session:{openid}", emulator.now().strftime("%Y%m%d%H%M"))] = LOGIN_PER_USER_MINUTE
    r = await c.post("/api/mp/login", json={"code": (await mint(emulator, openid=openid))["code"]})
    assert r.status_code == 429 and r.json()["error"]["code"] == "mp_login_limited"


async def test_unionid_joins_the_official_account_resident(app: Any, emulator: Any) -> None:
    from app.residents import service as residents

    link = await residents.ensure_identity(account_key="yx_district", openid="oOfficial1", unionid="uPerson1")
    c = at(app)
    code = (await mint(emulator, unionid="uPerson1"))["code"]
    r = await c.post("/api/mp/login", json={"code": code})
    assert r.json()["resident_id"] == link.resident_id


async def test_session_required_expiry_logout_and_erasure(app: Any, emulator: Any, settings: Any) -> None:
    from app.residents import service as residents

    c = at(app)
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer " + "x" * 400}):
        r = await c.get("/api/mp/me", headers=headers)
        assert r.status_code == 401 and r.json()["error"]["message"].startswith(("请先登录", "登录已过期")), headers
    h = await login(c, emulator)
    assert (await c.get("/api/mp/me", headers=h)).status_code == 200
    # expiry
    clock.freeze(clock.utcnow() + timedelta(hours=settings.mp_session_hours, minutes=1))
    try:
        r = await c.get("/api/mp/me", headers=h)
        assert r.status_code == 401 and r.json()["error"]["code"] == "mp_session_expired"
    finally:
        clock.freeze(None)
    # logout revokes
    assert (await c.get("/api/mp/me", headers=h)).status_code == 200
    assert (await c.post("/api/mp/logout", headers=h)).status_code == 200
    assert (await c.get("/api/mp/me", headers=h)).status_code == 401
    # erasure ends every session
    h2 = await login(c, emulator)
    rid = (await c.get("/api/mp/me", headers=h2)).json()["resident_id"]
    await residents.erase_resident(resident_id=rid, reason="居民申请删除")
    assert (await c.get("/api/mp/me", headers=h2)).status_code == 401


async def test_board_scene_sets_the_community_and_home(app: Any, emulator: Any) -> None:
    c = at(app)
    h = await login(c, emulator)
    assert (await c.get("/api/mp/me", headers=h)).json()["community"] is None
    r = await c.post("/api/mp/board", json={"scene": "b=JXSQ01"}, headers=h)
    assert r.status_code == 200, r.text
    card = r.json()
    assert card["community_name"] == "锦绣社区" and card["board_code"] == "JXSQ01" and card["hotline"] == "12348"
    me = (await c.get("/api/mp/me", headers=h)).json()
    assert me["community"]["community_code"] == "JXSQ"
    # unknown boards and junk scenes: 404 / 400 in Chinese
    for scene in ("b=NOPE99", "b=%E4%B8%AD", "b=" + "A" * 40):
        r = await c.post("/api/mp/board", json={"scene": scene}, headers=h)
        assert r.status_code in (400, 404) and r.json()["error"]["message"], scene
    # choosing by hand
    towns = (await c.get("/api/mp/communities", headers=h)).json()
    assert any(t["code"] == "TYZ" and any(x["code"] == "TYC" for x in t["communities"]) for t in towns)
    r = await c.post("/api/mp/community", json={"community_code": "TYC"}, headers=h)
    assert r.json()["township_code"] == "TYZ"
    for bad in ("TYZ", "NOPE", ""):
        r = await c.post("/api/mp/community", json={"community_code": bad}, headers=h)
        assert r.status_code in (400, 404), bad


async def test_consult_behind_the_session_hands_over_into_my_cases(app: Any, emulator: Any, kb: None) -> None:
    from app.cases import service as cases_service

    c = at(app)
    assert (await c.post("/api/mp/consult/ask", json={"text": "拖欠工资怎么办"})).status_code == 401
    h = await login(c, emulator)
    await c.post("/api/mp/board", json={"scene": "b=JXSQ01"}, headers=h)
    r = await c.post("/api/mp/consult/ask", json={"text": "拖欠工姿怎么办"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["category"] == "labor" and body["handoff"] is False and body["case_number"] is None
    # a person, please: the front desk opens a case with the matter asked before
    r = await c.post("/api/mp/consult/ask", json={"text": "转人工", "request_id": "req-0001"}, headers=h)
    number = r.json()["case_number"]
    assert r.json()["handoff"] is True and number and number in r.json()["reply"]
    again = await c.post("/api/mp/consult/handover", json={"text": "转人工", "request_id": "req-0001"}, headers=h)
    assert again.json()["case_number"] == number  # the same request: the same case
    cases = (await c.get("/api/mp/cases", headers=h)).json()
    assert [x["number"] for x in cases] == [number] and cases[0]["open"] is True
    detail = (await c.get(f"/api/mp/cases/{number}", headers=h)).json()
    assert "拖欠" in detail["summary"] and detail["status_zh"] == "已受理"
    # staff give the result: the resident reads it in 我的事项
    team = await build_team()
    case = (await cases_service.open_cases_for_resident(resident_id=(await c.get("/api/mp/me", headers=h))
                                                         .json()["resident_id"]))[0]
    await cases_service.take(actor=team.clerk, case_id=case.id)
    await cases_service.add_note(actor=team.clerk, case_id=case.id, text="内部备注：不给居民看")
    await cases_service.give_result(actor=team.clerk, case_id=case.id, text="已联系用人单位，工资本周发放。")
    detail = (await c.get(f"/api/mp/cases/{number}", headers=h)).json()
    assert detail["result"] == "已联系用人单位，工资本周发放。" and detail["open"] is False
    assert all("内部备注" not in m["text"] for m in detail["messages"])
    # a question in danger is answered and handed over urgently
    r = await c.post("/api/mp/consult/ask", json={"text": "他拿刀要砍我"}, headers=h)
    assert r.status_code == 200 and r.json()["urgent"] is True and "110" in r.json()["reply"]
    # bad input
    for payload in ({"text": ""}, {"text": "x" * 2001}, {"text": "好", "category": "x" * 40}, {}):
        r = await c.post("/api/mp/consult/ask", json=payload, headers=h)
        assert 400 <= r.status_code < 500 and r.json()["error"]["message"], payload


async def test_no_resident_reads_another_residents_case(app: Any, emulator: Any, kb: None) -> None:
    """IDOR: two residents in two townships; numbers guessed, others' numbers tried, junk numbers."""
    c = at(app)
    ha = await login(c, emulator)
    hb = await login(c, emulator)
    await c.post("/api/mp/community", json={"community_code": "JXSQ"}, headers=ha)  # 云溪街道
    await c.post("/api/mp/community", json={"community_code": "TYC"}, headers=hb)  # 桃源镇
    form = {"kind": "mediation", "summary": "邻居装修漏水到我家，协商不成", "name": "王五", "phone": "13900001111",
            "documents": ["id"]}
    na = (await c.post("/api/mp/requests", json=form, headers=ha)).json()["case_number"]
    nb = (await c.post("/api/mp/requests", json={**form, "name": "赵六"}, headers=hb)).json()["case_number"]
    assert (await c.get(f"/api/mp/cases/{na}", headers=ha)).status_code == 200
    for number in (nb, nb.lower(), nb[:-1] + "9", "YX20990101-0001"):
        r = await c.get(f"/api/mp/cases/{number}", headers=ha)
        assert r.status_code == 404 and r.json()["error"]["message"] == "没有找到这件事项。", number
    r = await c.get(f"/api/mp/cases/{na}", headers=hb)
    assert r.status_code == 404
    assert [x["number"] for x in (await c.get("/api/mp/cases", headers=hb)).json()] == [nb]
    for junk in ("../../etc", "a" * 30, "%27%20or%201=1", "123%00"):
        r = await c.get(f"/api/mp/cases/{junk}", headers=ha)
        assert r.status_code in (400, 404), junk


async def test_requests_become_cases_with_their_checklist(app: Any, emulator: Any) -> None:
    from app.cases import service as cases_service

    c = at(app)
    h = await login(c, emulator)
    await c.post("/api/mp/board", json={"scene": "b=JXSQ01"}, headers=h)
    forms = (await c.get("/api/mp/requests/forms", headers=h)).json()
    assert set(forms) == {"legal_aid", "mediation", "notarization"}
    assert "法律援助法" in forms["legal_aid"]["law"] and forms["legal_aid"]["documents"]
    body = {"kind": "legal_aid", "summary": "工地欠薪三个月，请求法律援助", "name": "李四", "phone": "138 0000 1234",
            "documents": ["id"], "request_id": "form-legalaid-1"}
    r = await c.post("/api/mp/requests", json=body, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["missing"] and any("证明材料" in m for m in out["missing"]) and out["case_number"] in out["message"]
    assert (await c.post("/api/mp/requests", json=body, headers=h)).json()["case_number"] == out["case_number"]
    me = (await c.get("/api/mp/me", headers=h)).json()
    case = (await cases_service.open_cases_for_resident(resident_id=me["resident_id"]))[0]
    assert case.type == "legal_aid" and case.channel == "miniprogram" and case.community_code == "JXSQ"
    assert "13800001234" not in case.summary
    for bad, field in (({**body, "phone": "12345"}, "手机"), ({**body, "summary": "短"}, "经过"),
                       ({**body, "kind": "divorce"}, "有误"), ({**body, "name": ""}, "有误"),
                       ({**body, "documents": ["x"] * 20}, "有误")):
        r = await c.post("/api/mp/requests", json={**bad, "request_id": None}, headers=h)
        assert r.status_code == 400 and field in r.json()["error"]["message"], bad


async def test_subscribe_messages_recorded_and_spent(app: Any, emulator: Any) -> None:
    from app.mp_api import service

    c = at(app)
    minted = await mint(emulator)
    r = await c.post("/api/mp/login", json={"code": minted["code"]})
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    tpl = (await c.get("/api/mp/subscriptions", headers=h)).json()
    tid = tpl["case_result"]["template_id"]
    r = await c.post("/api/mp/subscriptions", json={"scene": "case_accepted",
                                                    "results": {tid: "accept", "someone-elses": "accept"}}, headers=h)
    assert r.json()["recorded"] == {"case_result": {"status": "accept", "remaining": 1}}
    mp = emulator.by_key("miniprogram")
    mp.sub_templates.add(tid)
    mp.subscriptions[(minted["openid"], tid)] = "once"
    rid = r.json() and (await c.get("/api/mp/me", headers=h)).json()["resident_id"]
    assert await service.notify(resident_id=rid, moment="case_result", data={"thing1": "您的事项已办结"}) == "sent"
    assert emulator.sent["mp_subscribe"][-1]["openid"] == minted["openid"]
    # one allowed, one used: the next waits for the resident to allow again
    assert await service.notify(resident_id=rid, moment="case_result", data={"thing1": "再来一次"}) == "not_allowed"
    for bad in ({"scene": "nope", "results": {}}, {"scene": "case_result"}, {"scene": "case_result", "results": [1]}):
        r = await c.post("/api/mp/subscriptions", json=bad, headers=h)
        assert r.status_code == 400, bad


async def test_rate_limits_per_resident_and_per_client(app: Any, emulator: Any, settings: Any, kb: None) -> None:
    set_settings(settings.model_copy(update={"rate_limits": {**settings.rate_limits, "mp_resident": "5/minute",
                                                             "mp_login": "3/minute"}}))
    ratelimit.reset()
    c = at(app, "10.20.0.9")
    h = await login(c, emulator)
    codes = [r.status_code for r in [await c.get("/api/mp/cases", headers=h) for _ in range(6)]]
    assert codes == [200] * 5 + [429]
    r = await c.get("/api/mp/me", headers=h)
    assert r.status_code == 429 and "12348" in r.json()["error"]["message"] and r.headers["Retry-After"]
    h2 = await login(c, emulator)  # another resident on the same phone network is not limited by the first
    assert (await c.get("/api/mp/cases", headers=h2)).status_code == 200
    # the login per client
    await c.post("/api/mp/login", json={"code": "x"})
    r = await c.post("/api/mp/login", json={"code": "x"})
    assert r.status_code == 429
    assert (await at(app, "10.20.0.10").post("/api/mp/login", json={"code": "x"})).status_code == 401


async def test_no_endpoint_answers_500_to_junk(app: Any, emulator: Any) -> None:
    """Every /api/mp/ route, with junk bodies and parameters, logged in and not: a 4xx, never a 500."""
    from tests.test_edge import api_routes

    c = at(app)
    h = await login(c, emulator)
    routes = [r for p, r in api_routes(app.routes) if p.startswith("/api/mp/")]
    assert len(routes) >= 14 and (await c.get("/api/mp/features", headers=h)).json()["consult"] is True
    seen: set[int] = set()
    junk_bodies: list[Any] = [None, {}, [], "x", {"text": None, "kind": 5, "results": "a", "scene": {"a": 1}},
                              {"code": 12, "community_code": ["A"], "summary": "x" * 10000}]
    for r in routes:
        path = "/api/mp" + r.path.removeprefix("/api/mp").replace("{number}", "%FF%FE")
        for method in r.methods:
            for headers in ({}, h):
                for body in junk_bodies:
                    resp = await c.request(method, path, headers=headers,
                                           content=None if body is None else json.dumps(body))
                    assert resp.status_code < 500, (method, path, body, resp.text)
                    seen.add(resp.status_code)
                    if resp.status_code >= 400:
                        assert resp.json()["error"]["message"], (method, path)
                    ratelimit.reset()
    assert {400, 401} <= seen  # the routes were reached (not all 404)


async def _notarisation_request(c: httpx.AsyncClient, emulator: Any) -> tuple[dict[str, Any], dict[str, str], int, str]:
    """A new mini-program resident at 锦绣社区's board asks for notarisation: (minted login, headers, resident
    id, case number)."""
    minted = await mint(emulator)
    r = await c.post("/api/mp/login", json={"code": minted["code"]})
    h = {"Authorization": f"Bearer {r.json()['token']}"}
    await c.post("/api/mp/board", json={"scene": "b=JXSQ01"}, headers=h)
    form = {"kind": "notarization", "summary": "办理房屋赠与合同公证需要什么", "name": "周七", "phone": "13700001111"}
    number = (await c.post("/api/mp/requests", json=form, headers=h)).json()["case_number"]
    return minted, h, int(r.json()["resident_id"]), number


async def test_a_result_reaches_the_resident_as_the_subscribe_message_they_allowed(
        app: Any, emulator: Any, drain_jobs: Any) -> None:
    """The event cases.result_given (published when staff give the result) → job mp.notify → WeChat's
    subscribe/send, once, with the template's values; without an allowance nothing is sent."""
    from app.cases import service as cases_service

    c = at(app)
    minted, h, rid, number = await _notarisation_request(c, emulator)
    tid = (await c.get("/api/mp/subscriptions", headers=h)).json()["case_result"]["template_id"]
    await c.post("/api/mp/subscriptions", json={"scene": "case_accepted", "results": {tid: "accept"}}, headers=h)
    mp = emulator.by_key("miniprogram")
    mp.sub_templates.add(tid)
    mp.subscriptions[(minted["openid"], tid)] = "once"
    team = await build_team()
    case = (await cases_service.open_cases_for_resident(resident_id=rid))[0]
    await cases_service.take(actor=team.clerk, case_id=case.id)
    await cases_service.give_result(actor=team.clerk, case_id=case.id,
                                    text="请携带房产证、双方身份证到公证处办理，约需5个工作日。")
    await drain_jobs()
    sent = emulator.sent.get("mp_subscribe", [])
    assert len(sent) == 1 and sent[0]["openid"] == minted["openid"] and sent[0]["template_id"] == tid
    assert sent[0]["data"]["character_string1"]["value"] == number
    assert sent[0]["page"] == f"pages/case/index?number={number}"
    assert (await c.get("/api/mp/subscriptions", headers=h)).json()["case_result"]["remaining"] == 0
    # a second result (reopened and answered again) finds no allowance left: nothing more is sent
    await cases_service.reopen(actor=team.clerk, case_id=case.id, reason="居民补充了情况")
    await cases_service.give_result(actor=team.clerk, case_id=case.id, text="补充答复：也可预约上门办理。")
    await drain_jobs()
    assert len(emulator.sent.get("mp_subscribe", [])) == 1


async def test_demo_login_code_for_the_developer_tools(app: Any, emulator: Any, settings: Any) -> None:
    """make run's demo: the mini-program gets its code from the loopback WeChat; the same device
    comes back as the same resident; outside demo mode the route does not exist."""
    c = at(app)
    first = (await c.post("/demo/mp/login-code", json={"device": "dabc123"})).json()["code"]
    r1 = (await c.post("/api/mp/login", json={"code": first})).json()
    second = (await c.post("/demo/mp/login-code", json={"device": "dabc123"})).json()["code"]
    r2 = (await c.post("/api/mp/login", json={"code": second})).json()
    assert r1["resident_id"] == r2["resident_id"] and r2["new_resident"] is False
    assert (await c.post("/demo/mp/login-code", content=b"junk")).status_code == 200
    set_settings(settings.model_copy(update={"demo": False}))
    assert (await c.post("/demo/mp/login-code", json={})).status_code == 404


async def test_articles_of_the_residents_township(app: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """普法文章 come from the push domain for the resident's township, with absolute H5 addresses;
    the feature lights up the home page's entry."""
    from app.push import service as push_service

    asked: list[Any] = []

    async def latest(*, township_code: str | None, limit: int = 3) -> list[dict[str, str]]:
        asked.append(township_code)
        return [{"title": "讨薪别走极端", "summary": "依法维权", "url": "/articles/wage"}]

    c = at(app)
    h = await login(c, emulator)
    assert (await c.get("/api/mp/features", headers=h)).json()["articles"] is True
    assert (await c.get("/api/mp/articles", headers=h)).status_code == 200  # the real push service: none yet
    monkeypatch.setattr(push_service, "latest_for_board", latest)
    await c.post("/api/mp/community", json={"community_code": "TYC"}, headers=h)
    items = (await c.get("/api/mp/articles", headers=h)).json()
    assert asked[-1] == "TYZ"
    assert items == [{"title": "讨薪别走极端", "summary": "依法维权", "url": "http://127.0.0.1:8000/articles/wage"}]


async def test_demo_subscribe_reaches_the_emulator(app: Any, emulator: Any, settings: Any, drain_jobs: Any) -> None:
    """make run's demo: fake-wechat has the mini-program's templates, /demo/mp/subscribe tells it what the
    developer tools' resident accepted, so a case's result goes out as a subscribe message."""
    from app.cases import service as cases_service
    from app.emulator.commands import seed_demo_subscribe_templates

    assert set(seed_demo_subscribe_templates(emulator, settings)) == set(settings.mp_subscribe_templates.values())
    c = at(app)
    code = (await c.post("/demo/mp/login-code", json={"device": "dsub1"})).json()["code"]
    login_ = (await c.post("/api/mp/login", json={"code": code})).json()
    h = {"Authorization": f"Bearer {login_['token']}"}
    await c.post("/api/mp/board", json={"scene": "b=JXSQ01"}, headers=h)
    form = {"kind": "mediation", "summary": "邻居占用楼道堆放杂物", "name": "吴八", "phone": "13600001111"}
    await c.post("/api/mp/requests", json=form, headers=h)
    tid = settings.mp_subscribe_templates["case_result"]
    r = await c.post("/demo/mp/subscribe", json={"device": "dsub1", "results": {tid: "accept"}})
    assert r.json() == {"accepted": [tid]}
    await c.post("/api/mp/subscriptions", json={"scene": "case_accepted", "results": {tid: "accept"}}, headers=h)
    for bad in ({}, {"device": "dsub1", "results": "x"}, {"results": {tid: "accept"}}):
        assert (await c.post("/demo/mp/subscribe", json=bad)).status_code == 400, bad
    team = await build_team()
    case = (await cases_service.open_cases_for_resident(resident_id=login_["resident_id"]))[0]
    await cases_service.take(actor=team.clerk, case_id=case.id)
    await cases_service.give_result(actor=team.clerk, case_id=case.id, text="已调解，邻居同意清理。")
    await drain_jobs()
    assert [m["openid"] for m in emulator.sent.get("mp_subscribe", [])] == ["o_mpdemo_dsub1"]


async def test_a_miniprogram_only_resident_is_invited_to_rate_by_the_subscribe_message_they_allowed(
        app: Any, emulator: Any, drain_jobs: Any) -> None:
    """A resident who never followed an official account: the rating invitation after the result goes as
    the mini-program's subscribe message (allowed when the request was made), opening the rating page;
    without an allowance the invitation falls back to the receipt code, as before."""
    from app.cases import service as cases_service
    from app.surveys.models import SurveyInvitation

    c = at(app)
    minted, h, rid, _ = await _notarisation_request(c, emulator)
    tpl = (await c.get("/api/mp/subscriptions", headers=h)).json()
    result_tid, rate_tid = tpl["case_result"]["template_id"], tpl["survey_invitation"]["template_id"]
    await c.post("/api/mp/subscriptions", headers=h, json={"scene": "case_accepted",
                                                          "results": {result_tid: "accept", rate_tid: "accept"}})
    mp = emulator.by_key("miniprogram")
    for tid in (result_tid, rate_tid):
        mp.sub_templates.add(tid)
        mp.subscriptions[(minted["openid"], tid)] = "once"
    team = await build_team()
    case = (await cases_service.open_cases_for_resident(resident_id=rid))[0]
    await cases_service.take(actor=team.clerk, case_id=case.id)
    await cases_service.give_result(actor=team.clerk, case_id=case.id, text="请携带房产证到公证处办理。")
    await drain_jobs()
    sent = [m for m in emulator.sent.get("mp_subscribe", []) if m["template_id"] == rate_tid]
    inv = await SurveyInvitation.get(case_id=case.id)
    assert inv.status == "sent" and inv.via == "mp", (inv.status, inv.via, inv.reason)
    assert len(sent) == 1 and sent[0]["openid"] == minted["openid"] and sent[0]["page"] == f"pages/surveys/index?id={inv.id}"
    assert (await c.get("/api/mp/subscriptions", headers=h)).json()["survey_invitation"]["remaining"] == 0
    rating = await c.get("/api/mp/ratings", headers=h)  # the page the message opens lists it
    assert rating.status_code == 200 and inv.id in [x["id"] for x in rating.json()]
    # another resident who allowed nothing: the receipt code, as before
    _, _, other_rid, _ = await _notarisation_request(c, emulator)
    other = (await cases_service.open_cases_for_resident(resident_id=other_rid))[0]
    await cases_service.take(actor=team.clerk, case_id=other.id)
    await cases_service.give_result(actor=team.clerk, case_id=other.id, text="请携带房产证到公证处办理。")
    await drain_jobs()
    assert (await SurveyInvitation.get(case_id=other.id)).via == "receipt"
    assert len([m for m in emulator.sent.get("mp_subscribe", []) if m["template_id"] == rate_tid]) == 1
