"""cases pages: none here yet (the case desk's pages are app/console/case_views.py)."""

from fastapi import APIRouter

router = APIRouter()
