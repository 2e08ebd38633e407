"""Rate limits on every anonymous endpoint (app/edge.py + app/core/ratelimit.py, the `limits` library):
429 with Retry-After per client, per resident on WeChat, configurable, in Redis when configured; and
one client's scans and questions counted once in the analytics."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from app.config import set_settings
from app.core import ratelimit
from tests import needs

HTML = {"accept": "text/html"}


def at(app: Any, ip: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 1)), base_url="http://testserver")


def limits(settings: Any, **groups: str) -> None:
    set_settings(settings.model_copy(update={"rate_limits": {**settings.rate_limits, **groups}}))
    ratelimit.reset()


async def _until_429(call: Any, n: int) -> list[int]:
    return [(await call()).status_code for _ in range(n)]


@pytest.mark.parametrize("group,method,path,body", [
    ("consult", "POST", "/api/consult/ask", {"json": {"text": "工资被拖欠怎么办"}}),
    ("search", "GET", "/api/laws/search?q=劳动合同", {}),
    ("search", "GET", "/api/laws/article?law=劳动合同法&article=第十条", {}),
    ("search", "GET", "/laws?q=工资", {}),
    ("landing", "GET", "/s/TYC01", {}),
    ("landing", "GET", "/s/TYC01/go/booking", {}),
    ("landing", "GET", "/s/TYC01/follow.png", {}),
    ("landing", "GET", "/api/boards/TYC01", {}),
    ("anonymous", "GET", "/", {}),
])
async def test_each_anonymous_endpoint_answers_429_per_client(app: Any, settings: Any, group: str, method: str,
                                                              path: str, body: dict[str, Any]) -> None:
    limits(settings, **{group: "3/minute"})
    c = at(app, "198.18.0.1")
    statuses = await _until_429(lambda: c.request(method, path, headers=HTML, **body), 5)
    assert statuses[:3] != [429] * 3 and all(s != 429 for s in statuses[:3]), statuses
    assert statuses[3:] == [429, 429], statuses
    r = await c.request(method, path, headers={"accept": "application/json"}, **body)
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
    assert r.json()["error"]["code"] == "rate_limited" and "操作太频繁" in r.json()["error"]["message"]
    assert (await at(app, "198.18.0.2").request(method, path, headers=HTML, **body)).status_code != 429


async def test_board_consult_form_is_limited(app: Any, settings: Any) -> None:
    import re

    limits(settings, consult="2/minute")
    c = at(app, "198.18.1.1")
    form = await c.get("/s/TYC01/consult", headers=HTML)
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    statuses = [(await c.post("/s/TYC01/consult", headers=HTML, data={"text": "欠薪怎么办", "token": token})).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    r = await c.post("/s/TYC01/consult", headers=HTML, data={"text": "欠薪怎么办", "token": token})
    assert "操作太频繁" in r.text and "12348" in r.text and r.headers["retry-after"]


async def test_one_resident_on_wechat_is_limited_but_never_in_danger(client: httpx.AsyncClient, settings: Any) -> None:
    from app.consult.models import Consultation
    from app.emulator.simulator import CallbackSimulator
    from app.matrix.service import get_matrix

    limits(settings, consult_resident="2/minute")
    s = CallbackSimulator(get_matrix().get("yx_jiedao"), base_url=str(client.base_url).rstrip("/"), client=client)
    replies = [(await s.text("o_flood", f"工资拖欠了怎么办{i}")).text or "" for i in range(3)]
    assert "操作太频繁" not in replies[0] and "操作太频繁" in replies[2]
    assert await Consultation.all().count() == 2
    danger = (await s.text("o_flood", "他拿刀要杀我")).text or ""
    assert "110" in danger and "操作太频繁" not in danger
    other = (await s.text("o_calm", "工资拖欠了怎么办")).text or ""
    assert "操作太频繁" not in other


async def test_limits_are_settings(settings: Any) -> None:
    from app.config import ConfigError, load_settings

    s = load_settings(env={"FAWU_RATE_LIMITS": "search=5/second,login=3/minute;10/hour"}, config_path=None)
    assert s.rate_limits["search"] == "5/second" and s.rate_limits["login"] == "3/minute;10/hour"
    assert s.rate_limits["landing"] == settings.rate_limits["landing"]  # the others keep their defaults
    for bad in ("nosuch=1/minute", "search=often"):
        with pytest.raises(ConfigError, match="rate_limits"):
            load_settings(env={"FAWU_RATE_LIMITS": bad}, config_path=None)


async def test_counts_are_shared_through_redis(app: Any, settings: Any) -> None:
    """With redis_url set, every process counts in Redis: a new limiter (another process) sees the count."""
    needs.skip_unless(needs.redis())
    set_settings(settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0",
                                             "rate_limits": {**settings.rate_limits, "search": "2/minute"}}))
    ratelimit.reset()
    ip = f"198.19.{secrets.randbelow(250)}.{secrets.randbelow(250)}"  # fresh in Redis for this run
    c = at(app, ip)
    assert (await c.get("/api/laws/search?q=工资")).status_code == 200
    ratelimit.reset()  # as if another process answered the next request
    assert (await c.get("/api/laws/search?q=工资")).status_code == 200
    ratelimit.reset()
    assert (await c.get("/api/laws/search?q=工资")).status_code == 429
    import redis.asyncio as aioredis

    r = aioredis.from_url("redis://127.0.0.1:6379/0")
    try:
        assert await r.keys("fawu:rl*")
    finally:
        await r.aclose()


async def test_redis_down_lets_requests_through(app: Any, settings: Any) -> None:
    set_settings(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0",
                                             "rate_limits": {**settings.rate_limits, "search": "1/minute"}}))
    ratelimit.reset()
    c = at(app, "198.18.9.9")
    assert [(await c.get("/api/laws/search?q=工资")).status_code for _ in range(2)] == [200, 200]


async def test_one_client_cannot_inflate_scans_or_consultations(app: Any, settings: Any) -> None:
    from app.boards import service as boards_service
    from app.boards.models import BoardScan
    from app.consult import service as consult_service
    from app.core.actor import SYSTEM

    limits(settings, landing="1000/minute", consult="1000/minute")
    script = at(app, "198.18.2.1")
    for _ in range(20):
        script.cookies.clear()  # a script dropping its cookies: a "new visitor" each time
        await script.get("/s/TYC01", headers=HTML)
        await script.post("/api/consult/ask", json={"text": "欠薪怎么办", "board_code": "TYC01"})
    await at(app, "198.18.2.2").get("/s/TYC01", headers=HTML)  # one real resident elsewhere
    await at(app, "198.18.2.2").post("/api/consult/ask", json={"text": "离婚财产怎么分", "board_code": "TYC01"})
    assert await BoardScan.filter(board_code="TYC01").count() == 2
    row = next(r for r in await boards_service.scan_stats() if r.level == "board" and r.code == "TYC01")
    assert (row.scans, row.consulted) == (2, 2)
    topics = await consult_service.hot_topics(scope=SYSTEM.scope)
    assert sum(t["count"] for t in topics) == 2
