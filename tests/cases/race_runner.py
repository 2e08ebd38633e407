"""A separate runner process for the reminder race test: ``python -m tests.cases.race_runner URL ISO``.

Connects to the given database, freezes the clock at ISO and checks deadlines a few times; prints
how many warnings this process enqueued.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime


async def main(url: str, iso: str) -> int:
    from tortoise import Tortoise

    from app.cases import tasks
    from app.core import clock
    from app.db import tortoise_config

    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    clock.freeze(datetime.fromisoformat(iso))
    try:
        total = 0
        for _ in range(3):
            total += sum(await asyncio.gather(tasks.check_deadlines(), tasks.check_deadlines()))
        return total
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1], sys.argv[2])))
