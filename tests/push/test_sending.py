"""Sending through the matrix: one copy per person across accounts, quotas refused before sending,
clientmsgid idempotency under a lost answer, quiet hours, failures retried without doubling."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from app.config import set_settings
from app.core.clock import LOCAL_TZ, local_today, utcnow
from app.jobs.models import Job
from app.push import service
from app.push.models import PushChunk, PushDelivery
from app.wechat.outbound_models import WechatMassSend
from tests.conftest import make_settings
from tests.push.conftest import Team, approved_article, follow, received

ALL3 = ["yx_district", "yx_jiedao", "yx_taoyuan"]


async def _flush(emulator: Any) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://emu") as emu:
        await emu.post("/_control/flush")


async def _matrix_followers(emulator: Any) -> dict[str, list[str]]:
    """Who follows what: some follow one account, some two, one person all three (unionids known)."""
    plan = {"jd": ["yx_jiedao"], "ty": ["yx_taoyuan"], "di": ["yx_district"], "jd_di": ["yx_jiedao", "yx_district"],
            "ty_di": ["yx_taoyuan", "yx_district"], "jd_ty": ["yx_jiedao", "yx_taoyuan"], "all": ALL3}
    counts = {"jd": 6, "ty": 5, "di": 4, "jd_di": 3, "ty_di": 2, "jd_ty": 2, "all": 1}
    people: dict[str, list[str]] = {}
    for kind, accounts in plan.items():
        for i in range(counts[kind]):
            uid = f"{kind}-{i}"
            people[uid] = accounts
            for key in accounts:
                await follow(emulator, key, unionid=uid, township="YXJD" if "jiedao" in key else "TYZ")
    return people


async def test_matrix_wide_send_reaches_everyone_once(app: Any, emulator: Any, team: Team, drain_jobs: Any) -> None:
    people = await _matrix_followers(emulator)
    art = await approved_article(team, "prepaid-cards", township=None)
    plan = await service.plan_send(actor=team.admin, article_id=art, account_keys=ALL3)
    modes = {a.account_key: a.mode for a in plan.accounts}
    # the larger subscription account sends to all; the other must be selective (a tag); the service account
    # sends OpenID lists of whoever is left
    assert modes == {"yx_jiedao": "all", "yx_taoyuan": "tagged", "yx_district": "openids"}
    assert plan.duplicates_avoided == 3 + 6  # taoyuan: jd_ty 2 + all 1; district: jd_di 3 + ty_di 2 + all 1
    send = await service.schedule_send(actor=team.admin, article_id=art, account_keys=ALL3)
    await drain_jobs(now=send.run_at + timedelta(seconds=1))
    assert (await service.get_send(send.id)).status == "sent"
    assert received(emulator) == {uid: 1 for uid in people}
    # the tag made for this send is dropped once WeChat finished it
    await _flush(emulator)
    await drain_jobs()
    taoyuan = emulator.by_key("yx_taoyuan")
    assert not any(name.startswith("普法推送") for name in taoyuan.tags.values())
    deliveries = {d.account_key: d for d in await PushDelivery.filter(send_id=send.id)}
    assert {k: d.sent_count for k, d in deliveries.items()} == {"yx_jiedao": 12, "yx_taoyuan": 7, "yx_district": 4}
    assert sum(d.sent_count or 0 for d in deliveries.values()) == len(people)


async def test_targeting_by_community_and_group(app: Any, emulator: Any, team: Team, drain_jobs: Any) -> None:
    elderly = [await follow(emulator, "yx_jiedao", unionid=f"e{i}", township="YXJD", community="JXSQ",
                            groups=["elderly"]) for i in range(3)]
    await follow(emulator, "yx_jiedao", unionid="young", township="YXJD", community="JXSQ")
    await follow(emulator, "yx_jiedao", unionid="other", township="YXJD", community="BHSQ", groups=["elderly"])
    art = await approved_article(team, "elderly-support")
    send = await service.schedule_send(actor=team.clerk, article_id=art, account_keys=["yx_jiedao"],
                                       communities=["JXSQ"], group="elderly")
    await drain_jobs(now=send.run_at + timedelta(seconds=1))
    assert received(emulator) == {f"e{i}": 1 for i in range(3)}
    assert emulator.sent["mass"][0]["target"] == "tag"
    assert elderly


async def test_quota_shown_and_refused(app: Any, emulator: Any, team: Team, drain_jobs: Any) -> None:
    for i in range(3):
        await follow(emulator, "yx_jiedao", unionid=f"q{i}", township="YXJD")
    first = await approved_article(team, "wage-arrears")
    second = await approved_article(team, "overtime-pay")
    before = {q["key"]: q["left"] for q in await service.quotas_overview(actor=team.clerk)}
    assert before == {"yx_jiedao": 1}
    await service.schedule_send(actor=team.clerk, article_id=first, account_keys=["yx_jiedao"])
    # the day's one mass send is taken (scheduled, not yet sent): the console shows 0 and a second send is refused
    assert [q["left"] for q in await service.quotas_overview(actor=team.clerk)] == [0]
    plan = await service.plan_send(actor=team.clerk, article_id=second, account_keys=["yx_jiedao"])
    assert plan.refusals and "剩余 0 次" in plan.refusals[0]
    with pytest.raises(service.QuotaRefused):
        await service.schedule_send(actor=team.clerk, article_id=second, account_keys=["yx_jiedao"])
    await drain_jobs()
    with pytest.raises(service.QuotaRefused):  # sent now: the ledger says so too
        await service.schedule_send(actor=team.clerk, article_id=second, account_keys=["yx_jiedao"])
    assert len(emulator.sent["mass"]) == 1
    # tomorrow (after the quiet hours) there is quota again
    # (the local day: from 16:00 UTC the UTC date is already yesterday in Beijing)
    tomorrow = datetime.combine(local_today() + timedelta(days=1), time(10), tzinfo=LOCAL_TZ).astimezone(UTC)
    later = await service.schedule_send(actor=team.clerk, article_id=second, account_keys=["yx_jiedao"],
                                        when=tomorrow)
    assert later.run_at == tomorrow


async def test_quota_refused_through_the_console(app: Any, emulator: Any, client: httpx.AsyncClient) -> None:
    from app.laws import service as laws_service
    from tests.console.conftest import login, session_csrf
    from tests.push.conftest import make_team

    await laws_service.import_folder(folder=app.state.settings.laws_dir if hasattr(app.state, "settings")
                                     else make_settings().laws_dir)
    await service.import_library()
    t = await make_team(with_passwords=True)
    await follow(emulator, "yx_jiedao", unionid="c1", township="YXJD")
    await follow(emulator, "yx_jiedao", unionid="c2", township="YXJD")
    a1 = await approved_article(t, "wage-arrears")
    a2 = await approved_article(t, "overtime-pay")
    await service.schedule_send(actor=t.clerk, article_id=a1, account_keys=["yx_jiedao"])
    await login(client, "yxjd_clerk")
    page = await client.get("/console/push", headers={"accept": "text/html"})
    assert "群发剩余 0 次" in page.text
    csrf = await session_csrf(client)
    r = await client.post(f"/console/push/{a2}/send", headers={"accept": "text/html"},
                          data={"csrf_token": csrf, "accounts": "yx_jiedao", "action": "confirm"})
    assert r.status_code == 409 and "群发次数" in r.text
    assert len(await PushDelivery.filter(article_id=a2)) == 0


async def test_lost_answer_retried_with_the_same_clientmsgid(app: Any, emulator: Any, team: Team,
                                                             drain_jobs: Any, settings: Any) -> None:
    """WeChat carries the mass send out but its answer is lost (timeout): the retry gets 45065 with the
    earlier msg_id, nobody receives twice, the quota ledger counts it once, and the event still matches."""
    for i in range(4):
        await follow(emulator, "yx_district", unionid=f"t{i}", township="YXJD")
    await follow(emulator, "yx_jiedao", unionid="t0", township="YXJD")  # makes the district send selective
    set_settings(make_settings(wechat_http_timeout=0.3))
    try:
        art = await approved_article(team, "wage-arrears", township=None)
        send = await service.schedule_send(actor=team.admin, article_id=art, account_keys=["yx_district"],
                                           townships=["YXJD"])
        emulator.faults.append(_late("cgi-bin/message/mass/send"))
        await drain_jobs(now=send.run_at + timedelta(seconds=1))
        job = await Job.get(name="push.deliver")
        assert job.status == "pending" and "timeout" in (job.last_error or "")
        assert len(emulator.mass) == 1  # WeChat did send it
        chunk = await PushChunk.get(delivery_id=(await PushDelivery.get(send_id=send.id)).id)
        assert chunk.status == "pending" and chunk.attempts == 1
        await drain_jobs(now=utcnow() + timedelta(hours=2))  # the outbox's back-off has passed
    finally:
        set_settings(settings)
    await chunk.refresh_from_db()
    (msg_id,) = emulator.mass.keys()
    assert chunk.msg_id == str(msg_id) and chunk.attempts == 2
    assert emulator.calls["cgi-bin/message/mass/send"] == 2 and len(emulator.mass) == 1
    assert received(emulator) == {f"t{i}": 1 for i in range(4)}
    assert await WechatMassSend.filter(account_key="yx_district", msg_id=str(msg_id)).count() == 1
    # the event came while fawu did not know the msg_id yet: kept, and matched once the retry learnt it
    await _flush(emulator)
    await chunk.refresh_from_db()
    assert chunk.status == "finished" and chunk.result["SentCount"] == 4
    assert (await PushDelivery.get(send_id=send.id)).sent_count == 4


def _late(endpoint: str) -> Any:
    from app.emulator.state import Fault

    return Fault(endpoint=endpoint, kind="late", delay=2.0, remaining=1)


async def test_busy_and_api_limit_retry_with_backoff(app: Any, emulator: Any, team: Team, drain_jobs: Any) -> None:
    from app.emulator.state import Fault

    for i in range(2):
        await follow(emulator, "yx_jiedao", unionid=f"b{i}", township="YXJD")
    art = await approved_article(team, "wage-arrears")
    send = await service.schedule_send(actor=team.clerk, article_id=art, account_keys=["yx_jiedao"])
    emulator.faults.append(Fault(endpoint="cgi-bin/message/mass/sendall", kind="errcode", errcode=45009,
                                 errmsg="reach max api daily quota limit", remaining=1))
    emulator.faults.append(Fault(endpoint="cgi-bin/message/mass/sendall", kind="errcode", errcode=-1,
                                 errmsg="system error", remaining=3))
    await drain_jobs(now=send.run_at + timedelta(seconds=1))
    delivery = await PushDelivery.get(send_id=send.id)
    assert delivery.status == "sending" and "45009" in delivery.error
    await drain_jobs(now=utcnow() + timedelta(hours=2))  # -1 three times (the client's own tries): retried again
    await drain_jobs(now=utcnow() + timedelta(hours=4))
    await delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert len(emulator.mass) == 1 and received(emulator) == {"b0": 1, "b1": 1}
    assert emulator.calls["cgi-bin/draft/add"] == 1  # the draft is made once and kept across retries


async def test_quiet_hours_move_the_send(team: Team, settings: Any) -> None:
    from app.config import set_settings

    set_settings(settings.model_copy(update={"push_quiet_hours": "21:00-08:00"}))  # the shipped default
    at_night = datetime(2026, 12, 4, 14, 30, tzinfo=UTC)  # 22:30 local
    moved = service.after_quiet_hours(at_night)
    assert moved == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)  # 08:00 local next day
    early = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)  # 06:00 local on the 5th
    assert service.after_quiet_hours(early) == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
    day = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    assert service.after_quiet_hours(day) == day


async def test_erasure_removes_the_openids_kept_on_sends(app: Any, emulator: Any, team: Team,
                                                         drain_jobs: Any) -> None:
    from app.residents import service as residents_service

    for i in range(3):
        await follow(emulator, "yx_district", unionid=f"x{i}", township="YXJD")
    art = await approved_article(team, "wage-arrears", township=None)
    await service.schedule_send(actor=team.admin, article_id=art, account_keys=["yx_district"], townships=["YXJD"])
    chunk = await PushChunk.first()
    assert chunk is not None and len(chunk.openids) == 3
    gone = chunk.openids[0]
    link = await residents_service.ensure_identity(account_key="yx_district", openid=gone)
    await residents_service.erase_resident(resident_id=link.resident_id)
    await chunk.refresh_from_db()
    assert gone not in chunk.openids and len(chunk.openids) == 2
