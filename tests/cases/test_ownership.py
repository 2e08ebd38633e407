"""First responder (首问负责) and hand-overs: nobody silently drops a case."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from app.cases import service
from app.cases.models import Case, CaseEvent, TransferRequest
from app.errors import FawuError
from tests.cases.conftest import Team, build_team


async def _case(**kw: Any) -> Case:
    base: dict[str, Any] = {"type": "consultation", "resident_id": None, "channel": "wechat", "summary": "咨询",
                            "community_code": "JXSQ"}
    base.update(kw)
    return await service.open_case(**base)


async def test_first_toucher_owns_and_nobody_else_can_take_or_reply(team: Team) -> None:
    case = await _case()
    await service.take(actor=team.clerk, case_id=case.id)
    with pytest.raises(service.AlreadyOwned):
        await service.take(actor=team.clerk2, case_id=case.id)
    with pytest.raises(service.CaseForbidden):
        await service.reply(actor=team.clerk2, case_id=case.id, text="我来回答")
    with pytest.raises(service.AlreadyOwned):
        await service.assign(actor=team.admin, case_id=case.id, staff_id=team.clerk2.id)
    with pytest.raises(service.CaseForbidden):
        await service.start(actor=team.clerk2, case_id=case.id)
    assert (await Case.get(id=case.id)).owner_id == team.clerk.id


async def test_assign_is_for_district_admins_and_unowned_cases(team: Team) -> None:
    case = await _case()
    with pytest.raises(service.CaseForbidden):
        await service.assign(actor=team.clerk, case_id=case.id, staff_id=team.lawyer.id)
    with pytest.raises(service.CaseForbidden):  # the target must cover the case's area
        await service.assign(actor=team.admin, case_id=case.id, staff_id=team.other.id)
    case = await service.assign(actor=team.admin, case_id=case.id, staff_id=team.lawyer.id, reason="本社区顾问")
    assert case.owner_id == team.lawyer.id and case.status == "assigned"
    ev = (await CaseEvent.filter(case_id=case.id, action="assign").first())
    assert ev is not None and ev.actor_id == team.admin.id and ev.to_owner_id == team.lawyer.id


async def test_no_transfer_to_a_person_outside_the_case_area(team: Team) -> None:
    """A clerk of another township is reached through their unit, never as a named receiver."""
    case = await _case()
    await service.take(actor=team.clerk, case_id=case.id)
    with pytest.raises(service.CaseForbidden):
        await service.transfer(actor=team.clerk, case_id=case.id, reason="x", to_staff_id=team.other.id)
    assert await service.pending_transfers_for(actor=team.other) == []
    assert not await TransferRequest.filter(case_id=case.id).exists()


async def test_transfer_stays_with_the_old_owner_until_accepted(team: Team) -> None:
    case = await _case()
    await service.take(actor=team.clerk, case_id=case.id)
    with pytest.raises(service.InvalidCaseInput):
        await service.transfer(actor=team.clerk, case_id=case.id, reason="", to_staff_id=team.lawyer.id)
    with pytest.raises(service.CaseForbidden):  # only the owner hands over
        await service.transfer(actor=team.clerk2, case_id=case.id, reason="x", to_staff_id=team.lawyer.id)
    tr = await service.transfer(actor=team.clerk, case_id=case.id, reason="涉及专业问题", to_staff_id=team.lawyer.id)
    with pytest.raises(service.TransferPending):
        await service.transfer(actor=team.clerk, case_id=case.id, reason="再转", to_unit_code="TYZ")
    assert (await Case.get(id=case.id)).owner_id == team.clerk.id  # still the owner while pending
    with pytest.raises(service.TransferNotFound):  # only the named receiver decides
        await service.accept_transfer(actor=team.clerk2, transfer_id=tr.id)
    assert [t.id for t in await service.pending_transfers_for(actor=team.lawyer)] == [tr.id]
    await service.refuse_transfer(actor=team.lawyer, transfer_id=tr.id, reason="不属于本社区")
    assert (await Case.get(id=case.id)).owner_id == team.clerk.id
    # to another township: it moves there when someone there accepts
    tr2 = await service.transfer(actor=team.clerk, case_id=case.id, reason="属地在桃源镇", to_unit_code="TYZ")
    with pytest.raises(service.CaseNotFound):  # not theirs yet
        await service.get_case(actor=team.other, case_id=case.id)
    case = await service.accept_transfer(actor=team.other, transfer_id=tr2.id)
    assert (case.owner_id, case.township_code, case.community_code) == (team.other.id, "TYZ", None)
    with pytest.raises(service.CaseNotFound):  # no longer visible to the old township...
        await service.get_case(actor=team.clerk2, case_id=case.id)
    first = await service.get_case(actor=team.clerk, case_id=case.id)  # ...but the first receiver keeps sight
    assert first.handles is False and case.first_owner_id == team.clerk.id
    with pytest.raises(service.CaseNotFound):  # read only: they cannot handle it any more
        await service.add_note(actor=team.clerk, case_id=case.id, text="还想办")
    view = await service.get_case(actor=team.other, case_id=case.id)
    assert [e.action for e in view.events] == ["open", "take", "transfer_request", "transfer_refuse",
                                               "transfer_request", "transfer_accept"]
    accepted = view.events[-1]
    assert (accepted.from_owner_id, accepted.to_owner_id, accepted.from_unit, accepted.to_unit) == (
        team.clerk.id, team.other.id, "JXSQ", "TYZ")
    with pytest.raises(service.InvalidTransition):
        await service.accept_transfer(actor=team.other, transfer_id=tr2.id)


# --- property: random operations never leave a touched case without an owner ------------------

OPS = ("take", "reply", "transfer_staff", "transfer_unit", "accept", "refuse", "return", "start", "result",
       "close", "reopen", "archive", "resident")
op_strategy = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 4), st.integers(0, 4)), min_size=8,
                       max_size=50)


async def _apply(team: Team, case_id: int, op: str, who: int, target: int) -> None:
    actors = [team.clerk, team.clerk2, team.lawyer, team.other, team.admin]
    a, b = actors[who], actors[target]
    pending = await TransferRequest.filter(case_id=case_id, status="pending").first()
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "take": lambda: service.take(actor=a, case_id=case_id),
        "reply": lambda: service.reply(actor=a, case_id=case_id, text="答复"),
        "transfer_staff": lambda: service.transfer(actor=a, case_id=case_id, reason="转办", to_staff_id=b.id),
        "transfer_unit": lambda: service.transfer(actor=a, case_id=case_id, reason="转办",
                                                  to_unit_code=["YXJD", "TYZ", "JXSQ", "SQZ", "BHSQ"][target]),
        "accept": lambda: service.accept_transfer(actor=a, transfer_id=pending.id if pending else -1),
        "refuse": lambda: service.refuse_transfer(actor=a, transfer_id=pending.id if pending else -1, reason="不接"),
        "return": lambda: service.return_for_info(actor=a, case_id=case_id, reason="请补充"),
        "start": lambda: service.start(actor=a, case_id=case_id),
        "result": lambda: service.give_result(actor=a, case_id=case_id, text="结果"),
        "close": lambda: service.close(actor=a, case_id=case_id, reason="撤回"),
        "reopen": lambda: service.reopen(actor=a, case_id=case_id, reason="重办"),
        "archive": lambda: service.archive(actor=a, case_id=case_id),
        "resident": lambda: service.add_resident_message(case_id=case_id, text="补充"),
    }
    await calls[op]()


def _replay_owner(events: list[CaseEvent]) -> int | None:
    owner = None
    for e in events:
        if e.action in ("take", "assign", "transfer_accept"):
            owner = e.to_owner_id
    return owner


async def _run_sequence(team: Team, ops: list[tuple[str, int, int]]) -> None:
    case = await _case()
    touched = False
    for op, who, target in ops:
        before = await CaseEvent.filter(case_id=case.id).count()
        old = await Case.get(id=case.id)
        try:
            await _apply(team, case.id, op, who, target)
            ok = True
        except FawuError:
            ok = False
        now = await Case.get(id=case.id)
        after = await CaseEvent.filter(case_id=case.id).count()
        changed = (now.owner_id, now.status, now.township_code) != (old.owner_id, old.status, old.township_code)
        if changed:
            assert after > before, f"{op} changed the case without a trace in the history"
        if ok and op not in ("take", "reply", "resident"):  # those may be no-ops / plain messages
            assert after > before, f"{op} left no trace in the history"
        elif not ok:
            assert after == before, f"refused {op} wrote history"
            assert (now.owner_id, now.status, now.township_code) == (old.owner_id, old.status, old.township_code)
        touched = touched or now.owner_id is not None
        if touched:
            assert now.owner_id is not None, f"{op} left a touched case without an owner"
        if old.owner_id is not None and now.owner_id != old.owner_id:
            assert op == "accept", f"owner changed by {op}"
        events = await CaseEvent.filter(case_id=case.id).order_by("at", "id")
        assert _replay_owner(events) == now.owner_id
        assert events[-1].to_status in (None, now.status) or events[-1].action in ("open",)


def test_random_operations_never_orphan_a_touched_case(settings: Any) -> None:
    """Hypothesis drives a few hundred sequences (thousands of operations) against one database."""
    from tortoise import Tortoise

    from app.db import tortoise_config
    from app.org import service as org_service
    from app.org.importer import import_folder

    runner = asyncio.Runner()
    holder: dict[str, Team] = {}

    async def setup() -> None:
        org_service.invalidate_cache()
        await Tortoise.init(config=tortoise_config("sqlite://:memory:"), _enable_global_fallback=True)
        await Tortoise.generate_schemas()
        await import_folder(settings.content_dir / "org")
        holder["team"] = await build_team()

    runner.run(setup())
    count = {"ops": 0}

    @hsettings(max_examples=90, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
    @given(ops=op_strategy)
    def prop(ops: list[tuple[str, int, int]]) -> None:
        count["ops"] += len(ops)
        runner.run(_run_sequence(holder["team"], ops))

    try:
        prop()
    finally:
        runner.run(Tortoise.close_connections())
        runner.close()
        org_service.invalidate_cache()
    assert count["ops"] >= 1000
