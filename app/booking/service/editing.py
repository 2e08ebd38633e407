"""Editing a bookable service's own fields in the console (district administrators): duration, buffer,
residents per slot, who gives it, what to bring, the legal-aid checklist, the legal basis (checked against
the law in force), the case type of its follow-up, whether it can be booked. Its name is the service
catalogue's (edited there). Every save is audited with what changed, before and after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.booking.models import Booking, BookingService
from app.booking.service.bookings import HOLDING
from app.booking.service.catalog import get_any_service, update_service
from app.booking.service.errors import BadPlan
from app.core import events
from app.core.actor import Actor
from app.core.clock import utcnow
from app.staff import service as staff_service

CASE_TYPE_ZH = {"consultation": "法律咨询", "legal_aid": "法律援助", "mediation": "人民调解", "notarization": "公证"}
EDITABLE = ("duration", "buffer", "capacity", "providers", "documents", "checklist", "legal_basis", "case_type", "active")
LIMITS = {"duration": (5, 480, "每次时长（分钟）"), "buffer": (0, 120, "间隔（分钟）"), "capacity": (1, 50, "每时段人数")}


@dataclass
class ServiceForm:
    """The form as typed (text), kept as is to show again with an error: nothing the clerk typed is lost."""

    duration: str = ""
    buffer: str = ""
    capacity: str = ""
    providers: str = ""
    documents: str = ""  # one per line
    checklist: str = ""  # one per line
    legal_basis: str = ""
    case_type: str = ""
    active: bool = True

    @classmethod
    def of(cls, svc: BookingService) -> ServiceForm:
        return cls(duration=str(svc.duration), buffer=str(svc.buffer), capacity=str(svc.capacity),
                   providers=svc.providers, documents="\n".join(svc.documents or []),
                   checklist="\n".join(svc.checklist or []), legal_basis=svc.legal_basis, case_type=svc.case_type,
                   active=svc.active)


def _lines(text: str, what: str) -> list[str]:
    out = [ln.strip() for ln in text.replace("\r", "").split("\n") if ln.strip()]
    if len(out) > 20 or any(len(ln) > 200 for ln in out):
        raise BadPlan(f"{what}最多 20 行，每行不超过 200 字。")
    return out


def _number(form: ServiceForm, key: str) -> int:
    low, high, label = LIMITS[key]
    raw = str(getattr(form, key)).strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadPlan(f"{label}应为 {low} 到 {high} 之间的整数。")
    return int(raw)


async def _values(form: ServiceForm) -> dict[str, Any]:
    if form.case_type not in CASE_TYPE_ZH:
        raise BadPlan("请选择后续事项的类型。")
    providers = form.providers.strip()
    if not providers or len(providers) > 100:
        raise BadPlan("请填写服务人员（如：律师、法律顾问），不超过 100 字。")
    basis = form.legal_basis.strip()
    if len(basis) > 300:
        raise BadPlan("法律依据不超过 300 字。")
    problems = [p for part in await events.publish("booking.basis_check_requested", text=basis) for p in part or []]
    if problems:
        raise BadPlan("法律依据有误：" + "；".join(problems[:3]))
    return {"duration": _number(form, "duration"), "buffer": _number(form, "buffer"),
            "capacity": _number(form, "capacity"), "providers": providers,
            "documents": _lines(form.documents, "需携带材料"), "checklist": _lines(form.checklist, "核对清单"),
            "legal_basis": basis, "case_type": form.case_type, "active": bool(form.active)}


async def future_bookings(code: str) -> int:
    return await Booking.filter(service_code=code, status__in=HOLDING, starts_at__gt=utcnow()).count()


async def edit_service(*, actor: Actor, code: str, form: ServiceForm, reason: str = "",
                       ip: str = "") -> tuple[BookingService, dict[str, list[Any]]]:
    """Save the form (district administrators only); returns the service and what changed {field: [before, after]}."""
    staff_service.require_right(actor, "booking.services")
    before = await get_any_service(code)
    values = await _values(form)
    changed = {k: [getattr(before, k), v] for k, v in values.items() if getattr(before, k) != v}
    if not changed:
        return before, {}
    after = await update_service(code=code, values={k: v for k, v in values.items() if k in changed})
    await staff_service.audit(actor=actor, action="booking.service_edit", target_type="booking_service",
                              target_id=code, detail={"changed": changed, "reason": reason[:200]}, ip=ip)
    return after, changed
