"""Start-up of the consult domain: the segmenter, the knowledge base's engine (model, indexes, safety
gate) built in a worker thread and awaited, so the process serves only once it is warm (listed in
app.wiring.STARTUP; nothing runs at import)."""

from __future__ import annotations

import asyncio

from app.consult.engine import warm_up


async def on_startup() -> None:
    await asyncio.to_thread(warm_up)
