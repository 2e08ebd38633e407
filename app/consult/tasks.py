"""Start-up of the consult domain: load jieba and the knowledge base in a background thread, so the
first question does not wait (listed in app.wiring.STARTUP; nothing runs at import)."""

from __future__ import annotations

import threading

from app.consult.engine import warm_up


async def on_startup() -> None:
    threading.Thread(target=warm_up, name="consult-warm-up", daemon=True).start()
