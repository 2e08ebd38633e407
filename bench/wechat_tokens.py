"""Token-storm benchmark: many callers in several "processes" hit an access token WeChat no longer accepts.

The loopback WeChat runs under uvicorn on 127.0.0.1; P API clients (one per simulated process) share
the token through the database (a SQLite file; in memory for --smoke) or Redis. Someone else refreshes the token and the
5-minute overlap ends; then C concurrent calls all get 40001. Figures: refreshes during the storm
(must be 1), calls per second, and the slowest call.
`python -m bench.wechat_tokens [--smoke] [--processes 4] [--callers 400] [--store db|redis]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

LAST: dict[str, Any] = {}


async def run(processes: int, callers: int, store: str, *, file_db: bool = True) -> dict[str, Any]:
    from tortoise import Tortoise

    from app.config import set_settings
    from app.db import tortoise_config
    from app.matrix.service import load_matrix, set_matrix
    from app.wechat.client import WeChatClient
    from tests.conftest import make_settings
    from tests.emulator.live import live_emulator

    key = "yx_district"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}" if file_db else "sqlite://:memory:"
        await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
        await Tortoise.generate_schemas()
        base = make_settings(database_url=url)
        try:
            async with live_emulator(base) as emu:
                s = make_settings(database_url=url, wechat_api_base=emu.base_url, wechat_use_stable_token=False,
                                  redis_url="redis://127.0.0.1:6379/0" if store == "redis" else "")
                set_settings(s)
                set_matrix(load_matrix(s.matrix_dir))
                clients = [WeChatClient(s) for _ in range(processes)]
                if store == "redis":
                    await clients[0].tokens.store.redis.delete(f"fawu:wxtoken:{key}")  # type: ignore[attr-defined]
                acc = emu.state.by_key(key)
                openid = emu.state.add_follower(acc).openid
                await clients[0].access_token(key)
                emu.state.issue(acc, "token")  # someone else refreshed ...
                async with emu.control() as c:
                    await c.post("/_control/clock", json={"seconds": 301})  # ... and the overlap is over
                before = emu.state.calls.get("cgi-bin/token", 0)
                slowest = 0.0

                async def one(i: int) -> None:
                    nonlocal slowest
                    t = time.perf_counter()
                    await clients[i % processes].user_info(key, openid)
                    slowest = max(slowest, time.perf_counter() - t)

                start = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(callers)))
                total = time.perf_counter() - start
                result = {"store": store, "processes": processes, "callers": callers,
                          "refreshes": emu.state.calls.get("cgi-bin/token", 0) - before,
                          "calls_per_s": round(callers / total, 1), "slowest_ms": round(slowest * 1000, 1)}
                for c in clients:
                    await c.aclose()
        finally:
            set_matrix(None)
            set_settings(None)
            await Tortoise.close_connections()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="tiny run for tests (2 processes, 20 callers)")
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--callers", type=int, default=400)
    ap.add_argument("--store", choices=("db", "redis"), default="db")
    args = ap.parse_args(argv)
    if args.smoke:
        args.processes, args.callers = 2, 20
    result = asyncio.run(run(args.processes, args.callers, args.store, file_db=not args.smoke))
    print(json.dumps(result, ensure_ascii=False))
    LAST.clear()
    LAST.update(result)
    return 0 if result["refreshes"] == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
