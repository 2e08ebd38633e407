"""Callback load benchmark: every system in ONE run, under a load generator that is not the bottleneck.

Systems, one after another on 127.0.0.1 (each alone while measured): the ceiling (a bare FastAPI + wechatpy
echo: verify, parse, reply, store nothing), fawu on a SQLite file, fawu on MariaDB with Redis, and fawu on
MariaDB with Redis under `fawu serve --workers 2`. fawu is started exactly as in production (`python -m
app.cli serve --workers N`, demo district, migrations) and does everything it does for a resident: the
signed text message is verified, stored and de-duplicated, the resident and dialogue state loaded, the
consultation answered, the outcome stored, the consultation recorded (after the reply).

The generator is wrk (Debian package; `make bench` installs it) with a Lua script that sends a freshly
signed text message per request (a new MsgId, nonce, timestamp; 5,000 residents in turn, 40 questions); its
own ceiling is the bare echo of the same run. Without wrk it falls back to httpx in this process (then the
generator, not the server, is the limit, and the table says so).

Also measured: the first message after start-up (the consultation index must be warm before /healthz).
`python -m bench.callback [--smoke] [--seconds 10] [--connections 16] [--no-write] [--systems ...]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import Response

from bench.docs import put_section

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
ACCOUNT = "yx_jiedao"  # plain mode (the measurement); --mode safe uses yx_district (AES)
SAFE_ACCOUNT = "yx_district"
MARIADB = os.environ.get("FAWU_BENCH_MARIADB_URL", "mysql://root:@127.0.0.1:3306/")
REDIS = os.environ.get("FAWU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
QUESTIONS = [
    "老板拖欠工资三个月不给怎么办", "公司不签劳动合同可以要双倍工资吗", "被公司辞退有没有经济补偿",
    "加班不给加班费怎么办", "工伤认定要多长时间", "离婚后孩子抚养权归谁", "离婚财产怎么分割",
    "对方不给抚养费怎么办", "老人赡养费子女不给怎么办", "遗嘱怎么写才有效", "父母去世房子怎么继承",
    "邻居装修噪音太大怎么办", "楼上漏水不给修怎么办", "房东不退押金怎么办", "租房合同没到期房东要收房",
    "借钱不还没有借条怎么办", "朋友借钱不还能起诉吗", "网购买到假货怎么维权", "装修公司延期交房怎么办",
    "交通事故对方全责不赔钱", "被狗咬了找谁赔偿", "宅基地纠纷怎么处理", "土地承包合同到期怎么办",
    "物业费不交会怎么样", "小区停车费乱收费怎么投诉", "法律援助怎么申请", "请律师要多少钱",
    "被人打了怎么报警处理", "诈骗的钱能追回来吗", "信用卡逾期会被起诉吗", "打官司需要准备什么材料",
    "怎么申请劳动仲裁", "试用期可以随便辞退吗", "社保公司不给交怎么办", "农民工工资拖欠去哪里投诉",
    "结婚彩礼离婚能要回来吗", "家暴怎么申请人身保护令", "老人被子女虐待怎么办", "孩子在学校被打学校有责任吗",
    "买的房子开发商延期交付",
]
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


# ---------------------------------------------------------------- load generator




# ---------------------------------------------------------------- servers (child processes)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class System:
    name: str
    kind: str  # bare | fawu
    db: str = ""  # sqlite | mariadb
    redis: bool = False
    workers: int = 1


SYSTEMS = {
    "bare": System("bare FastAPI + wechatpy echo (ceiling)", "bare"),
    "sqlite": System("fawu, SQLite, 1 process", "fawu", "sqlite"),
    "mariadb": System("fawu, MariaDB + Redis, 1 process", "fawu", "mariadb", redis=True),
    "mariadb2": System("fawu, MariaDB + Redis, 2 processes", "fawu", "mariadb", redis=True, workers=2),
}


class Server:
    """One system under test: the bare echo, or `fawu serve --workers N` on its own database."""

    def __init__(self, system: System, tmp: Path) -> None:
        self.system, self.port = system, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = ""
        self.log_path = tmp / f"{system.kind}-{system.db}-{system.workers}-{self.port}.log"
        log = self.log_path.open("w")
        if system.kind == "bare":
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            cmd = [sys.executable, "-m", "bench.callback", "--serve-bare", str(self.port)]
        else:
            var = tmp / f"var-{self.port}"
            (var / "cache").parent.mkdir(parents=True, exist_ok=True)
            (ROOT / "var" / "cache").mkdir(parents=True, exist_ok=True)
            (var / "cache").symlink_to(ROOT / "var" / "cache")  # the consultation engine, built once
            if system.db == "mariadb":
                self.database = f"fawu_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
                _mysql(f"CREATE DATABASE `{self.database}` CHARACTER SET utf8mb4")
                url = MARIADB.rstrip("/") + "/" + self.database
            else:
                # WAL (tortoise default) with synchronous=NORMAL: a commit does not wait for fsync
                url = f"sqlite://{tmp / f'bench-{self.port}.sqlite3'}?synchronous=NORMAL"
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FAWU_DATABASE_URL": url,
                   "FAWU_MATRIX_DIR": str(ROOT / "matrix_accounts"), "FAWU_CONTENT_DIR": str(ROOT / "content"),
                   "FAWU_LAWS_DIR": str(ROOT / "content" / "laws"), "FAWU_VAR_DIR": str(var),
                   "FAWU_POSTER_DIR": str(var / "posters"), "FAWU_EMULATOR_AUTOSTART": "false",
                   "FAWU_WECHAT_API_BASE": "http://127.0.0.1:9/", "FAWU_LOG_FORMAT": "text",
                   "FAWU_LOG_LEVEL": "WARNING", "FAWU_REDIS_URL": REDIS if system.redis else "",
                   # 5,000 bench residents ask a few questions each: the per-resident limit is not measured
                   "FAWU_RATE_LIMITS": "consult_resident=100000/minute"}
            cmd = [sys.executable, "-m", "app.cli", "serve", "--workers", str(system.workers),
                   "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    async def ready(self, timeout: float = 600) -> None:
        end = time.monotonic() + timeout
        pids: set[int] = set()
        async with httpx.AsyncClient() as c:
            while time.monotonic() < end:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.system.name} exited: {self.log_path.read_text()[-2000:]}")
                try:
                    r = await c.get(self.url + "/healthz", timeout=1, headers={"Connection": "close"})
                    if r.status_code == 200:
                        pids.add(int(r.json().get("worker", 0)))
                        if len(pids) >= self.system.workers or self.system.kind == "bare":
                            return
                        continue
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.system.name} did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.database:
            _mysql(f"DROP DATABASE IF EXISTS `{self.database}`")


def _mysql(query: str) -> None:
    import pymysql

    m = re.match(r"mysql://([^:@/]*):?([^@/]*)@([^:/]+):?(\d*)/", MARIADB)
    assert m, MARIADB
    conn = pymysql.connect(host=m[3], port=int(m[4] or 3306), user=m[1], password=m[2], autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(query)
    finally:
        conn.close()


# ---------------------------------------------------------------- requests


def server_cpu(session: int) -> float:
    """CPU seconds (user + system) used so far by every process of the server's session (Linux /proc;
    0 elsewhere). Per message, the figure a shared machine disturbs least."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # field 6 of stat: the session id
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


