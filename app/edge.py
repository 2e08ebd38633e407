"""What every request passes before its route: path ids in range, and the rate limit of its group.

One table (``GROUPS``) puts every endpoint that answers without a login into a rate-limit group;
tests/test_edge.py checks that no route of the app is left out of it.
"""

from __future__ import annotations

from fastapi import Request

from app.core import pii, ratelimit
from app.errors import NotFound

MAX_ID = 2**31 - 1  # the largest id a table of fawu holds (INT columns)

# (method, route path) → rate-limit group (settings.rate_limits), for endpoints open without login.
GROUPS: dict[tuple[str, str], str] = {
    ("POST", "/console/login"): "login",
    ("POST", "/api/consult/ask"): "consult",
    ("POST", "/s/{board_code}/consult"): "consult",
    ("GET", "/api/laws/search"): "search",
    ("GET", "/api/laws/article"): "search",
    ("GET", "/laws"): "search",
    ("GET", "/s/{board_code}"): "landing",
    ("GET", "/s/{board_code}/go/{action}"): "landing",
    ("GET", "/s/{board_code}/consult"): "landing",
    ("GET", "/s/{board_code}/follow.png"): "landing",
    ("GET", "/api/boards/{board_code}"): "landing",
    ("GET", "/catalog"): "search",
    ("GET", "/catalog/providers"): "search",
    ("GET", "/catalog/cases"): "search",
    ("GET", "/api/catalog/services"): "search",
    ("GET", "/api/catalog/providers"): "search",
    ("GET", "/api/catalog/cases"): "search",
    ("POST", "/api/booking/bookings"): "booking",
    ("POST", "/api/booking/bookings/{code}/cancel"): "booking",
    ("POST", "/api/booking/bookings/{code}/move"): "booking",
    ("POST", "/api/booking/waitlist"): "booking",
    ("POST", "/api/booking/waitlist/claim"): "booking",
    ("POST", "/booking"): "booking",
    ("POST", "/booking/manage"): "booking",
    ("GET", "/"): "anonymous",
    ("GET", "/console/login"): "anonymous",
    ("POST", "/console/login/mfa"): "login",  # the second factor: counted with the password attempts
    ("GET", "/console/login/mfa"): "anonymous",
    ("POST", "/api/mp/login"): "mp_login",
    ("POST", "/survey"): "survey_code",  # an 8-digit receipt code: guessing is slowed down
}
# Not limited here: WeChat's servers (signed callbacks, de-duplicated by the engine), probes and
# Prometheus, the demo's simulator (demo mode only), and staff pages (behind the login).
EXEMPT_PREFIXES = ("/wechat/", "/healthz", "/metrics", "/demo/", "/console/", "/api/consult/hot-topics")


def client_ip(request: Request) -> str:
    """The client's address (behind a proxy: the forwarded one uvicorn trusts, see `fawu serve`)."""
    return request.client.host if request.client else ""


def client_key(request: Request) -> str:
    """A keyed hash of the client's address: counts and de-duplicates clients, stores no address."""
    return pii.lookup_hash("client:" + client_ip(request))[:24]


def group_of(method: str, path: str) -> str | None:
    """The rate-limit group of an endpoint; None for endpoints not limited here."""
    group = GROUPS.get((method, path))
    if group is not None:
        return group
    if path.startswith(EXEMPT_PREFIXES) or path == "/wechat/{account_key}":
        return None
    return "anonymous"


async def check(request: Request) -> None:
    """The app-wide dependency: every route runs it before its own parameters are read."""
    for name, value in request.path_params.items():
        # an id beyond any row is not found (and never reaches a query that cannot hold it)
        if (name == "id" or name.endswith("_id")) and isinstance(value, str) and value.isdigit() and (
                len(value) > 10 or int(value) > MAX_ID):
            raise NotFound()
    route = request.scope.get("route")
    group = group_of(request.method, getattr(route, "path", ""))
    if group is not None:
        await ratelimit.hit(group, "client", client_key(request))
