"""Jobs of the survey domain: invitations ("surveys.invite" for a case's result, "surveys.invite_service"
for another service, e.g. an appointment checked in), a queued invitation delivered, a bad review's
case, and the sweep that finishes invitations a crash left undecided."""

from __future__ import annotations

from typing import Any

from app.jobs import service as jobs
from app.surveys import service


@jobs.register("surveys.invite")
async def invite(payload: dict[str, Any]) -> None:
    """The case's result reached the resident (app.cases.feedback.offer_survey): its one invitation."""
    await service.invite_case(case_id=int(payload["case_id"]))


@jobs.register("surveys.invite_service")
async def invite_service(payload: dict[str, Any]) -> None:
    """Another finished service (an appointment checked in): its one invitation."""
    known = set(service.ServiceRef.__dataclass_fields__)
    await service.invite(service.ServiceRef(**{k: v for k, v in payload.items() if k in known}))


@jobs.register("surveys.delivered")
async def delivered(payload: dict[str, Any]) -> None:
    """A queued invitation reached the resident at their next interaction (app.wechat.delivery hook)."""
    await service.delivered(invitation_id=int(payload["invitation_id"]), delivered_at=payload.get("delivered_at"))


@jobs.register("surveys.open_bad_review")
async def open_bad_review(payload: dict[str, Any]) -> None:
    """The crash-safe copy of opening a bad review's case (idempotent: one case per response)."""
    await service.open_bad_review(response_id=int(payload["response_id"]))


async def _resume() -> None:
    await service.resume_pending()


SCHEDULES: list[tuple[str, Any, Any]] = [
    ("surveys.resume_pending", 120.0, _resume),
]
