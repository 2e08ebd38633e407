"""Matrix push benchmark: one 普法 article to 100,000 residents across the matrix through the loopback WeChat.

The emulator runs under uvicorn on 127.0.0.1 (same process, its own event-loop task); fawu plans the send
(one copy per person by unionid), writes the outbox, and the jobs deliver: material, draft, the per-send tag
for a subscription account whose followers overlap, OpenID lists of up to 10,000 for the service account,
then MASSSENDJOBFINISH comes back to fawu's callback and is matched to the send. Figures: time to
complete, API calls by endpoint, people reached, people reached twice (must be 0). Baseline in the same
run: the same mass sends issued bare (one WeChat client, the recipient lists already known, no planning,
ledger, outbox or tags), and the naive plan (every account sends to all) for the duplicates it would cause.
`python -m bench.push [--smoke] [--people 100000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

LAST: dict[str, Any] = {}
ACCOUNTS = {"yx_jiedao": "YXJD", "yx_taoyuan": "TYZ", "yx_shiqiao": "SQZ"}  # township subscription accounts
DISTRICT = "yx_district"


def population(people: int, seed: int = 20) -> list[tuple[str, str, list[str]]]:
    """(unionid, township, accounts followed): 45% follow the district account, 70% their township's,
    5% a second township's; everyone follows at least one."""
    rng = random.Random(seed)
    out = []
    keys = list(ACCOUNTS)
    for i in range(people):
        home = rng.choice(keys)
        follows = []
        if rng.random() < 0.45:
            follows.append(DISTRICT)
        if rng.random() < 0.70 or not follows:
            follows.append(home)
        if rng.random() < 0.05:
            follows.append(rng.choice([k for k in keys if k != home]))
        out.append((f"u{i:07d}", ACCOUNTS[home], follows))
    return out


async def _seed(emu: Any, pop: list[tuple[str, str, list[str]]]) -> dict[str, str]:
    """Followers on the emulator and in fawu's database (bulk); returns openid → unionid."""
    from app.residents.models import Resident, ResidentAccount

    owner: dict[str, str] = {}
    residents = [Resident(unionid=u, township_code=t) for u, t, _ in pop]
    await Resident.bulk_create(residents, batch_size=2000)
    ids = dict(await Resident.all().values_list("unionid", "id"))
    links = []
    for u, _, follows in pop:
        for key in follows:
            openid = f"o{key[3:6]}{u}"
            emu.add_follower(emu.by_key(key), openid=openid, unionid=u)
            owner[openid] = u
            links.append(ResidentAccount(resident_id=ids[u], account_key=key, openid=openid, following=True))
    await ResidentAccount.bulk_create(links, batch_size=2000)
    return owner


