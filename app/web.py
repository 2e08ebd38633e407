"""Server-rendered pages: the one Jinja2 environment, with filters for local time and masking."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from app.core.clock import format_local

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.filters["local"] = format_local
templates.env.globals["hotline"] = "12348"
