"""Booking JSON API (the mini-program and any web client): services, points, slots, book, look up,
cancel, move, waiting list. Times are local ("2026-12-08T09:30" slot keys) in and out; errors are the
FawuError JSON ({"error": {"code", "message", ...}}): a full slot is 409 ``booking_full`` with ``next``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.booking import service

router = APIRouter(prefix="/api/booking", tags=["booking"])


class BookIn(BaseModel):
    point: str = Field(max_length=32)
    service: str = Field(max_length=32)
    slot: str = Field(max_length=20, description="local start, 2026-12-08T09:30")
    name: str = Field(max_length=40)
    phone: str = Field(max_length=20)
    description: str = Field(default="", max_length=300)
    checklist: list[str] = Field(default_factory=list, max_length=10)
    request_id: str | None = Field(default=None, min_length=8, max_length=64,
                                   description="the client's id of this submission: a retry answers the same booking")
    board: str | None = Field(default=None, max_length=24)


class PhoneIn(BaseModel):
    phone: str = Field(max_length=20)


class MoveIn(BaseModel):
    phone: str = Field(max_length=20)
    slot: str = Field(max_length=20)


class WaitIn(BaseModel):
    point: str = Field(max_length=32)
    service: str = Field(max_length=32)
    slot: str = Field(max_length=20)
    name: str = Field(max_length=40)
    phone: str = Field(max_length=20)
    board: str | None = Field(default=None, max_length=24)


@router.get("/services")
async def services() -> dict[str, Any]:
    rows = await service.services()
    return {"services": [{"code": s.code, "name": s.name, "duration": s.duration, "providers": s.providers,
                          "documents": s.documents, "checklist": s.checklist, "legal_basis": s.legal_basis}
                         for s in rows]}


@router.get("/points")
async def points(community: str | None = None) -> dict[str, Any]:
    """Service points, the resident's own community's, township's and the centre first."""
    rows = await service.points_near(community_code=community)
    return {"points": [{"code": p.code, "name": p.name, "kind": p.kind, "address": p.address, "phone": p.phone,
                        "map_url": p.map_url} for p in rows]}


@router.get("/slots")
async def slots(point: str = Query(max_length=32), code: str = Query(alias="service", max_length=32),
                full: bool = False) -> dict[str, Any]:
    """The bookable slots of a point and service; ``full=true`` lists the full ones too (left 0)."""
    rows = await service.free_slots(point_code=point, service_code=code, only_free=not full)
    return {"point": point, "service": code,
            "slots": [{"slot": s.key, "label": s.label, "capacity": s.capacity, "left": s.left,
                       "provisional": s.provisional} for s in rows]}


@router.post("/bookings", status_code=201)
async def book(body: BookIn) -> dict[str, Any]:
    conf = await service.book(point_code=body.point, service_code=body.service,
                              starts_at=service.parse_slot_key(body.slot), name=body.name, phone=body.phone,
                              description=body.description, checklist=body.checklist, channel="api",
                              request_key=f"api:{body.request_id}" if body.request_id else None,
                              board_code=body.board)
    return {"booking": conf.as_json(), "created": conf.created}


@router.get("/bookings/{code}")
async def look_up(code: str, phone: str) -> dict[str, Any]:
    b = await service.find(code=code, phone=phone)
    return {"booking": (await service.confirmation(b, created=False)).as_json()}


@router.post("/bookings/{code}/cancel")
async def cancel(code: str, body: PhoneIn) -> dict[str, Any]:
    b = await service.find(code=code, phone=body.phone)
    b = await service.cancel(booking_id=b.id)
    return {"booking": (await service.confirmation(b, created=False)).as_json()}


@router.post("/bookings/{code}/move")
async def move(code: str, body: MoveIn) -> dict[str, Any]:
    b = await service.find(code=code, phone=body.phone)
    conf = await service.move(booking_id=b.id, starts_at=service.parse_slot_key(body.slot))
    return {"booking": conf.as_json()}


@router.post("/waitlist", status_code=201)
async def join(body: WaitIn) -> dict[str, Any]:
    w = await service.join(point_code=body.point, service_code=body.service,
                           starts_at=service.parse_slot_key(body.slot), name=body.name, phone=body.phone,
                           board_code=body.board)
    return {"wait": {"id": w.id, "status": w.status, "position": await service.position(w.id),
                     "hold_until": w.hold_until.isoformat() if w.hold_until else None}}


@router.post("/waitlist/claim", status_code=201)
async def claim(body: PhoneIn) -> dict[str, Any]:
    conf = await service.claim(phone=body.phone)
    return {"booking": conf.as_json()}