async def run(people: int) -> dict[str, Any]:
    import httpx
    from tortoise import Tortoise

    from app import wiring
    from app.config import set_settings
    from app.core.actor import Role
    from app.core.clock import utcnow
    from app.db import tortoise_config
    from app.jobs import service as jobs
    from app.jobs.models import Job
    from app.laws import service as laws_service
    from app.main import create_app, startup
    from app.org.importer import import_folder
    from app.push import service
    from app.push.models import PushArticle, PushChunk, PushDelivery
    from app.staff import service as staff_service
    from app.wechat import lifecycle
    from app.wechat.client import WeChatClient, split_openids
    from tests.conftest import make_settings
    from tests.emulator.live import live_emulator
    from tests.factories import make_staff

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        base = make_settings(database_url=url)
        async with live_emulator(base) as emu:
            s = make_settings(database_url=url, wechat_api_base=emu.base_url, push_quiet_hours="",
                              wechat_http_timeout=30)
            set_settings(s)
            await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
            await Tortoise.generate_schemas()
            try:
                wiring.wire_events()
                await import_folder(s.content_dir / "org")
                await laws_service.import_folder(folder=s.laws_dir)
                app = create_app(s, init_database=False, run_worker=False)
                await startup(s, init_database=False)
                wiring.load(wiring.JOB_MODULES)
                await service.import_library()
                emu.state.public_base_url = "http://fawu"
                emu.state.callback_transport = httpx.ASGITransport(app=app)
                pop = population(people)
                t0 = time.perf_counter()
                owner = await _seed(emu.state, pop)
                seed_s = time.perf_counter() - t0

                admin = await staff_service.actor_for(await make_staff(
                    username="admin", name="区管理员", role=Role.DISTRICT_ADMIN, unit_codes=["YX"], password=None))
                admin2 = await staff_service.actor_for(await make_staff(
                    username="admin2", name="区审核", role=Role.DISTRICT_ADMIN, unit_codes=["YX"], password=None))
                art = await PushArticle.get(slug="wage-arrears")
                await service.submit(actor=admin, article_id=art.id)
                await service.approve(actor=admin2, article_id=art.id)
                keys = [DISTRICT, *ACCOUNTS]
                calls_before = dict(emu.state.calls)

                t0 = time.perf_counter()
                send = await service.schedule_send(actor=admin, article_id=art.id, account_keys=keys)
                plan_s = time.perf_counter() - t0
                t1 = time.perf_counter()
                await jobs.drain(max_jobs=100, now=send.run_at + timedelta(seconds=1))
                while await Job.filter(name="push.deliver", status__in=["pending", "running"]).exists():
                    await jobs.drain(max_jobs=100, now=utcnow() + timedelta(hours=1))  # a retry's back-off passed
                deliver_s = time.perf_counter() - t1
                async with emu.control() as c:
                    await c.post("/_control/flush", timeout=600)
                await jobs.drain(max_jobs=100)  # the per-send tags dropped
                total_s = time.perf_counter() - t0
                retries = sum(j.attempts - 1 for j in await Job.filter(name="push.deliver"))
                calls = {k: v - calls_before.get(k, 0) for k, v in emu.state.calls.items()
                         if v - calls_before.get(k, 0)}
                got: Counter[str] = Counter()
                for job in emu.state.mass.values():
                    for openid in job["openids"]:
                        got[owner[openid]] += 1
                deliveries = await PushDelivery.filter(send_id=send.id)
                matched = await PushChunk.filter(delivery_id__in=[d.id for d in deliveries], status="finished").count()
                chunks = await PushChunk.filter(delivery_id__in=[d.id for d in deliveries]).count()
                naive_twice = sum(1 for _, _, f in pop if len(f) > 1)

                # baseline: the same mass sends, bare (recipient lists known, straight calls, no fawu logic)
                bare = WeChatClient(s)
                lists: dict[str, list[str]] = {}
                for job in emu.state.mass.values():
                    lists.setdefault(job["account_key"], []).extend(job["openids"])
                emu.state.reset()
                emu.state.callback_transport = None
                emu.state.public_base_url = "http://127.0.0.1:9"  # the bare run's postbacks go nowhere
                for u, _, follows in pop:
                    for key in follows:
                        emu.state.add_follower(emu.state.by_key(key), openid=f"o{key[3:6]}{u}", unionid=u)
                t2 = time.perf_counter()
                for key, openids in lists.items():
                    acc = emu.state.by_key(key)
                    media = await bare.material_upload(key, media_type="image", filename="c.png",
                                                       content=(s.content_dir / "articles/images/cover-labor.png")
                                                       .read_bytes())
                    draft = await bare.draft_add(key, [{"title": "t", "content": "<p>x</p>",
                                                        "thumb_media_id": media["media_id"]}])
                    if key == DISTRICT:
                        for part in split_openids(openids):
                            await bare.call(key, "POST", "/cgi-bin/message/mass/send", json={
                                "touser": part, "msgtype": "mpnews", "mpnews": {"media_id": draft}})
                    else:  # one sendall to all: the bare minimum a subscription account can do
                        await bare.call(key, "POST", "/cgi-bin/message/mass/sendall", json={
                            "filter": {"is_to_all": True}, "msgtype": "mpnews", "mpnews": {"media_id": draft}})
                    assert acc is not None
                bare_s = time.perf_counter() - t2
                await bare.aclose()
                result = {
                    "people": people, "follows": sum(len(f) for _, _, f in pop), "seed_s": round(seed_s, 1),
                    "plan_s": round(plan_s, 2), "deliver_s": round(deliver_s, 2), "total_s": round(total_s, 2),
                    "bare_s": round(bare_s, 2), "ratio_total_to_bare": round(total_s / bare_s, 1) if bare_s else None,
                    "reached": len(got), "reached_twice": sum(1 for n in got.values() if n > 1),
                    "naive_reached_twice": naive_twice, "calls": dict(sorted(calls.items())),
                    "calls_total": sum(calls.values()), "modes": {d.account_key: d.mode for d in deliveries},
                    "events_matched": f"{matched}/{chunks}", "delivery_retries": retries,
                    "sent_counted": sum(d.sent_count or 0 for d in deliveries),
                }
            finally:
                await lifecycle.shutdown()
                set_settings(None)
                await Tortoise.close_connections()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="tiny run for tests (2,000 people)")
    ap.add_argument("--people", type=int, default=100_000)
    args = ap.parse_args(argv)
    result = asyncio.run(run(2000 if args.smoke else args.people))
    print(json.dumps(result, ensure_ascii=False))
    LAST.clear()
    LAST.update(result)
    return 0 if result["reached_twice"] == 0 and result["reached"] == result["people"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
