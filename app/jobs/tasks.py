"""The probe job: proves a deployment's job engine end to end (`fawu jobs probe`, the job bench).

Each run appends one line ``<run> <i>`` to ``var_dir/probe/<run>.log`` (one small O_APPEND write, so
lines of several worker processes never mix): counting the lines shows each job done exactly once.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from app.jobs.service import probe_log, register


def _append(path: str, line: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@register("jobs.probe")
async def probe(payload: dict[str, Any]) -> None:
    """``{"run": id, "i": n, "sleep": seconds, "fail": true}``: waits ``sleep`` (a job killed mid-way
    leaves no line), raises when ``fail``, else writes its line."""
    path = probe_log(str(payload["run"]))
    await asyncio.sleep(float(payload.get("sleep", 0)))
    if payload.get("fail"):
        raise RuntimeError("probe asked to fail")
    await asyncio.to_thread(_append, path, f"{payload['run']} {payload['i']}\n")
