"""The whole loop through real entry points: hand-over (callback simulator) → result delivered →
invitation → "5" (非常不满意) → bad-review case in the lead's inbox (15 working days) → call-back,
verification, rectification and the answer in the console (HTTP) → the resident's one 追评."""

from __future__ import annotations

from typing import Any

import httpx

from app.cases import deadlines
from app.cases import service as cases_service
from app.cases.models import Case, CaseEvent
from app.staff.service import actor_for
from app.surveys.models import SurveyInvitation, SurveyResponse
from tests.console.conftest import HTML, csrf_of, login
from tests.factories import make_staff
from tests.surveys.conftest import custom_texts, follower
from tests.wechat.helpers import PLAIN, sim


async def test_hand_over_to_follow_up(client: httpx.AsyncClient, emu: httpx.AsyncClient, drain_jobs: Any,
                                      kb: None) -> None:
    lead = await make_staff(username="lead1", name="赵站长", unit_codes=["YXJD"])
    clerk = await actor_for(await make_staff(username="clerk1", name="李四", unit_codes=["YXJD"],
                                             supervisor_id=lead.id, password=None))
    openid = "o_loop_sv"
    await follower(emu, PLAIN, openid)
    s = sim(client, PLAIN)
    await s.text(openid, "公司拖欠工资三个月不发怎么办")
    await s.text(openid, "转人工")
    [case] = await Case.filter(openid=openid)
    await cases_service.take(actor=clerk, case_id=case.id)
    await cases_service.give_result(actor=clerk, case_id=case.id, text="已协调公司本周内补发工资。")
    await drain_jobs()

    # the invitation went out once, inside the 48-hour window, and the case shows it
    inv = await SurveyInvitation.get(service_key=f"case:{case.id}")
    assert inv.status == "sent" and inv.via == "custom", inv.reason
    assert (await Case.get(id=case.id)).survey_status == "sent"
    assert await CaseEvent.filter(case_id=case.id, action="survey").count() == 1
    texts = await custom_texts(emu, PLAIN, openid)
    invitation = [t for t in texts if "非常不满意" in t]
    assert len(invitation) == 1 and "msgmenucontent=1 非常满意" in invitation[0] and "/survey/t/" in invitation[0]

    # one tap: 非常不满意 → a bad-review case for the clerk's lead, 15 working days
    reply = (await s.text(openid, "5 非常不满意")).text or ""
    assert "已收到您的评价：非常不满意" in reply and "15个工作日" in reply
    resp = await SurveyResponse.get(invitation_id=inv.id)
    assert resp.level == 5 and resp.answered_via == "chat" and resp.bad_case_id is not None
    bad = await Case.get(id=resp.bad_case_id)
    assert bad.type == "bad_review" and bad.owner_id == lead.id and bad.township_code == "YXJD"
    assert bad.time_limit == "15wd"
    expected = deadlines.compute(start=bad.clock_start_at, limit="15wd")
    assert expected is not None and bad.deadline_at == expected.at
    assert (await Case.get(id=case.id)).status == "rated"
    reply = (await s.text(openid, "等了一个月没人理")).text or ""
    assert "已记录您的意见" in reply
    assert (await SurveyResponse.get(id=resp.id)).answers["comment"] == "等了一个月没人理"

    # the lead: inbox, then the put-right steps in the console
    assert (await login(client, "lead1")).status_code in (200, 303)
    inbox = await client.get("/console/inbox", headers=HTML)
    assert bad.number in inbox.text
    page = await client.get(f"/console/surveys/bad/{resp.id}", headers=HTML)
    assert page.status_code == 200 and "待回访" in page.text and "等了一个月没人理" in page.text
    token = csrf_of(page.text)
    early = await client.post(f"/console/surveys/bad/{resp.id}/answer", headers=HTML,
                              data={"csrf_token": token, "text": "已整改"})
    assert early.status_code == 409 and "请先填写整改措施" in early.text
    for step, data in (("callback", {"note": "已电话联系居民，了解到等待时间过长", "reached": "1"}),
                       ("verify", {"finding": "true", "note": "经核实，受理后未及时联系"}),
                       ("rectify", {"measures": "对经办人批评教育，建立三日内首次联系制度"}),
                       ("answer", {"text": "您反映的问题属实，我们已整改：今后受理后三日内联系您。"})):
        r = await client.post(f"/console/surveys/bad/{resp.id}/{step}", headers=HTML,
                              data={"csrf_token": token, **data})
        assert r.status_code == 303, (step, r.text[:400])
    await drain_jobs()
    bad = await Case.get(id=bad.id)
    assert bad.status == "result_given" and bad.result_delivery == "sent"
    assert any("已整改" in t and "追评" in t for t in await custom_texts(emu, PLAIN, openid))
    bad_inv = await SurveyInvitation.get(service_key=f"case:{bad.id}")  # the bad-review case is not rated itself
    assert bad_inv.status == "skipped" and "追评" in bad_inv.reason

    # 追评, once
    reply = (await s.text(openid, "2")).text or ""
    assert "已记录您的追评：满意" in reply
    resp = await SurveyResponse.get(id=resp.id)
    assert resp.followup_level == 2 and resp.level == 5  # the review itself is never rewritten
    page = await client.get(f"/console/surveys/bad/{resp.id}", headers=HTML)
    assert "已答复" in page.text and "居民追评" in page.text
