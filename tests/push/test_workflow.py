"""The whole push workflow against the emulator: write, 三审 (with a return), schedule, send through the
draft → mass send path, MASSSENDJOBFINISH stored against the send, the H5 page and its reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.core.clock import utcnow
from app.errors import Forbidden
from app.push import service
from app.push.models import PushChunk, PushDelivery, PushRead
from tests.push.conftest import Team, follow, received


async def test_write_review_send_read(app: Any, emulator: Any, team: Team, client: httpx.AsyncClient,
                                      drain_jobs: Any) -> None:
    people = [await follow(emulator, "yx_jiedao", unionid=f"u{i}", township="YXJD") for i in range(5)]
    data = service.ArticleInput(
        title="讨薪别走极端", author="街道司法所", summary="欠薪有法可依，投诉仲裁都能走。",
        cover="images/cover-labor.png", categories=["labor"], laws_text="劳动合同法 第三十条",
        body="工资被拖欠，可以申请支付令（《劳动合同法》第三十条）。拿不准就打 12348。")
    art = await service.create_article(actor=team.clerk, data=data)
    assert "讨薪别走极端" not in (await client.get("/s/JXSQ01")).text  # nothing before it is approved and sent
    assert art.township_code == "YXJD" and art.status == "draft"
    # the author cannot skip the review, nor approve their own article
    with pytest.raises(service.WrongStatus):
        await service.plan_send(actor=team.clerk, article_id=art.id, account_keys=["yx_jiedao"])
    await service.submit(actor=team.clerk, article_id=art.id)
    with pytest.raises(service.NotReviewer):
        await service.approve(actor=team.clerk, article_id=art.id)
    with pytest.raises(service.NotReviewer):  # the district cannot approve before the township lead
        await service.approve(actor=team.admin, article_id=art.id)
    await service.approve(actor=team.lead, article_id=art.id)
    with pytest.raises(service.CommentRequired):
        await service.send_back(actor=team.admin, article_id=art.id, comment=" ")
    back = await service.send_back(actor=team.admin, article_id=art.id, comment="请补充仲裁时效的说明")
    assert back.status == "returned" and back.last_comment == "请补充仲裁时效的说明"
    with pytest.raises(service.WrongStatus):
        await service.plan_send(actor=team.clerk, article_id=art.id, account_keys=["yx_jiedao"])
    data.body += "\n\n劳动争议申请仲裁的时效期间为一年（《劳动争议调解仲裁法》第二十七条）。"
    data.laws_text += "\n劳动争议调解仲裁法 第二十七条"
    await service.update_article(actor=team.clerk, article_id=art.id, data=data)
    await service.submit(actor=team.clerk, article_id=art.id)
    await service.approve(actor=team.lead, article_id=art.id)
    with pytest.raises(service.NotReviewer):  # not the same person twice, not the township lead again
        await service.approve(actor=team.lead, article_id=art.id)
    approved = await service.approve(actor=team.admin, article_id=art.id, comment="同意发布")
    assert approved.status == "approved" and service.approved_for_sending(approved)
    trail = [t.action for t in await service.history(art.id)]
    assert trail == ["created", "submitted", "approved:township", "returned:district", "edited", "submitted",
                     "approved:township", "approved:district"]

    # a township clerk may send through their own township's account only
    with pytest.raises(Forbidden):
        await service.plan_send(actor=team.clerk, article_id=art.id, account_keys=["yx_district"])
    plan = await service.plan_send(actor=team.clerk, article_id=art.id, account_keys=["yx_jiedao"])
    assert [(a.account_key, a.mode, a.refusal) for a in plan.accounts] == [("yx_jiedao", "all", "")]
    send = await service.schedule_send(actor=team.clerk, article_id=art.id, account_keys=["yx_jiedao"],
                                       when=utcnow().replace(hour=3, minute=0) + timedelta(days=1))  # 11:00 local
    assert send.status == "scheduled"
    # a scheduled send waits for its time
    await drain_jobs()
    assert emulator.sent.get("mass") is None
    await drain_jobs(now=send.run_at + timedelta(seconds=1))
    assert (await service.get_send(send.id)).status == "sent"
    drafts = emulator.sent["draft"]
    assert len(drafts) == 1 and drafts[0]["articles"][0]["title"] == "讨薪别走极端"
    assert "/articles/" in drafts[0]["articles"][0]["content_source_url"]
    assert [m["target"] for m in emulator.sent["mass"]] == ["all"]
    assert received(emulator) == {f"u{i}": 1 for i in range(5)}

    # MASSSENDJOBFINISH comes back to the callback and is stored against the send
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url="http://emu") as emu:
        await emu.post("/_control/flush")
    delivery = await PushDelivery.get(send_id=send.id)
    assert delivery.sent_count == 5 and delivery.total_count == 5
    chunk = await PushChunk.get(delivery_id=delivery.id)
    assert chunk.status == "finished" and chunk.result["SentCount"] == 5

    # the H5 page: published, listed for the township's boards, one read per client
    article = await service.get_article(art.id)
    assert article.status == "sent" and article.published_at is not None
    listing = await client.get("/articles", params={"township": "YXJD", "board": "JXSQ01"})
    assert listing.status_code == 200 and "讨薪别走极端" in listing.text
    assert "讨薪别走极端" not in (await client.get("/articles", params={"township": "TYZ"})).text
    board = await client.get("/s/JXSQ01")  # a 云溪街道 board lists it
    assert board.status_code == 200 and "讨薪别走极端" in board.text and f"/articles/{art.slug}" in board.text
    page = await client.get(f"/articles/{article.slug}", params={"a": "yx_jiedao"})
    assert page.status_code == 200 and "支付令" in page.text and "第三十条" in page.text
    await client.get(f"/articles/{article.slug}")  # the same client (cookie) again
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    await other.get(f"/articles/{article.slug}")
    await other.aclose()
    reads = await PushRead.filter(article_id=art.id)
    assert len(reads) == 2 and {r.account_key for r in reads} == {"yx_jiedao", ""}
    figures = await service.overview(actor=team.admin)
    row = next(r for r in figures["articles"] if r["article"].id == art.id)
    assert (row["planned"], row["sent"], row["reads"]) == (5, 5, 2)
    # asked, then read: a wage question in the township, and the two reads of the labour article
    from app.consult import service as consult_service

    await consult_service.ask("老板拖欠工资三个月不给怎么办", channel="web", township_code="YXJD",
                              category="labor")
    topics = {t["category"]: t for t in (await service.overview(actor=team.lead))["topics"]}
    assert topics["labor"]["asked"] == 1 and topics["labor"]["read"] == 2
    assert people


async def test_library_article_goes_to_the_district_only(team: Team) -> None:
    """A district library article has no township step; the district approves (not the author)."""
    from app.push.models import PushArticle

    lib = await PushArticle.get(slug="prepaid-cards")
    await service.submit(actor=team.admin, article_id=lib.id)
    with pytest.raises(service.NotReviewer):
        await service.approve(actor=team.admin, article_id=lib.id)
    with pytest.raises(service.NotReviewer):
        await service.approve(actor=team.lead, article_id=lib.id)
    done = await service.approve(actor=team.admin2, article_id=lib.id)
    assert done.status == "approved"
