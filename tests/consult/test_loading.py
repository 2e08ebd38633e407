"""The engine is built before the process serves and never on the event loop: no file stat and no
lock wait on the loop, one jieba tokenizer for consult and laws (jieba's global one stays unused)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest


async def test_folder_checks_run_off_the_event_loop(fixture_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.consult import engine, service

    await service.ask("拖欠工资", record=False)  # built (in a thread)
    loop_thread = threading.current_thread()
    seen: list[bool] = []
    real = engine._signature

    def spy(folder: Path | None) -> Any:
        seen.append(threading.current_thread() is loop_thread)
        return real(folder)

    monkeypatch.setattr(engine, "_signature", spy)
    monkeypatch.setattr(engine, "RECHECK_SECONDS", 0.0)
    for _ in range(5):
        await service.ask("拖欠工资", record=False)
        await asyncio.sleep(0.05)
    await engine.refresh()
    assert seen and not any(seen)  # every stat of the folder happened in a worker thread


async def test_the_engine_is_warm_before_the_app_serves(settings: Any) -> None:
    from app.consult import engine
    from app.core import segment
    from app.main import startup

    engine.set_engine(None)
    await startup(settings, init_database=False)
    assert engine._engine is not None and engine._engine.model is not None
    assert segment._tokenizer is not None


def test_laws_search_uses_the_one_segmenter() -> None:
    import jieba

    from app.core import segment
    from app.laws import service as laws_service

    words = laws_service.terms("拖欠工资的法条")
    assert "拖欠" in words or "拖欠工资" in words
    assert segment._tokenizer is not None
    assert not jieba.dt.initialized  # jieba's global tokenizer was never loaded
