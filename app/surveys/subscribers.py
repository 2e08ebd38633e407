"""What the survey domain does when another domain's event happens (subscriptions listed in app/wiring.py).

- ``booking.checked_in``: the appointment was served; its invitation is enqueued (one per booking),
  inside the publisher's transaction. Payload: ``booking_id`` and the resident and service's plain values.
- ``residents.erased``: the resident's WeChat identity and free-text answers leave the survey rows
  (ratings stay, anonymous, in the figures).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.jobs import service as jobs
from app.org import service as org_service
from app.surveys import figures, population, privacy


async def invite_after_check_in(*, booking_id: int, resident_id: int | None = None, account_key: str | None = None,
                                openid: str | None = None, township_code: str | None = None,
                                community_code: str | None = None, service: str = "appointment",
                                provider: str = "", provider_id: int | None = None, channel: str = "wechat",
                                unit_code: str | None = None, service_code: str | None = None,
                                **_: Any) -> dict[str, Any]:
    if unit_code and not township_code:  # booking names the service point's unit: place it in the tree
        info = (await org_service.tree()).get(unit_code)
        if info is not None:
            township_code = info.township_code or (info.code if info.kind == "township" else None)
            community_code = community_code or (info.code if info.kind == "community" else None)
    if service_code and service == "appointment":
        service = service_code
    payload = {"service_key": f"booking:{booking_id}", "service_type": "appointment", "service": service,
               "resident_id": resident_id, "account_key": account_key, "openid": openid,
               "township_code": township_code, "community_code": community_code, "provider": provider,
               "provider_id": provider_id, "channel": channel}
    job = await jobs.enqueue("surveys.invite_service", payload, dedupe_key=f"surveys.invite:booking:{booking_id}")
    return {"survey_job": job.id if job is not None else None}


async def erase_resident(*, resident_id: int, accounts: list[list[str]] | None = None, **_: Any) -> dict[str, int]:
    return {"survey_rows": await privacy.erase(resident_id=resident_id,
                                               accounts=[(a, o) for a, o in accounts or []])}


async def export_resident(*, resident_id: int, accounts: list[list[str]] | None = None, **_: Any) -> dict[str, Any]:
    """residents.export_requested: the resident's survey invitations and answers."""
    return {"surveys": await privacy.export(resident_id=resident_id, accounts=[(a, o) for a, o in accounts or []])}


async def figures_for_analytics(*, since: datetime, until: datetime, **_: Any) -> list[dict[str, Any]]:
    """analytics.figures_requested: 首选率 answers and the ratings of matters without a case; 知晓率 from the
    imported population survey (none imported: 暂无数据)."""
    return [*await figures.for_analytics(since=since, until=until),
            *await population.for_analytics(since=since, until=until)]
