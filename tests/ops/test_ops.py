"""Operations basics: health, metrics, request ids, masked logs, the home page."""

from __future__ import annotations

import logging
import os

import httpx

from app.core.logs import JsonFormatter, mask_pii


async def test_healthz_reports_database(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "checks": {"database": "ok"}, "worker": os.getpid()}


async def test_healthz_checks_redis_when_configured(client: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    from app.config import set_settings

    set_settings(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    r = await client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["checks"]["redis"].startswith("error")


async def test_metrics_and_request_id(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert r.headers["x-request-id"] == "abc123"
    assert len((await client.get("/healthz")).headers["x-request-id"]) >= 8
    m = await client.get("/metrics")
    assert m.status_code == 200
    assert 'fawu_http_requests_total{method="GET",route="/healthz",status="2xx"}' in m.text


async def test_home_page_lists_the_district(client: httpx.AsyncClient) -> None:
    r = await client.get("/", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert "云溪区公共法律服务" in r.text and "桃源镇" in r.text and "/s/JXSQ01" in r.text


async def test_unknown_api_path_is_json_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/nope")
    assert r.status_code == 404


def test_logs_never_contain_phone_or_id_numbers() -> None:
    assert mask_pii("电话13912345678，身份证11010519491231002X") == "电话139****5678，身份证110105********002X"
    for phone in ("+8613912345678", "8613912345678", "139 1234 5678", "139-1234-5678", "+86 139-1234-5678"):
        assert "5678" in mask_pii(phone) and "1234" not in mask_pii(phone), phone
    assert mask_pii("案号 20261123000012") == "案号 20261123000012"  # long digit runs are not phones
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "call %s", ("13912345678",), None)
    assert "13912345678" not in JsonFormatter().format(record)


async def test_demo_chat_refuses_a_json_list(client: httpx.AsyncClient) -> None:
    r = await client.post("/demo/chat/send", json=[1, 2])
    assert r.status_code == 400


async def test_metrics_token(client: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    from app.config import set_settings

    set_settings(settings.model_copy(update={"metrics_token": __import__("pydantic").SecretStr("s3cret-token")}))
    assert (await client.get("/metrics")).status_code == 403
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 403
    r = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert r.status_code == 200 and "fawu_http_requests_total" in r.text


async def test_metrics_need_a_token_outside_demo_mode(client: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    """demo = false without metrics_token: /metrics is off (404), not open to whoever reaches the port."""
    from pydantic import SecretStr

    from app.config import set_settings

    set_settings(settings.model_copy(update={"demo": False}))
    r = await client.get("/metrics")
    assert r.status_code == 404 and "fawu_http_requests_total" not in r.text
    assert (await client.get("/metrics", headers={"Authorization": "Bearer "})).status_code == 404
    set_settings(settings.model_copy(update={"demo": False, "metrics_token": SecretStr("prod-token-1")}))
    assert (await client.get("/metrics")).status_code == 403
    assert (await client.get("/metrics", headers={b"authorization": "Bearer 错误".encode()})).status_code == 403
    ok = await client.get("/metrics", headers={"Authorization": "Bearer prod-token-1"})
    assert ok.status_code == 200 and "fawu_http_requests_total" in ok.text
