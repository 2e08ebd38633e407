"""Prometheus metrics: one registry for the whole process, defined where they are counted."""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

http_requests = Counter(
    "fawu_http_requests_total", "HTTP requests by route and status class", ["method", "route", "status"],
    registry=REGISTRY,
)
http_latency = Histogram(
    "fawu_http_request_seconds", "HTTP request latency", ["route"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
wechat_messages = Counter(
    "fawu_wechat_messages_total", "Inbound WeChat messages by account and outcome", ["account", "outcome"],
    registry=REGISTRY,
)
wechat_api_calls = Counter(
    "fawu_wechat_api_calls_total", "Outbound WeChat API calls by endpoint", ["account", "endpoint"],
    registry=REGISTRY,
)
wechat_api_errors = Counter(
    "fawu_wechat_api_errors_total", "WeChat API errors by code", ["account", "endpoint", "code"],
    registry=REGISTRY,
)
board_scans = Counter(
    "fawu_board_scans_total", "Notice-board scans by township and kind", ["township", "kind"], registry=REGISTRY,
)
consultations = Counter(
    "fawu_consultations_total", "Consultation questions answered by category", ["category", "channel"],
    registry=REGISTRY,
)
cases_opened = Counter(
    "fawu_cases_opened_total", "Cases opened by type and channel", ["type", "channel"], registry=REGISTRY,
)
jobs_run = Counter("fawu_jobs_total", "Jobs run by name and outcome", ["name", "outcome"], registry=REGISTRY)
jobs_relayed = Counter("fawu_jobs_relayed_total", "Outbox rows sent to the job broker", registry=REGISTRY)
errors_swallowed = Counter(
    "fawu_errors_logged_total", "Errors caught, logged and survived, by where", ["where"], registry=REGISTRY,
)

rate_limited = Counter(
    "fawu_rate_limited_total", "Requests refused by a rate limit (429), by group", ["group"], registry=REGISTRY,
)
login_refused = Counter(
    "fawu_login_refused_total", "Staff logins refused, by reason", ["reason"], registry=REGISTRY,
)


def render() -> bytes:
    return generate_latest(REGISTRY)


def caught(where: str, logger: logging.Logger, message: str, *args: object, level: int = logging.ERROR) -> None:
    """The one helper for an exception caught on purpose (call it inside the ``except``): counts it in
    ``fawu_errors_logged_total{where}`` and logs it, with the traceback from ERROR up."""
    errors_swallowed.labels(where).inc()
    logger.log(level, f"[{where}] {message}", *args, exc_info=level >= logging.ERROR)
