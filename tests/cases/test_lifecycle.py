"""The case lifecycle with both kinds of deadline across national holidays and make-up workdays."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from app.cases import service
from app.cases.models import Case, CaseEvent, CaseMessage
from app.core import clock
from app.core.clock import LOCAL_TZ
from tests.cases.conftest import Team


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


def eod(y: int, m: int, d: int) -> datetime:
    return datetime.combine(date(y, m, d), time(23, 59, 59), tzinfo=LOCAL_TZ).astimezone(UTC)


async def history(case_id: int) -> list[CaseEvent]:
    return await CaseEvent.filter(case_id=case_id).order_by("at", "id")


async def test_bot_handoff_takes_units_from_the_board_and_keeps_the_conversation(team: Team, settings: Any) -> None:
    from app.matrix.service import load_matrix, set_matrix

    set_matrix(load_matrix(settings.matrix_dir))
    clock.freeze(at(2025, 3, 3, 9))
    case = await service.open_case(
        type="consultation", resident_id=None, channel="wechat", summary="公司拖欠三个月工资怎么办",
        category="labor", board_code="JXSQ01", account_key="yx_jiedao", openid="o-abc",
        conversation=[{"role": "resident", "text": "老板欠薪", "at": at(2025, 3, 3, 8)},
                      {"role": "bot", "text": "建议先协商……", "at": at(2025, 3, 3, 8, 1)}],
    )
    assert (case.township_code, case.community_code) == ("YXJD", "JXSQ")
    assert case.number.startswith("YX20250303-")
    assert case.status == "accepted" and case.owner_id is None
    assert case.time_limit == "5wd" and case.deadline_at == eod(2025, 3, 10)
    msgs = await CaseMessage.filter(case_id=case.id).order_by("at")
    assert [m.role for m in msgs] == ["resident", "bot"]
    assert [e.action for e in await history(case.id)] == ["open"]
    # from the account only: the account's org unit (桃源镇's account serves TYZ)
    c2 = await service.open_case(type="complaint", resident_id=None, channel="wechat", summary="投诉",
                                 account_key="yx_taoyuan", openid="o-x")
    assert (c2.township_code, c2.community_code) == ("TYZ", None)
    assert c2.number.endswith("-0002")
    with pytest.raises(service.InvalidCaseInput):
        await service.open_case(type="bogus", resident_id=None, channel="wechat", summary="x")


async def test_legal_aid_lifecycle_with_calendar_days_over_national_day_2025(team: Team, drain_jobs: Any) -> None:
    clock.freeze(at(2025, 9, 24, 10))
    case = await service.open_case(type="legal_aid", resident_id=None, channel="wechat", summary="申请法律援助：工伤赔偿",
                                   community_code="JXSQ", account_key="yx_jiedao", openid="o-1")
    # 7 days from 09-24 end on 10-01 (National Day): moved to the first working day, 10-09, at 24:00
    assert case.deadline_at == eod(2025, 10, 9) and not case.deadline_provisional
    await service.take(actor=team.clerk, case_id=case.id)
    case = await service.start(actor=team.clerk, case_id=case.id)
    assert case.status == "in_progress"
    clock.freeze(at(2025, 9, 25, 10))
    case = await service.give_result(actor=team.clerk, case_id=case.id, text="经审查，符合法律援助条件，已指派律师。")
    assert case.status == "result_given"
    assert await drain_jobs() >= 1
    case = await Case.get(id=case.id)
    assert case.result_delivery == "queued"  # no open customer-service window: delivered at next interaction
    assert case.survey_status == "queued"  # the survey invitation (app.surveys) waits for the next interaction too
    case = await service.archive(actor=team.clerk, case_id=case.id)
    assert case.status == "archived"
    actions = [(e.action, e.from_status, e.to_status) for e in await history(case.id)]
    assert actions == [
        ("open", None, "accepted"), ("take", "accepted", "assigned"), ("start", "assigned", "in_progress"),
        ("give_result", "in_progress", "result_given"), ("result_delivery", None, None), ("survey", None, None),
        ("archive", "result_given", "archived"),
    ]
    events = await history(case.id)
    assert all(e.actor_name for e in events) and events[1].actor_id == team.clerk.id
    # reopening starts a new period from now, with the same owner
    clock.freeze(at(2025, 9, 26, 15))
    case = await service.reopen(actor=team.clerk, case_id=case.id, reason="居民对结果有异议")
    assert case.status == "in_progress" and case.owner_id == team.clerk.id
    assert case.deadline_at == eod(2025, 10, 9)  # 09-26 + 7 = 10-03, a holiday -> 10-09


async def test_bad_review_fifteen_working_days_over_national_day_2025(team: Team) -> None:
    clock.freeze(at(2025, 9, 26, 16))  # a Friday
    case = await service.open_case(type="bad_review", resident_id=None, channel="wechat", summary="差评：窗口态度差",
                                   township_code="YXJD", source="bad_review")
    # make-up Sunday 09-28 and make-up Saturday 10-11 count: 10-23, not 10-27
    assert case.time_limit == "15wd" and case.deadline_at == eod(2025, 10, 23)


async def test_three_working_days_over_national_day_2025(team: Team, settings: Any) -> None:
    from app.config import set_settings

    set_settings(settings.model_copy(update={"case_limits": {**settings.case_limits, "complaint": "3wd"}}))
    clock.freeze(at(2025, 9, 26, 11))
    case = await service.open_case(type="complaint", resident_id=None, channel="hotline", summary="投诉", actor=team.clerk)
    assert case.deadline_at == eod(2025, 9, 30)  # not 10-09
    assert case.owner_id == team.clerk.id  # recording a call makes the recorder the first responder
    assert case.township_code == "YXJD"


async def test_spring_festival_2026_both_kinds(team: Team) -> None:
    clock.freeze(at(2026, 2, 8, 10))
    aid = await service.open_case(type="legal_aid", resident_id=None, channel="walk_in", summary="援助", township_code="YXJD")
    assert aid.deadline_at == eod(2026, 2, 24)  # 02-15 is Spring Festival -> 02-24
    clock.freeze(at(2026, 2, 13, 10))
    review = await service.open_case(type="bad_review", resident_id=None, channel="wechat", summary="差评", township_code="YXJD")
    # 02-14 (make-up Sat) is the 1st, 02-24..27 the 2nd-5th, 02-28 (make-up Sat) the 6th, ... 03-12 the 15th
    assert review.deadline_at == eod(2026, 3, 12)


async def test_pause_while_waiting_for_information_and_resume_by_the_resident(team: Team) -> None:
    clock.freeze(at(2025, 3, 3, 10))  # Monday
    case = await service.open_case(type="bad_review", resident_id=None, channel="wechat", summary="差评",
                                   township_code="YXJD", account_key="yx_jiedao", openid="o-2")
    assert case.deadline_at == eod(2025, 3, 24)
    await service.take(actor=team.clerk, case_id=case.id)
    clock.freeze(at(2025, 3, 4, 10))
    case = await service.return_for_info(actor=team.clerk, case_id=case.id, reason="请提供办事时间和窗口号")
    assert case.status == "waiting_info" and case.paused and case.deadline_at is None
    figures = await service.dashboard_figures(actor=team.clerk)
    assert figures["paused"] == 1
    clock.freeze(at(2025, 3, 6, 10))  # two working days later the resident answers
    await service.add_resident_message(case_id=case.id, text="3月1日上午，3号窗口")
    case = await Case.get(id=case.id)
    assert case.status == "in_progress" and not case.paused
    assert case.deadline_at == eod(2025, 3, 26)  # shifted by exactly two working days
    # a calendar-day limit pauses by calendar time, to the minute
    clock.freeze(at(2025, 3, 3, 10))
    aid = await service.open_case(type="legal_aid", resident_id=None, channel="wechat", summary="援助", township_code="YXJD")
    assert aid.deadline_at == eod(2025, 3, 10)
    await service.take(actor=team.clerk, case_id=aid.id)
    clock.freeze(at(2025, 3, 4, 9, 0))
    await service.return_for_info(actor=team.clerk, case_id=aid.id, reason="请补充收入情况说明")
    clock.freeze(at(2025, 3, 5, 11, 30))
    aid = await service.start(actor=team.clerk, case_id=aid.id)
    # paused 26h30m: 03-10 23:59:59 + 26:30 = 03-12 02:29:59
    assert aid.deadline_at == eod(2025, 3, 10) + (at(2025, 3, 5, 11, 30) - at(2025, 3, 4, 9, 0))


async def test_no_pause_when_the_type_is_not_configured(team: Team, settings: Any) -> None:
    from app.config import set_settings

    set_settings(settings.model_copy(update={"case_pause_types": ["bad_review"]}))
    clock.freeze(at(2025, 3, 3, 10))
    aid = await service.open_case(type="legal_aid", resident_id=None, channel="wechat", summary="援助", township_code="YXJD")
    await service.take(actor=team.clerk, case_id=aid.id)
    aid = await service.return_for_info(actor=team.clerk, case_id=aid.id, reason="请补充材料")
    assert not aid.paused and aid.deadline_at == eod(2025, 3, 10)


async def test_limit_change_and_calendar_load_recompute_open_deadlines(team: Team, settings: Any, tmp_path: Path) -> None:
    from app.config import set_settings
    from app.core import calendar

    clock.freeze(at(2026, 12, 17, 10))
    case = await service.open_case(type="bad_review", resident_id=None, channel="wechat", summary="差评", township_code="YXJD")
    assert case.deadline_provisional  # runs into 2027, which the package does not know
    provisional_at = case.deadline_at
    assert provisional_at == eod(2027, 1, 8)  # weekends and 1-1 skipped
    f = tmp_path / "calendar.toml"
    f.write_text('[2027]\nholidays = ["2027-01-01..2027-01-03"]\nworkdays = []\n', encoding="utf-8")
    calendar.load_file(f)
    assert await service.recompute_open_deadlines() == 1
    case = await Case.get(id=case.id)
    assert not case.deadline_provisional and case.deadline_at == provisional_at  # same here: 1-1 only
    f.write_text('[2027]\nholidays = ["2027-01-01..2027-01-05"]\nworkdays = []\n', encoding="utf-8")
    calendar.load_file(f)
    await service.recompute_open_deadlines()
    assert (await Case.get(id=case.id)).deadline_at == eod(2027, 1, 12)  # 1-4 and 1-5 are off now
    # a changed limit: start-up recomputes the stale ones
    set_settings(settings.model_copy(update={"case_limits": {**settings.case_limits, "bad_review": "5wd"}}))
    assert await service.recompute_open_deadlines(stale_only=True) == 1
    case = await Case.get(id=case.id)
    assert case.time_limit == "5wd" and case.deadline_at == eod(2026, 12, 24)


async def test_every_transition_is_in_the_history_and_history_is_append_only(team: Team) -> None:
    clock.freeze(at(2025, 3, 3, 10))
    case = await service.open_case(type="mediation", resident_id=None, channel="walk_in", summary="邻里漏水纠纷",
                                   community_code="JXSQ")
    steps = [
        lambda: service.take(actor=team.lawyer, case_id=case.id),
        lambda: service.start(actor=team.lawyer, case_id=case.id),
        lambda: service.return_for_info(actor=team.lawyer, case_id=case.id, reason="请提供照片"),
        lambda: service.start(actor=team.lawyer, case_id=case.id),
        lambda: service.close(actor=team.lawyer, case_id=case.id, reason="双方已和解，撤回申请"),
        lambda: service.reopen(actor=team.lawyer, case_id=case.id, reason="和解协议未履行"),
        lambda: service.give_result(actor=team.lawyer, case_id=case.id, text="已达成调解协议"),
        lambda: service.archive(actor=team.lawyer, case_id=case.id),
    ]
    for step in steps:
        before = await CaseEvent.filter(case_id=case.id).count()
        await step()
        assert await CaseEvent.filter(case_id=case.id).count() == before + 1
    events = await history(case.id)
    assert [e.reason for e in events if e.action == "close"] == ["双方已和解，撤回申请"]
    # a transition that is not allowed writes nothing
    before = await CaseEvent.filter(case_id=case.id).count()
    with pytest.raises(service.InvalidTransition):
        await service.start(actor=team.lawyer, case_id=case.id)
    assert await CaseEvent.filter(case_id=case.id).count() == before


def test_no_code_path_updates_or_deletes_history() -> None:
    """Static check: nothing in app/ updates, saves or deletes CaseEvent rows, except erasure on
    request blanking the reasons (privacy._erase_history_text)."""
    offenders = []
    for path in Path("app").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if isinstance(fn, ast.AsyncFunctionDef) and fn.name == "_erase_history_text" and path.name == "privacy.py":
                fn.body = []  # the one allowed place
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("update", "delete", "save", "bulk_update", "select_for_update"):
                src = ast.unparse(node.func.value)
                if "CaseEvent" in src or "events" in src.split(".")[-1:]:
                    offenders.append(f"{path}:{node.lineno}: {src}.{node.func.attr}")
    assert offenders == []


async def test_staff_reply_is_the_first_response_only_when_it_reaches_the_resident(team: Team) -> None:
    clock.freeze(at(2025, 3, 3, 10))
    case = await service.open_case(type="consultation", resident_id=None, channel="walk_in", summary="咨询",
                                   township_code="YXJD")
    await service.add_note(actor=team.clerk, case_id=case.id, text="内部备注：先查询档案")
    assert (await Case.get(id=case.id)).owner_id is None  # a note is not a touch
    msg = await service.reply(actor=team.clerk, case_id=case.id, text="您好，请明天带身份证来窗口。")
    assert msg.delivery == "none"  # walk-in: nothing sent on WeChat
    case = await Case.get(id=case.id)
    assert case.owner_id == team.clerk.id and case.status == "in_progress"
    assert case.first_response_at is None