MIX: dict[str, Any] = {"distinct": False, "residents": 5000}


def _requests(n: int, mode: str, tag: str) -> list[tuple[str, bytes]]:
    """n signed text messages, each new (its own MsgId, nonce, timestamp), as WeChat would send them."""
    from urllib.parse import urlencode

    from app.emulator.simulator import CallbackSimulator
    from app.matrix.service import load_matrix

    acc = load_matrix(ROOT / "matrix_accounts").get(SAFE_ACCOUNT if mode == "safe" else ACCOUNT)
    sim = CallbackSimulator(acc, mode=mode)
    now = int(time.time())
    base = int.from_bytes(secrets.token_bytes(6), "big") * 1000
    out = []
    for i in range(n):
        question = QUESTIONS[i % len(QUESTIONS)]
        if MIX["distinct"]:  # every text its own (the consultation's cache of understandings never hits)
            question = f"{question} {tag}{i}"
        xml = sim.text_xml(f"o_bench_{tag}_{i % MIX['residents']}", question, msg_id=base + i,
                           create_time=now)
        params, body = sim.sign(xml, timestamp=now, nonce=f"{tag}{i}")
        out.append((f"/wechat/{acc.key}?{urlencode(params)}", body))
    return out


# ---------------------------------------------------------------- load generators


