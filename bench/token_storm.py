"""Token-expiry storm across real processes (issue 24 §5): P processes × C concurrent API calls hit an
access token WeChat no longer accepts; exactly one refresh may reach WeChat.

The loopback WeChat (emulator) runs under uvicorn in this process; P child processes each open the shared
token store (a SQLite file, or Redis with --store redis) with their own WeChat client, wait at a barrier,
then all make C calls at once with the stale token. Figures: refreshes seen by the emulator (must be 1),
calls that succeeded, the slowest call. `python -m bench.token_storm [--smoke] [--processes 4] [--callers 50]
[--store db|redis]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KEY = "yx_district"
REDIS = "redis://127.0.0.1:6379/13"
LAST: dict[str, Any] = {}


def _settings(db_url: str, api_base: str, store: str) -> Any:
    from tests.conftest import make_settings

    return make_settings(database_url=db_url, wechat_api_base=api_base, wechat_use_stable_token=False,
                         redis_url=REDIS if store == "redis" else "")


async def child(db_url: str, api_base: str, store: str, openid: str, callers: int, barrier: Path) -> dict[str, Any]:
    from tortoise import Tortoise

    from app.config import set_settings
    from app.db import tortoise_config
    from app.matrix.service import load_matrix, set_matrix
    from app.wechat.client import WeChatClient

    s = _settings(db_url, api_base, store)
    set_settings(s)
    set_matrix(load_matrix(s.matrix_dir))
    await Tortoise.init(config=tortoise_config(db_url), _enable_global_fallback=True)
    client = WeChatClient(s)
    try:
        (barrier.parent / f"ready-{os.getpid()}").touch()
        while not barrier.exists():
            await asyncio.sleep(0.005)
        slowest, ok = 0.0, 0

        async def one() -> None:
            nonlocal slowest, ok
            t = time.perf_counter()
            await client.user_info(KEY, openid)
            ok += 1
            slowest = max(slowest, time.perf_counter() - t)

        results = await asyncio.gather(*(one() for _ in range(callers)), return_exceptions=True)
        errors = [repr(r)[:200] for r in results if isinstance(r, BaseException)]
        return {"ok": ok, "errors": errors[:3], "slowest_ms": round(slowest * 1000, 1)}
    finally:
        await client.aclose()
        await Tortoise.close_connections()


async def run(processes: int, callers: int, store: str) -> dict[str, Any]:
    from tortoise import Tortoise

    from app.config import set_settings
    from app.db import tortoise_config
    from app.matrix.service import load_matrix, set_matrix
    from app.wechat.client import WeChatClient
    from tests.conftest import make_settings
    from tests.emulator.live import live_emulator

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        db_url = f"sqlite://{tmp / 'storm.sqlite3'}"
        await Tortoise.init(config=tortoise_config(db_url), _enable_global_fallback=True)
        await Tortoise.generate_schemas()
        try:
            async with live_emulator(make_settings(database_url=db_url)) as emu:
                s = _settings(db_url, emu.base_url, store)
                set_settings(s)
                set_matrix(load_matrix(s.matrix_dir))
                primer = WeChatClient(s)
                if store == "redis":
                    await primer.tokens.store.redis.delete(f"fawu:wxtoken:{KEY}")  # type: ignore[attr-defined]
                acc = emu.state.by_key(KEY)
                openid = emu.state.add_follower(acc).openid
                await primer.access_token(KEY)  # stored where every process finds it
                await primer.aclose()
                emu.state.issue(acc, "token")  # someone else refreshed ...
                async with emu.control() as c:
                    await c.post("/_control/clock", json={"seconds": 301})  # ... and the overlap is over
                before = emu.state.calls.get("cgi-bin/token", 0)
                barrier = tmp / "go"
                env = {**os.environ, "PYTHONPATH": str(ROOT)}
                procs = [subprocess.Popen([sys.executable, "-m", "bench.token_storm", "--child", db_url, emu.base_url,
                                           store, openid, str(callers), str(barrier)], cwd=ROOT, env=env,
                                          stdout=subprocess.PIPE, text=True) for _ in range(processes)]
                end = time.monotonic() + 300
                while len(list(tmp.glob("ready-*"))) < processes:
                    assert all(p.poll() is None for p in procs), "a storm process died before the barrier"
                    assert time.monotonic() < end, "storm processes did not start"
                    await asyncio.sleep(0.05)
                start = time.perf_counter()
                barrier.touch()
                outs = [json.loads((await asyncio.to_thread(p.communicate))[0].strip().splitlines()[-1])
                        for p in procs]
                total = time.perf_counter() - start
                result = {"store": store, "processes": processes, "callers_each": callers,
                          "refreshes": emu.state.calls.get("cgi-bin/token", 0) - before,
                          "calls_ok": sum(o["ok"] for o in outs), "calls": processes * callers,
                          "errors": [e for o in outs for e in o["errors"]][:3],
                          "calls_per_s": round(processes * callers / total, 1),
                          "slowest_ms": max(o["slowest_ms"] for o in outs)}
        finally:
            set_matrix(None)
            set_settings(None)
            await Tortoise.close_connections()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.token_storm", description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="tests: 2 processes × 10 calls")
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--callers", type=int, default=50)
    ap.add_argument("--store", choices=("db", "redis"), default="db")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        db_url, api_base, store, openid, callers, barrier = args.child
        print(json.dumps(asyncio.run(child(db_url, api_base, store, openid, int(callers), Path(barrier)))))
        return 0
    if args.smoke:
        args.processes, args.callers = 2, 10
    result = asyncio.run(run(args.processes, args.callers, args.store))
    print(json.dumps(result, ensure_ascii=False))
    LAST.clear()
    LAST.update(result)
    return 0 if result["refreshes"] == 1 and result["calls_ok"] == result["calls"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
