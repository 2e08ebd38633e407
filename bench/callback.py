"""Callback benchmark: fawu's /wechat/{account} against a bare FastAPI + wechatpy echo, same run.

Both servers run under uvicorn on 127.0.0.1 in their own process; the load generator (httpx) sends
signed CLICK events (plain and safe mode), each a new event so fawu persists and de-duplicates every
one into a SQLite file. Figures: throughput ratio fawu/bare and fawu's p99 latency at half load.
`python -m bench.callback [--smoke] [--requests 2000] [--concurrency 16] [--no-write]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import Request
from fastapi.responses import Response

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
ACCOUNTS = {"plain": "yx_jiedao", "safe": "yx_district"}
TIME_CAP = 60.0  # seconds per measured run at most


# ---------------------------------------------------------------- servers (child processes)


def _bare_app():  # type: ignore[no-untyped-def]
    """The baseline: verify, decrypt, parse, reply and encrypt with wechatpy, nothing else."""
    from fastapi import FastAPI
    from wechatpy import parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.replies import TextReply
    from wechatpy.utils import check_signature

    from app.matrix.service import load_matrix

    matrix = load_matrix(ROOT / "matrix_accounts")
    cryptos = {a.key: WeChatCrypto(a.token, a.encoding_aes_key, a.appid)
               for a in matrix.official_accounts() if a.encoding_aes_key}
    app = FastAPI()

    @app.post("/wechat/{key}")
    async def echo(key: str, request: Request) -> Response:
        acc = matrix.get(key)
        q = request.query_params
        check_signature(acc.token, q["signature"], q["timestamp"], q["nonce"])
        body = await request.body()
        encrypted = q.get("encrypt_type") == "aes"
        if encrypted:
            body = cryptos[key].decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"])
        msg = parse_message(body)
        xml = TextReply(message=msg, content="公共法律服务热线：12348").render()
        if encrypted:
            xml = cryptos[key].encrypt_message(xml, q["nonce"], q["timestamp"])
        return Response(xml, media_type="application/xml")

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


async def _serve_fawu(port: int, db_path: str) -> None:
    import uvicorn
    from tortoise import Tortoise

    from app import db
    from app.config import Settings, set_settings
    from app.main import create_app
    from app.org.importer import import_folder

    # WAL (tortoise default) with synchronous=NORMAL: a commit does not wait for fsync
    settings = Settings(database_url=f"sqlite://{db_path}?synchronous=NORMAL", auto_migrate=False,
                        demo_autoload=False, demo=True,
                        log_level="WARNING", log_format="text", matrix_dir=ROOT / "matrix_accounts",
                        content_dir=ROOT / "content", emulator_autostart=False)
    set_settings(settings)
    await db.init_db(settings)
    await Tortoise.generate_schemas()
    await import_folder(settings.content_dir / "org")
    app = create_app(settings, init_database=False, run_worker=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning",
                                           access_log=False, log_config=None))
    await server.serve()


def _serve(kind: str, port: int, db_path: str) -> None:
    import uvicorn

    if kind == "bare":
        uvicorn.run(_bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False,
                    log_config=None)
    else:
        asyncio.run(_serve_fawu(port, db_path))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, kind: str, db_path: str) -> None:
        self.kind, self.port = kind, _free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "FAWU_DEMO": "true"}
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.callback", "--serve", kind, str(self.port),
                                      db_path], cwd=ROOT, env=env)
        self.url = f"http://127.0.0.1:{self.port}"

    async def ready(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        async with httpx.AsyncClient() as c:
            while time.monotonic() < end:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.kind} server exited with {self.proc.returncode}")
                try:
                    if (await c.get(self.url + "/healthz", timeout=1)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.kind} server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---------------------------------------------------------------- load generator


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000


_seq = iter(range(10**9))


def _requests(mode: str, n: int) -> list[tuple[str, dict[str, str], bytes]]:
    """n signed CLICK events, each new (distinct openid/CreateTime), as WeChat would send them."""
    from app.emulator.simulator import CallbackSimulator
    from app.matrix.service import load_matrix

    acc = load_matrix(ROOT / "matrix_accounts").get(ACCOUNTS[mode])
    sim = CallbackSimulator(acc, mode=mode)
    base = int(time.time())
    out = []
    for _ in range(n):
        i = next(_seq)
        xml = sim.event_xml(f"o_bench_{i % 500}", "CLICK", "info:hotline", create_time=base - (i // 500))
        params, body = sim.sign(xml)
        out.append((f"/wechat/{acc.key}", params, body))
    return out


async def _load(url: str, reqs: list[tuple[str, dict[str, str], bytes]], *, concurrency: int,
                rate: float | None = None) -> Run:
    latencies: list[float] = []
    errors = 0
    it = iter(reqs)
    t_start = time.monotonic()
    deadline = t_start + TIME_CAP
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    sent = 0

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=5.0) as client:
        async def worker() -> None:
            nonlocal errors, sent
            for path, params, body in it:
                if time.monotonic() > deadline:
                    return
                if rate:
                    due = t_start + sent / rate
                    sent += 1
                    if (wait := due - time.monotonic()) > 0:
                        await asyncio.sleep(wait)
                t0 = time.monotonic()
                try:
                    r = await client.post(path, params=params, content=body)
                    ok = r.status_code == 200 and "<xml>" in r.text
                    if not ok and errors == 0:
                        print(f"first error from {url}: HTTP {r.status_code} {r.text[:200]!r}", file=sys.stderr)
                except httpx.HTTPError as exc:
                    ok = False
                    if errors == 0:
                        print(f"first error from {url}: {exc!r}", file=sys.stderr)
                latencies.append(time.monotonic() - t0)
                errors += 0 if ok else 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Run(len(latencies), time.monotonic() - t_start, latencies, errors)


async def measure(*, n: int, concurrency: int, smoke: bool) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        servers = {"bare": Server("bare", ""), "fawu": Server("fawu", str(Path(tmp) / "bench.sqlite3"))}
        try:
            for s in servers.values():
                await s.ready()
            for mode in ACCOUNTS:
                row: dict[str, float] = {}
                for kind, s in servers.items():
                    await _load(s.url, _requests(mode, max(10, n // 20)), concurrency=concurrency)  # warm-up
                    run = await _load(s.url, _requests(mode, n), concurrency=concurrency)
                    row[f"{kind}_rps"] = run.rps
                    row[f"{kind}_p50"] = run.pct(50)
                    row[f"{kind}_errors"] = run.errors
                half = row["bare_rps"] / 2
                if not smoke:
                    run = await _load(servers["fawu"].url, _requests(mode, min(n, int(half * 15) + 1)),
                                      concurrency=concurrency, rate=half)
                    row["half_rate"] = half
                    row["half_p99"] = run.pct(99)
                    row["half_errors"] = run.errors
                row["ratio"] = row["fawu_rps"] / row["bare_rps"] if row["bare_rps"] else 0.0
                results[mode] = row
        finally:
            for s in servers.values():
                s.stop()
    return results


def render(results: dict[str, dict[str, float]], *, n: int, concurrency: int) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} with `python -m bench.callback` ({n} signed CLICK events per run,",
        f"{concurrency} concurrent connections, httpx load generator, uvicorn on 127.0.0.1, one worker each;",
        "fawu persists and de-duplicates every event into a SQLite file (WAL, synchronous=NORMAL), records the "
        "interaction, loads the",
        "resident and dialogue state and renders the reply). Baseline: a bare FastAPI + wechatpy echo handler",
        "in the same run. Aim: ratio ≥ 0.5, p99 < 50 ms at half the bare handler's throughput.",
        "",
        "| mode | bare req/s | fawu req/s | ratio | fawu p50 (ms) | p99 at half load (ms) | errors (bare/fawu) |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, r in results.items():
        lines.append(f"| {mode} | {r['bare_rps']:.0f} | {r['fawu_rps']:.0f} | {r['ratio']:.2f} | "
                     f"{r['fawu_p50']:.1f} | {r.get('half_p99', float('nan')):.1f} "
                     f"(at {r.get('half_rate', 0):.0f} req/s) | "
                     f"{int(r['bare_errors'])}/{int(r['fawu_errors'] + r.get('half_errors', 0))} |")
    return "\n".join(lines) + "\n"


def write_doc(section: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    block = "## Callback\n\n" + section + "\n"
    if "## Callback" in text:
        text = re.sub(r"## Callback\n.*?(?=\n## |\Z)", lambda _m: block.rstrip("\n") + "\n", text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.callback", description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="a tiny run (tests): 40 requests, no doc update")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    ap.add_argument("--serve", nargs=3, metavar=("KIND", "PORT", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve:
        kind, port, db_path = args.serve
        _serve(kind, int(port), db_path)
        return 0
    n = 40 if args.smoke else max(50, min(args.requests, 20000))
    conc = 4 if args.smoke else max(1, min(args.concurrency, 256))
    results = asyncio.run(measure(n=n, concurrency=conc, smoke=args.smoke))
    table = render(results, n=n, concurrency=conc)
    print(table)
    failed = sum(int(r["fawu_errors"] + r["bare_errors"] + r.get("half_errors", 0)) for r in results.values())
    if not args.smoke and not args.no_write:
        write_doc(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