@dataclass
class Run:
    requests: int = 0
    seconds: float = 0.0
    p50: float = float("nan")
    p99: float = float("nan")
    max: float = float("nan")
    bad: int = 0
    exhausted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


LUA = r"""
REQS = {}
for line in io.lines(DATA) do
  local tab = string.find(line, "\t", 1, true)
  REQS[#REQS + 1] = {string.sub(line, 1, tab - 1), string.sub(line, tab + 1)}
end
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end
function init(args)
  nthreads = tonumber(args[1])
  i = id
  bad = 0
  sent = 0
end
local headers = {["Content-Type"] = "text/xml"}
function request()
  local r = REQS[(i % #REQS) + 1]
  i = i + nthreads
  sent = sent + 1
  return wrk.format("POST", r[1], headers, r[2])
end
function response(status, hdrs, body)
  if status ~= 200 or not string.find(body, "<xml>", 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b, s = 0, 0
  for _, t in ipairs(threads) do b = b + t:get("bad"); s = s + t:get("sent") end
  local e = summary.errors
  io.write(string.format('FAWU_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"bad":%d,"sent":%d,"n":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    b, s, #REQS, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _lua(reqs: list[tuple[str, bytes]], path: Path) -> None:
    """The script and its data file (one request a line: path TAB body; Lua caps a chunk's constants)."""
    data = path.with_suffix(".tsv")
    with data.open("w", encoding="utf-8") as fh:
        for p, body in reqs:
            text = body.decode("utf-8")
            assert "\t" not in text and "\n" not in text and "\t" not in p
            fh.write(f"{p}\t{text}\n")
    path.write_text(f"DATA = [==[{data}]==]\n" + LUA, encoding="utf-8")


def wrk_run(url: str, reqs: list[tuple[str, bytes]], *, seconds: float, connections: int, threads: int,
            tmp: Path) -> Run:
    script = tmp / f"load-{secrets.token_hex(4)}.lua"
    _lua(reqs, script)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
           "-s", str(script), url, "--", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("FAWU_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {proc.stdout[-1000:]} {proc.stderr[-1000:]}")
    d = json.loads(line.removeprefix("FAWU_JSON "))
    errors = d["connect"] + d["read"] + d["write"] + d["timeout"]
    return Run(d["requests"], d["duration_us"] / 1e6, d["p50_us"] / 1000, d["p99_us"] / 1000, d["max_us"] / 1000,
               d["bad"] + errors, exhausted=d["sent"] > d["n"], extra=d)


async def httpx_run(url: str, reqs: list[tuple[str, bytes]], *, seconds: float, connections: int) -> Run:
    """The fallback generator (one process: it is the bottleneck long before a fast server is)."""
    latencies: list[float] = []
    bad = 0
    it = iter(reqs)
    start = time.monotonic()
    deadline = start + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10.0) as client:
        async def worker() -> None:
            nonlocal bad
            for path, body in it:
                if time.monotonic() > deadline:
                    return
                t0 = time.monotonic()
                try:
                    r = await client.post(path, content=body, headers={"Content-Type": "text/xml"})
                    ok = r.status_code == 200 and "<xml>" in r.text
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.monotonic() - t0)
                bad += 0 if ok else 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    xs = sorted(latencies) or [float("nan")]

    def pct(p: float) -> float:
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000

    return Run(len(latencies), time.monotonic() - start, pct(50), pct(99), xs[-1] * 1000, bad)


