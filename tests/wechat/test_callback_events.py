"""Events the product needs: subscribe with/without scene, SCAN, CLICK, VIEW, LOCATION, job results."""

from __future__ import annotations

from app.config import set_settings
from app.jobs.models import Job
from app.matrix.service import get_matrix
from app.residents.models import ResidentAccount
from app.wechat.models import InboundMessage
from app.wechat.windows import window_state
from tests.conftest import make_settings
from tests.wechat.helpers import PLAIN, SAFE, sim


async def test_subscribe_without_scene_welcomes_and_follows(client) -> None:
    s = sim(client, SAFE)
    res = await s.event("o_sub", "subscribe")
    assert res.text == get_matrix().get(SAFE).welcome_text
    link = await ResidentAccount.get(account_key=SAFE, openid="o_sub")
    assert link.following and link.followed_at is not None
    assert (await window_state(account_key=SAFE, openid="o_sub"))["short_open"]
    assert await Job.filter(name="wechat.fetch_user_info").exists()

    res = await s.event("o_sub", "unsubscribe")
    assert res.is_success
    link = await ResidentAccount.get(account_key=SAFE, openid="o_sub")
    assert not link.following and link.unfollowed_at is not None


async def test_subscribe_by_scan_strips_prefix_and_scan_keeps_key(client) -> None:
    s = sim(client, PLAIN)
    await s.event("o_scan", "subscribe", "qrscene_zzt:unknown-scene", Ticket="t1")
    await s.event("o_scan", "SCAN", "zzt:unknown-scene", Ticket="t1")
    rows = await InboundMessage.filter(openid="o_scan").order_by("id")
    assert [(r.event, r.event_key) for r in rows] == [("subscribe", "zzt:unknown-scene"),
                                                       ("scan", "zzt:unknown-scene")]
    assert rows[0].fields_json["EventKey"] == "qrscene_zzt:unknown-scene"


async def test_hotline_menu_key(client, settings) -> None:
    res = await sim(client, PLAIN).event("o_click", "CLICK", "info:hotline")
    assert settings.hotline in (res.text or "")
    assert (await window_state(account_key=PLAIN, openid="o_click"))["short_open"]


async def test_recorded_events_answer_success(client) -> None:
    s = sim(client, PLAIN)
    results = [
        await s.event("o_ev", "VIEW", "https://example.org/laws"),
        await s.event("o_ev", "LOCATION", Latitude="23.137466", Longitude="113.352425", Precision="119.385040"),
        await s.event("o_ev", "MASSSENDJOBFINISH", MsgID=1000001625, Status="send success", TotalCount=100,
                      FilterCount=80, SentCount=75, ErrorCount=5),
        await s.event("o_ev", "TEMPLATESENDJOBFINISH", MsgID=200163836, Status="success"),
        await s.event("o_ev", "subscribe_msg_popup_event"),
        await s.event("o_ev", "subscribe_msg_change_event"),
        await s.event("o_ev", "subscribe_msg_sent_event"),
    ]
    assert all(r.is_success for r in results)
    rows = await InboundMessage.filter(openid="o_ev").order_by("id")
    assert [r.event for r in rows] == ["view", "location", "masssendjobfinish", "templatesendjobfinish",
                                       "subscribe_msg_popup_event", "subscribe_msg_change_event",
                                       "subscribe_msg_sent_event"]
    assert all(r.known and r.status == "done" for r in rows)
    assert rows[2].fields_json["SentCount"] == "75"


async def test_news_limits(client) -> None:
    s = sim(client, SAFE)
    after_event = await s.event("o_news", "CLICK", "zzt:news")
    assert len(after_event.articles) == 8
    after_message = await s.text("o_news", "ZZT-news")
    assert len(after_message.articles) == 1
    assert after_message.articles[0]["Title"] == "文章0"


async def test_long_text_is_split(client) -> None:
    set_settings(make_settings(wechat_max_text_bytes=600))
    res = await sim(client, PLAIN).text("o_long", "ZZT-long")
    assert res.text is not None
    assert len(res.text.encode("utf-8")) <= 600 and res.text.endswith("（未完，续见下条）")
    jobs = await Job.filter(name="wechat.send_text").order_by("id")
    assert len(jobs) == 1  # one job for the parts, in order
    parts = jobs[0].payload["texts"]
    assert parts and all(len(t.encode("utf-8")) <= 600 for t in parts)
    joined = res.text.removesuffix("\n（未完，续见下条）") + "".join(parts)
    assert joined.count("法律援助") == 120
