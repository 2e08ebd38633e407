"""The case desk's console pages (views beside the service): the inbox and alerts, one case and
its resident, and the front desk (walk-in and hotline registration, printing, canned replies)."""

from __future__ import annotations

from fastapi import APIRouter

from app.cases.views import case, desk, inbox

router = APIRouter(include_in_schema=False)
router.include_router(desk.router)  # /console/cases/new before /console/cases/{case_id}
router.include_router(inbox.router)
router.include_router(case.router)
