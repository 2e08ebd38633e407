"""The mini-program's booking and rating over HTTP (test client, code2session through the emulator):
services, points, free slots, book (idempotent), my bookings, the check-in code, cancel and move;
rating a finished service with the five levels and the survey's questions; every read and write
scoped to the resident (another resident's code or invitation answers "not found"); bad input a
clear 4xx in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from app.core import clock
from app.core.clock import LOCAL_TZ
from tests.factories import make_booking_plan
from tests.mp_api.test_mp_api import at, login

pytestmark = pytest.mark.db

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=LOCAL_TZ).astimezone(UTC)  # a Monday, 08:00 Beijing time
POINT, SERVICE = "SP-TYZ", "notary"
SLOT, SLOT2 = "2026-12-08T09:00", "2026-12-08T09:30"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[datetime]:
    from app.booking.service import catalog

    catalog.forget_cached()
    clock.freeze(NOW)
    try:
        yield NOW
    finally:
        clock.freeze(None)
        catalog.forget_cached()


@pytest.fixture
async def plan(app: Any) -> list[Any]:
    return await make_booking_plan(point=POINT, service=SERVICE, capacity=3)


def form(**over: Any) -> dict[str, Any]:
    body = {"point": POINT, "service": SERVICE, "slot": SLOT, "name": "王大爷", "phone": "13900001111",
            "request_id": "req-0001"}
    body.update(over)
    return body


async def test_book_list_check_in_code_move_cancel(app: Any, emulator: Any, plan: Any) -> None:
    c = at(app)
    h = await login(c, emulator)
    services = (await c.get("/api/mp/booking/services", headers=h)).json()
    assert any(s["code"] == SERVICE for s in services)
    points = (await c.get("/api/mp/booking/points", headers=h)).json()
    assert any(p["code"] == POINT and p["address"] for p in points)
    slots = (await c.get("/api/mp/booking/slots", params={"point": POINT, "service": SERVICE}, headers=h)).json()
    assert SLOT in [s["slot"] for s in slots] and all(s["left"] > 0 for s in slots)
    assert (await c.get("/api/mp/booking/slots", params={"point": POINT, "service": SERVICE})).status_code == 401

    r = await c.post("/api/mp/bookings", json=form(), headers=h)
    assert r.status_code == 201, r.text
    b = r.json()
    assert b["created"] is True and b["status_zh"] == "已预约" and b["can_change"] and b["upcoming"]
    assert len(b["code"]) >= 4 and b["phone"] != "13900001111"  # the phone comes back masked
    # the same submission again (a double tap, a retry after a timeout): the same booking
    again = (await c.post("/api/mp/bookings", json=form(), headers=h)).json()
    assert again["code"] == b["code"] and again["created"] is False
    mine = (await c.get("/api/mp/bookings", headers=h)).json()
    assert [x["code"] for x in mine] == [b["code"]]
    one = (await c.get(f"/api/mp/bookings/{b['code'].lower()}", headers=h)).json()
    assert one["code"] == b["code"] and one["local_time"]

    moved = await c.post(f"/api/mp/bookings/{b['code']}/move", json={"slot": SLOT2}, headers=h)
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"].startswith("2026-12-08T01:30") and moved.json()["code"] == b["code"]
    cancelled = await c.post(f"/api/mp/bookings/{b['code']}/cancel", headers=h)
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["can_change"] is False
    again = await c.post(f"/api/mp/bookings/{b['code']}/cancel", headers=h)
    assert again.status_code == 409 and again.json()["error"]["message"]
    mine = (await c.get("/api/mp/bookings", headers=h)).json()
    assert mine[0]["status_zh"] == "已取消" and mine[0]["upcoming"] is False


async def test_another_resident_cannot_see_or_change_a_booking(app: Any, emulator: Any, plan: Any) -> None:
    c = at(app)
    ha, hb = await login(c, emulator), await login(c, emulator)
    code = (await c.post("/api/mp/bookings", json=form(), headers=ha)).json()["code"]
    for method, path, body in (("GET", f"/api/mp/bookings/{code}", None),
                               ("POST", f"/api/mp/bookings/{code}/cancel", None),
                               ("POST", f"/api/mp/bookings/{code}/move", {"slot": SLOT2}),
                               ("GET", "/api/mp/bookings/ZZZZZZ", None)):
        r = await c.request(method, path, json=body, headers=hb)
        assert r.status_code == 404 and r.json()["error"]["code"] == "mp_booking_not_found", path
        assert "没有找到这个预约" in r.json()["error"]["message"]
    assert (await c.get("/api/mp/bookings", headers=hb)).json() == []
    assert (await c.get(f"/api/mp/bookings/{code}", headers=ha)).json()["status"] == "booked"


async def test_booking_bad_input_is_a_clear_4xx(app: Any, emulator: Any, plan: Any) -> None:
    c = at(app)
    h = await login(c, emulator)
    cases = [
        (form(slot="tomorrow"), 400, "填写的内容有误"),
        (form(slot="2026-12-08T03:00"), 400, None),  # not offered
        (form(point="NOPE"), 404, None),
        (form(service="nope"), 404, None),
        (form(phone="12345"), 400, "手机"),
        (form(name=""), 400, None),
        (form(request_id="x" * 200), 400, None),
        ({"point": POINT}, 400, None),
    ]
    for body, status, words in cases:
        r = await c.post("/api/mp/bookings", json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        message = r.json()["error"]["message"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
        if words:
            assert words in message, message
    for path in ("/api/mp/bookings/%3Cscript%3E", "/api/mp/bookings/" + "A" * 40):
        assert (await c.get(path, headers=h)).status_code in (400, 404)
    r = await c.post("/api/mp/bookings/ABC/move", json={"slot": "soon"}, headers=h)
    assert r.status_code == 400
    r = await c.get("/api/mp/booking/slots", params={"point": POINT}, headers=h)
    assert r.status_code == 400


async def test_a_full_slot_answers_the_next_free_ones(app: Any, emulator: Any) -> None:
    await make_booking_plan(point=POINT, service=SERVICE, capacity=1)
    c = at(app)
    ha, hb = await login(c, emulator), await login(c, emulator)
    assert (await c.post("/api/mp/bookings", json=form(), headers=ha)).status_code == 201
    r = await c.post("/api/mp/bookings", json=form(phone="13900002222", request_id="req-0002"), headers=hb)
    assert r.status_code == 409 and "已约满" in r.json()["error"]["message"]
    assert r.json()["error"]["next"]


async def _served(c: Any, h: dict[str, str], drain_jobs: Any) -> str:
    """Book, check in at the desk on the day (booking.checked_in → the survey's invitation)."""
    from app.booking import service as booking_service
    from app.core.scope import OrgScope

    code = (await c.post("/api/mp/bookings", json=form(), headers=h)).json()["code"]
    clock.freeze(datetime(2026, 12, 8, 9, 5, tzinfo=LOCAL_TZ).astimezone(UTC))
    await booking_service.check_in(code=code, scope=OrgScope.everything(), staff_name="值班律师")
    await drain_jobs()
    return code


async def test_rate_a_finished_service_with_the_five_levels(app: Any, emulator: Any, plan: Any,
                                                           drain_jobs: Any) -> None:
    c = at(app)
    h = await login(c, emulator)
    await _served(c, h, drain_jobs)
    items = (await c.get("/api/mp/ratings", headers=h)).json()
    assert len(items) == 1 and items[0]["rated"] is False and items[0]["type_zh"] == "预约服务"
    iid = items[0]["id"]
    detail = (await c.get(f"/api/mp/ratings/{iid}", headers=h)).json()
    assert [lv["label"] for lv in detail["levels"]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert {"attitude", "first_choice"} <= {q["id"] for q in detail["questions"]} and detail["open"]
    r = await c.post(f"/api/mp/ratings/{iid}", json={"level": 2, "answers": {"attitude": 1, "first_choice": "会",
                                                                           "heard_from": ["微信公众号"]}}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["result"] == "new" and "感谢" in r.json()["message"]
    assert r.json()["rating"]["level_zh"] == "满意" and r.json()["rating"]["answers"]["first_choice"] == "会"
    # a mis-tap corrected within the window; a bad review says it will be followed up
    r = await c.post(f"/api/mp/ratings/{iid}", json={"level": 4}, headers=h)
    assert r.json()["result"] == "corrected" and "联系您" in r.json()["message"]
    from app.surveys.models import SurveyResponse

    resp = await SurveyResponse.get(invitation_id=iid)
    assert resp.level == 4 and resp.answered_via == "miniprogram" and resp.history[0]["level"] == 2
    # past the correction window: locked, in Chinese
    clock.freeze(datetime(2026, 12, 8, 12, 0, tzinfo=LOCAL_TZ).astimezone(UTC))
    r = await c.post(f"/api/mp/ratings/{iid}", json={"level": 1}, headers=h)
    assert r.status_code == 409 and "更正时限" in r.json()["error"]["message"]


async def test_no_resident_rates_anothers_service_and_bad_ratings_are_4xx(app: Any, emulator: Any, plan: Any,
                                                                           drain_jobs: Any) -> None:
    c = at(app)
    ha, hb = await login(c, emulator), await login(c, emulator)
    await _served(c, ha, drain_jobs)
    iid = (await c.get("/api/mp/ratings", headers=ha)).json()[0]["id"]
    assert (await c.get("/api/mp/ratings", headers=hb)).json() == []
    for method, body in (("GET", None), ("POST", {"level": 1})):
        r = await c.request(method, f"/api/mp/ratings/{iid}", json=body, headers=hb)
        assert r.status_code == 404 and r.json()["error"]["code"] == "mp_rating_not_found"
    for body in ({"level": 0}, {"level": 6}, {"level": "好"}, {}, {"level": 1, "answers": {"a": {"b": 1}}}):
        r = await c.post(f"/api/mp/ratings/{iid}", json=body, headers=ha)
        assert r.status_code == 400 and "填写的内容有误" in r.json()["error"]["message"], body
    for path in ("/api/mp/ratings/0", "/api/mp/ratings/abc", "/api/mp/ratings/99999999999"):
        assert (await c.get(path, headers=ha)).status_code in (400, 404)
    assert (await c.get("/api/mp/ratings/999999", headers=ha)).status_code == 404


async def test_reminders_by_subscribe_message_when_allowed_and_not_after_a_cancel(
        app: Any, emulator: Any, plan: Any, drain_jobs: Any) -> None:
    """A resident who follows no official account: the reminders (the day before at 10:00, two hours
    before) come as the mini-program's subscribe message they allowed at booking; once each; a
    cancelled booking's reminder is not sent."""
    c = at(app)
    minted_h = await login(c, emulator)
    subs = (await c.get("/api/mp/subscriptions", headers=minted_h)).json()
    tid = subs["booking_reminder"]["template_id"]
    code = (await c.post("/api/mp/bookings", json=form(), headers=minted_h)).json()["code"]
    r = await c.post("/api/mp/subscriptions", json={"scene": "booking_confirmed", "results": {tid: "accept"}},
                     headers=minted_h)
    assert r.json()["recorded"]["booking_reminder"]["remaining"] == 1
    mp = emulator.by_key("miniprogram")
    mp.sub_templates.add(tid)
    openid = next(s for s in emulator.login_codes.values() if s["used"])["openid"]
    mp.subscriptions[(openid, tid)] = "once"
    await drain_jobs(now=datetime(2026, 12, 7, 9, 59, tzinfo=LOCAL_TZ).astimezone(UTC))
    assert emulator.sent.get("mp_subscribe", []) == []  # not yet
    clock.freeze(datetime(2026, 12, 7, 10, 0, 30, tzinfo=LOCAL_TZ).astimezone(UTC))
    await drain_jobs()
    sent = emulator.sent.get("mp_subscribe", [])
    assert len(sent) == 1 and sent[0]["template_id"] == tid and sent[0]["page"] == f"pages/booking/mine?code={code}"
    assert sent[0]["data"]["character_string4"]["value"] == code
    assert sent[0]["data"]["time2"]["value"] == "2026-12-08 09:00"
    # the second reminder finds no allowance left (one accept = one message): nothing more is sent
    clock.freeze(datetime(2026, 12, 8, 7, 0, 30, tzinfo=LOCAL_TZ).astimezone(UTC))
    await drain_jobs()
    assert len(emulator.sent.get("mp_subscribe", [])) == 1


async def test_a_cancelled_booking_sends_no_reminder(app: Any, emulator: Any, plan: Any, drain_jobs: Any) -> None:
    c = at(app)
    h = await login(c, emulator)
    tid = (await c.get("/api/mp/subscriptions", headers=h)).json()["booking_reminder"]["template_id"]
    code = (await c.post("/api/mp/bookings", json=form(), headers=h)).json()["code"]
    await c.post("/api/mp/subscriptions", json={"scene": "booking_confirmed", "results": {tid: "accept"}}, headers=h)
    emulator.by_key("miniprogram").sub_templates.add(tid)
    await c.post(f"/api/mp/bookings/{code}/cancel", headers=h)
    clock.freeze(datetime(2026, 12, 8, 8, 0, tzinfo=LOCAL_TZ).astimezone(UTC))
    await drain_jobs()
    assert emulator.sent.get("mp_subscribe", []) == []
    assert (await c.get("/api/mp/subscriptions", headers=h)).json()["booking_reminder"]["remaining"] == 1


async def test_my_bookings_still_show_when_a_service_was_retired(app: Any, emulator: Any, plan: Any) -> None:
    from app.booking.models import BookingService
    from app.booking.service import catalog

    c = at(app)
    h = await login(c, emulator)
    code = (await c.post("/api/mp/bookings", json=form(), headers=h)).json()["code"]
    await BookingService.filter(code=SERVICE).update(active=False)  # retired in the console
    catalog.forget_cached()
    r = await c.get("/api/mp/bookings", headers=h)
    assert r.status_code == 200 and r.json()[0]["code"] == code and r.json()[0]["local_time"]


async def test_a_booking_after_a_board_scan_carries_the_board(app: Any, emulator: Any, plan: Any) -> None:
    from app.booking import service as booking_service

    c = at(app)
    h = await login(c, emulator)
    assert (await c.post("/api/mp/board", json={"scene": "b=JXSQ01"}, headers=h)).status_code == 200
    await c.post("/api/mp/bookings", json=form(), headers=h)
    counts = await booking_service.count_by_board(board_codes=["JXSQ01"], since=None, until=None)
    assert counts == {"JXSQ01": 1}