# ---------------------------------------------------------------- the run


async def _first_message(url: str, mode: str) -> tuple[float, bool]:
    """The first message after /healthz said ready: its latency (ms) and whether it got the answer."""
    path, body = _requests(1, mode, "first" + secrets.token_hex(3))[0]
    async with httpx.AsyncClient(base_url=url, timeout=10) as c:
        t0 = time.monotonic()
        r = await c.post(path, content=body, headers={"Content-Type": "text/xml"})
        return (time.monotonic() - t0) * 1000, r.status_code == 200 and "<xml>" in r.text


async def measure(names: list[str], *, seconds: float, connections: int, mode: str, smoke: bool,
                  use_wrk: bool) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        for key in names:
            system = SYSTEMS[key]
            server = Server(system, tmp)
            try:
                t0 = time.monotonic()
                await server.ready()
                row: dict[str, Any] = {"start_s": time.monotonic() - t0}
                if system.kind == "fawu":
                    row["first_ms"], row["first_ok"] = await _first_message(server.url, mode)
                # enough distinct messages for the run at a generous rate (fawu must never see a repeat)
                n = int(max(200, (6000 if system.kind == "fawu" else 1000) * seconds) * system.workers)
                n = min(n, 200 if smoke else 150_000)
                reqs = await asyncio.to_thread(_requests, n, mode, f"{key}{secrets.token_hex(2)}")
                warm = await asyncio.to_thread(_requests, 50 if not smoke else 10, mode, f"w{key}")
                if use_wrk:
                    await asyncio.to_thread(wrk_run, server.url, warm, seconds=1, connections=4, threads=1, tmp=tmp)
                    cpu0 = server_cpu(server.proc.pid)
                    run = await asyncio.to_thread(wrk_run, server.url, reqs, seconds=seconds,
                                                  connections=connections, threads=2, tmp=tmp)
                else:
                    await httpx_run(server.url, warm, seconds=5, connections=4)
                    cpu0 = server_cpu(server.proc.pid)
                    run = await httpx_run(server.url, reqs, seconds=seconds, connections=connections)
                cpu = server_cpu(server.proc.pid) - cpu0
                row.update(rps=run.rps, p50=run.p50, p99=run.p99, max=run.max, bad=run.bad, requests=run.requests,
                           exhausted=run.exhausted, cpu_ms=1000 * cpu / max(run.requests, 1))
                results[key] = row
                print(f"{system.name}: {run.rps:.0f} req/s p50 {run.p50:.1f} ms p99 {run.p99:.1f} ms "
                      f"bad {run.bad}" + (" (messages ran out: repeats)" if run.exhausted else ""), flush=True)
            finally:
                await asyncio.to_thread(server.stop)
    return results


QUESTION_MIX = {False: " repeated (the mix of repeated questions: the consultation's cache of understandings "
                       "hits after the first 40)",
                True: " each made distinct by a tag after it (the mix of all-distinct texts: the cache never hits)"}


RESIDENTS_NOTE = (" (each resident's first message creates them: the heaviest path, as long as fewer than that "
                  "many messages were sent)")


