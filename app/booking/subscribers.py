"""What booking answers when another domain asks: bookings per board for the scan analytics; bookings,
utilisation and no-shows for the district's analytics; the services it offers, for the catalogue's check
(``catalog.references_requested``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.booking import service
from app.booking.service import privacy


async def count_followups(*, board_codes: list[str] | None = None, since: datetime | None = None,
                          until: datetime | None = None, **_: Any) -> dict[str, dict[str, int]]:
    return {"booked": await service.count_by_board(board_codes=board_codes, since=since, until=until)}


async def figures_for_analytics(*, since: datetime, until: datetime, **_: Any) -> list[dict[str, Any]]:
    """analytics.figures_requested: ``bookings`` and ``booking_use`` rows (app/booking/service/figures.py)."""
    return await service.figures_for_analytics(since=since, until=until)


async def service_references(**_: Any) -> dict[str, list[str]]:
    """The bookable services (each must have a catalogue entry: its name comes from there)."""
    return {"预约服务": [service.catalogue_ref(s.code) for s in await service.services()]}


async def erase_resident(*, resident_id: int, accounts: list[list[str]] | None = None, **_: Any) -> dict[str, int]:
    """residents.erased: future bookings cancelled (places to the waiting list), personal data removed."""
    return await privacy.erase(resident_id=resident_id, accounts=[(a, o) for a, o in accounts or []])


async def export_resident(*, resident_id: int, accounts: list[list[str]] | None = None, **_: Any) -> dict[str, Any]:
    """residents.export_requested: the resident's bookings and waiting-list entries."""
    return {"bookings": await privacy.export(resident_id=resident_id, accounts=[(a, o) for a, o in accounts or []])}


async def purge_personal_data(*, before: datetime, **_: Any) -> int:
    """residents.retention_due: past bookings and ended waits older than the cutoff lose who made them."""
    return await privacy.purge(before=before)
