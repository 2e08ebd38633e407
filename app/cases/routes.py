"""cases JSON API: none yet (the case desk's pages are app/console/case_views.py)."""

from fastapi import APIRouter

router = APIRouter()
