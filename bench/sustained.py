"""Sustained callbacks, nothing lost or handled twice (issue 24 §5).

`fawu serve --workers 2` on MariaDB with Redis (production's shape) receives signed text messages at a
steady rate for a minute, as WeChat sends them: each resident's message once, and a share of them again
with the same MsgId a moment later (WeChat retries when it did not get an answer within 5 s; here the
retries are sent on purpose, freshly signed, while the first may still be in flight). Afterwards the
inbox is compared with what was sent:

- every MsgId sent is stored exactly once (``wechat_inbound``), none left half-done (``processing``);
- every message was handled once: one consultation record per MsgId, retries included;
- a retry is answered with the same reply as the first (or an empty 200, WeChat's "answered already");
- no 5xx, no other error.

Latency percentiles at that rate are reported beside the figures. The generator sends on a fixed schedule
(open loop: a slow server does not slow the sending down) from this process with httpx; at the rates used
here (≤ 100 messages per second) it is far from its own ceiling (the callback bench measures the ceiling).

`python -m bench.sustained [--smoke] [--seconds 60] [--rate 50] [--retries 0.1] [--no-write]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.callback import ACCOUNT, MARIADB, QUESTIONS, ROOT, Server, System, _mariadb_up
from bench.docs import put_section

SECTION = "## Sustained callbacks: nothing lost, nothing handled twice"


@dataclass
class Sent:
    msg_id: int
    openid: str
    xml: str = ""  # the message as WeChat sends it (a retry repeats it, freshly signed)
    first: tuple[int, str] | None = None  # status, body of the first delivery
    retries: list[tuple[int, str]] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)


def _signed(sim: Any, xml: str, nonce: str) -> tuple[str, bytes]:
    params, body = sim.sign(xml, timestamp=int(time.time()), nonce=nonce)
    return f"/wechat/{sim.account.key}?{urlencode(params)}", body


async def drive(url: str, *, seconds: float, rate: float, retry_share: float, residents: int = 500) -> list[Sent]:
    """Send ``rate`` new messages a second for ``seconds``; a ``retry_share`` of them again 0.2–3 s later."""
    from app.emulator.simulator import CallbackSimulator
    from app.matrix.service import load_matrix

    sim = CallbackSimulator(load_matrix(ROOT / "matrix_accounts").get(ACCOUNT))
    base = int.from_bytes(secrets.token_bytes(5), "big") * 1000
    rng = random.Random(7)
    sent: list[Sent] = []
    tasks: list[asyncio.Task[None]] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def post(s: Sent, *, retry: bool, delay: float = 0.0) -> None:
            if delay:
                await asyncio.sleep(delay)
            path, body = _signed(sim, s.xml, secrets.token_hex(8))
            t0 = time.perf_counter()
            try:
                r = await client.post(path, content=body, headers={"Content-Type": "text/xml"})
                result = (r.status_code, r.text)
            except httpx.HTTPError as exc:
                result = (599, type(exc).__name__)
            if retry:
                s.retries.append(result)
            else:
                s.first = result
                s.latency_ms.append((time.perf_counter() - t0) * 1000)

        start = time.perf_counter()
        n = int(seconds * rate)
        for i in range(n):
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
            openid = f"o_sustain_{i % residents}"
            s = Sent(msg_id=base + i, openid=openid, xml=sim.text_xml(
                openid, QUESTIONS[i % len(QUESTIONS)], msg_id=base + i, create_time=int(time.time())))
            sent.append(s)
            tasks.append(asyncio.create_task(post(s, retry=False)))
            if rng.random() < retry_share:
                tasks.append(asyncio.create_task(post(s, retry=True, delay=rng.uniform(0.2, 3.0))))
        await asyncio.gather(*tasks)
    return sent


def _same_reply(first: str, again: str) -> bool:
    """A retry's answer: the first reply again (its content), or an empty 200 / "success"."""
    import re

    if again.strip() in ("", "success"):
        return True

    def content(xml: str) -> str:
        m = re.search(r"<Content><!\[CDATA\[(.*?)\]\]></Content>", xml, re.S)
        return m.group(1) if m else xml

    return content(first) == content(again)