def render(results: dict[str, dict[str, Any]], *, seconds: float, connections: int, mode: str,
           generator: str, load: str) -> str:
    bare = results.get("bare", {}).get("rps") or 0.0
    one = results.get("mariadb", {}).get("rps") or 0.0
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `python -m bench.callback` "
        f"(generator: {generator}; {connections} connections, {seconds:.0f} s per system, a freshly signed "
        f"{mode}-mode text message per request: 40 questions{QUESTION_MIX[MIX['distinct']]}, {MIX['residents']:,} residents{RESIDENTS_NOTE}; every system alone on 127.0.0.1 "
        f"in turn, in one run). Baseline: the bare FastAPI + wechatpy echo of the same run. fawu runs as "
        f"`fawu serve --workers N`: verifies, stores and de-duplicates the message, loads the resident and the "
        f"dialogue, answers the consultation, stores the outcome, then (after the reply) records the "
        f"consultation and the customer-service window. Machine: 2 cores shared with other engineers' test "
        f"suites while measuring (load average at the start {load}): compare the ratios, not the absolute "
        f"figures.",
        "",
        "| system | req/s | ÷ ceiling | p50 (ms) | p99 (ms) | max (ms) | bad answers | first message after ready (ms) "
        "| server CPU per message (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in results.items():
        ratio = f"{r['rps'] / bare:.2f}" if bare else "–"
        first = f"{r['first_ms']:.0f}" + ("" if r.get("first_ok") else " (no answer)") if "first_ms" in r else "–"
        lines.append(f"| {SYSTEMS[key].name} | {r['rps']:.0f} | {ratio} | {r['p50']:.1f} | {r['p99']:.1f} | "
                     f"{r['max']:.0f} | {r['bad']} | {first} | {r.get('cpu_ms', 0):.2f} |")
    if one and "mariadb2" in results:
        lines += ["", f"2 processes ÷ 1 process (MariaDB + Redis): {results['mariadb2']['rps'] / one:.2f}."]
    return "\n".join(lines) + "\n"


def write_doc(section: str) -> None:
    put_section("## Callback", "## Callback\n\n" + section)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.callback", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="a tiny run (tests): 1 s per system, no doc update")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--mode", choices=["plain", "safe"], default="plain")
    ap.add_argument("--systems", nargs="+", choices=list(SYSTEMS), default=None,
                    help="default: all (MariaDB ones only when MariaDB answers)")
    ap.add_argument("--distinct", action="store_true",
                    help="every question text distinct (a tag after it): the consultation's cache never hits")
    ap.add_argument("--residents", type=int, default=5000,
                    help="how many residents send the messages in turn (fewer: most messages from known residents)")
    ap.add_argument("--httpx", action="store_true", help="use the httpx generator even when wrk is installed")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    ap.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_bare:
        import uvicorn

        uvicorn.run(_bare_app(), host="127.0.0.1", port=args.serve_bare, log_level="warning", access_log=False,
                    log_config=None)
        return 0
    MIX["distinct"] = args.distinct
    MIX["residents"] = max(1, args.residents)
    names = args.systems or [k for k in SYSTEMS if SYSTEMS[k].db != "mariadb" or _mariadb_up()]
    use_wrk = shutil.which("wrk") is not None and not args.httpx
    generator = "wrk, 2 threads" if use_wrk else "httpx in one process (the generator is the limit)"
    seconds = 1.0 if args.smoke else max(1.0, min(args.seconds, 120.0))
    conns = 4 if args.smoke else max(1, min(args.connections, 256))
    load = f"{os.getloadavg()[0]:.1f}"
    results = asyncio.run(measure(names, seconds=seconds, connections=conns, mode=args.mode, smoke=args.smoke,
                                  use_wrk=use_wrk))
    table = render(results, seconds=seconds, connections=conns, mode=args.mode, generator=generator, load=load)
    print(table)
    failed = sum(int(r["bad"]) for r in results.values()) + sum(
        1 for r in results.values() if "first_ok" in r and not r["first_ok"])
    if not args.smoke and not args.no_write:
        write_doc(table)
    return 1 if failed else 0


def _mariadb_up() -> bool:
    m = re.match(r"mysql://[^@]*@([^:/]+):?(\d*)/", MARIADB)
    try:
        with socket.create_connection((m[1], int(m[2] or 3306)) if m else ("127.0.0.1", 3306), timeout=1):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
