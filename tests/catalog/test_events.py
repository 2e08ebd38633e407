"""The catalog's events run their subscribers exactly once through the real entry points."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from app.catalog import service
from app.consult import engine
from app.consult import service as consult_service
from tests.consult.conftest import FIXTURE_KB
from tests.core.test_events import _ran_once, calls  # noqa: F401 (the counting fixture)


@pytest.fixture
def small_kb(settings: Any) -> Iterator[None]:
    engine.use_folder(FIXTURE_KB)  # the consultation's small test knowledge base (fast to load)
    yield
    engine.use_folder(None)


async def test_the_check_asks_every_domain_once(catalog: Any, calls: Counter[str]) -> None:  # noqa: F811
    await service.check()
    _ran_once(calls, "catalog.references_requested")


async def test_the_full_answer_links_the_catalogue_guide(catalog: Any, small_kb: None,
                                                         calls: Counter[str]) -> None:  # noqa: F811
    reply = await consult_service.detail_reply("legal-aid-apply", community_code="JXSQ", township_code="YXJD")
    assert reply is not None and "办事指南（法律援助（民事、行政案件）：材料、时限、地点）" in reply
    assert "/catalog/services/legal_aid_civil" in reply
    assert "典型案例：独居老人申请法律援助" in reply  # a case of the entry's category (legal_aid)
    _ran_once(calls, "consult.next_step_links_requested")