def compare(sent: list[Sent], database: str) -> dict[str, Any]:
    """What the inbox holds against what was sent (one MariaDB connection, after the run)."""
    import re

    import pymysql

    m = re.match(r"mysql://([^:@/]*):?([^@/]*)@([^:/]+):?(\d*)/", MARIADB)
    assert m
    conn = pymysql.connect(host=m[3], port=int(m[4] or 3306), user=m[1], password=m[2], database=database)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT msg_id, COUNT(*), SUM(status = 'processing') FROM wechat_inbound "
                        "WHERE account_key = %s AND kind = 'text' GROUP BY msg_id", (ACCOUNT,))
            stored = {str(r[0]): (int(r[1]), int(r[2] or 0)) for r in cur.fetchall()}
            cur.execute("SELECT COUNT(*) FROM consult_consultation WHERE account_key = %s", (ACCOUNT,))
            consultations = int(cur.fetchone()[0])  # type: ignore[index]
    finally:
        conn.close()
    ids = {str(s.msg_id) for s in sent}
    firsts = [s.first for s in sent if s.first]
    return {
        "sent": len(sent), "retries": sum(len(s.retries) for s in sent),
        "answered_200": sum(1 for st, _ in firsts if st == 200),
        "errors": sum(1 for st, _ in firsts if st != 200) + sum(1 for s in sent for st, _ in s.retries if st != 200),
        "stored": sum(1 for i in ids if i in stored),
        "lost": sorted(i for i in ids if i not in stored)[:5], "lost_n": sum(1 for i in ids if i not in stored),
        "stored_twice": sum(1 for i in ids if stored.get(i, (0, 0))[0] > 1),
        "unknown_rows": sum(1 for i in stored if i not in ids),
        "half_done": sum(v[1] for v in stored.values()),
        "consultations": consultations,
        "retry_replies_differ": sum(1 for s in sent for st, body in s.retries
                                    if st == 200 and s.first and not _same_reply(s.first[1], body)),
    }


def verdict(c: dict[str, Any]) -> list[str]:
    """Every broken promise, in words (empty: all kept)."""
    out = []
    if c["lost_n"]:
        out.append(f"{c['lost_n']} messages not stored (e.g. {c['lost']})")
    if c["stored_twice"] or c["unknown_rows"]:
        out.append(f"{c['stored_twice']} stored twice, {c['unknown_rows']} rows not sent")
    if c["half_done"]:
        out.append(f"{c['half_done']} left processing")
    if c["consultations"] != c["sent"]:
        out.append(f"{c['consultations']} consultations recorded for {c['sent']} messages")
    if c["retry_replies_differ"]:
        out.append(f"{c['retry_replies_differ']} retries answered differently")
    if c["errors"]:
        out.append(f"{c['errors']} requests failed")
    return out


async def run(*, seconds: float, rate: float, retry_share: float, workers: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="fawu-sustained-"))
    server = Server(System(f"fawu, MariaDB + Redis, {workers} processes", "fawu", "mariadb", redis=True,
                           workers=workers), tmp)
    try:
        await server.ready()
        t0 = time.perf_counter()
        sent = await drive(server.url, seconds=seconds, rate=rate, retry_share=retry_share)
        wall = time.perf_counter() - t0
        await asyncio.sleep(2)  # the after-reply work (consultation records) of the last replies
        c = compare(sent, server.database)
        lat = sorted(x for s in sent for x in s.latency_ms)
        c.update(wall=wall, rate=rate, seconds=seconds, workers=workers,
                 p50=statistics.median(lat) if lat else float("nan"),
                 p99=lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan"),
                 max=lat[-1] if lat else float("nan"))
        return c
    finally:
        server.stop()


def render(c: dict[str, Any], *, load: str) -> str:
    problems = verdict(c)
    return "\n".join([
        SECTION, "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC with `python -m bench.sustained --seconds "
        f"{c['seconds']:g} --rate {c['rate']:g}` (`fawu serve --workers {c['workers']}`, MariaDB + Redis, plain-mode "
        f"text messages from 500 residents, {c['retries']} of them sent again with the same MsgId 0.2–3 s later; "
        f"load average at the start {load}). Open-loop generator (httpx, fixed schedule).", "",
        "| figure | value |", "|---|---|",
        f"| messages sent (new MsgIds) / retries | {c['sent']} / {c['retries']} |",
        f"| answered 200 / failed requests | {c['answered_200']} / {c['errors']} |",
        f"| stored exactly once / lost / stored twice | {c['stored'] - c['stored_twice']} / {c['lost_n']} / "
        f"{c['stored_twice']} |",
        f"| left half-done (processing) | {c['half_done']} |",
        f"| consultations recorded (one per message) | {c['consultations']} |",
        f"| retries answered differently from the first | {c['retry_replies_differ']} |",
        f"| latency p50 / p99 / max (ms) | {c['p50']:.1f} / {c['p99']:.1f} / {c['max']:.1f} |",
        f"| sending took (s) | {c['wall']:.1f} |", "",
        "Verdict: " + ("every message stored once and handled once." if not problems else "; ".join(problems)), "",
    ])


def write_doc(section: str) -> None:
    put_section(SECTION, section)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.sustained", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="3 s at 10 a second (tests); no doc update")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=50.0, help="new messages per second")
    ap.add_argument("--retries", type=float, default=0.1, help="share of messages sent again (same MsgId)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    if not _mariadb_up():
        print("MariaDB is not reachable at 127.0.0.1:3306: the sustained bench needs it", file=sys.stderr)
        return 2
    seconds, rate = (3.0, 10.0) if args.smoke else (args.seconds, args.rate)
    import os

    load = f"{os.getloadavg()[0]:.1f}"
    c = asyncio.run(run(seconds=seconds, rate=rate, retry_share=0.3 if args.smoke else args.retries,
                        workers=args.workers))
    section = render(c, load=load)
    print(section)
    if not (args.smoke or args.no_write):
        write_doc(section)
    return 1 if verdict(c) else 0


if __name__ == "__main__":
    sys.exit(main())
