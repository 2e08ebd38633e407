"""Structured logs with a request id; personal data is masked before anything is written."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

from app.core.pii_text import mask_text

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def mask_pii(text: str) -> str:
    """Mask phone, ID and bank card numbers in free text, however typed (app.core.pii_text)."""
    return mask_text(text)


class _Filter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "msg": mask_pii(record.getMessage()),
        }
        if record.exc_info:
            payload["exc"] = mask_pii(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(super().format(record))


def setup_logging(level: str = "INFO", fmt: str = "json") -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_fawu", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._fawu = True  # type: ignore[attr-defined]
    handler.addFilter(_Filter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("tortoise", "aiosqlite", "jieba", "httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel("WARNING")
