"""`fawu calendar check` and the start-up coverage warning."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from app.cases import commands
from app.core import calendar, clock


def _cli() -> click.Group:
    group = click.Group()
    commands.register(group)
    return group


def test_calendar_check_reports_coverage_and_rejects_bad_files(settings: Any, tmp_path: Path) -> None:
    clock.freeze(datetime(2026, 11, 23, 3, tzinfo=UTC))
    good = tmp_path / "cal.toml"
    good.write_text('[2027]\nholidays = ["2027-01-01"]\n', encoding="utf-8")
    res = CliRunner().invoke(_cli(), ["calendar", "check", str(good)])
    assert res.exit_code == 0, res.output
    assert "2027" in res.output and "未来 60 天均有官方放假安排" in res.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[2027]\nworkdays = ["2027-01-04"]\n', encoding="utf-8")
    res = CliRunner().invoke(_cli(), ["calendar", "check", str(bad)])
    assert res.exit_code != 0 and "bad.toml" in res.output and "不是周末" in res.output
    calendar.load_file(None)
    res = CliRunner().invoke(_cli(), ["calendar", "check"])  # no file configured: warns about 2027
    assert res.exit_code == 0 and "缺少 2027 年" in res.output


def test_the_shipped_calendar_template_parses(settings: Any) -> None:
    assert calendar.load_file(settings.content_dir / "calendar.toml") == []


def test_startup_warns_when_the_next_60_days_are_not_covered(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    clock.freeze(datetime(2026, 11, 23, 3, tzinfo=UTC))
    with caplog.at_level(logging.WARNING, logger="fawu.calendar"):
        calendar.check_at_startup()
    assert any("2027" in r.getMessage() for r in caplog.records)
    caplog.clear()
    clock.freeze(datetime(2026, 6, 1, 3, tzinfo=UTC))
    with caplog.at_level(logging.WARNING, logger="fawu.calendar"):
        calendar.check_at_startup()
    assert not caplog.records
