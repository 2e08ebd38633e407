"""The probe job: proves a deployment's job engine end to end (`fawu jobs probe`, the job bench).

Each run appends one line ``<run> <i>`` to ``var_dir/probe/<run>.log`` (one small O_APPEND write, so
lines of several worker processes never mix): counting the lines shows each job done exactly once.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from app.jobs.service import WORKER_ID, probe_log, register


def _append(path: str, line: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _first_start(path: str) -> bool:
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640))
    except FileExistsError:
        return False
    return True


@register("jobs.probe")
async def probe(payload: dict[str, Any]) -> None:
    """``{"run": id, "i": n, "sleep": seconds, "fail": true, "hang_first": true}``: waits ``sleep``,
    raises when ``fail``, hangs on its first start when ``hang_first`` (to be killed mid-job: a job cut
    short leaves no line), else writes its line ``<run> <i> <worker>``."""
    path = probe_log(str(payload["run"]))
    await asyncio.sleep(float(payload.get("sleep", 0)))
    if payload.get("fail"):
        raise RuntimeError("probe asked to fail")
    if payload.get("hang_first"):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if await asyncio.to_thread(_first_start, f"{path}.{payload['i']}.started"):
            await asyncio.sleep(3600)
    await asyncio.to_thread(_append, path, f"{payload['run']} {payload['i']} {WORKER_ID}\n")
