"""The explicit lists that put fawu together: routers, inbound handlers, jobs, schedules, commands.

Adding a domain means adding its modules here; nothing is discovered by magic.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Modules exposing ``router`` (a FastAPI APIRouter): JSON APIs (routes.py) and pages (views.py).
ROUTER_MODULES: list[str] = [
    "app.ops.routes",
    "app.portal.views",
    "app.wechat.routes",
    "app.boards.routes",
    "app.boards.views",
    "app.consult.routes",
    "app.laws.routes",
    "app.cases.routes",
    "app.cases.views",
    "app.console.views",
    "app.emulator.views",
]

# Modules that register handlers on app.wechat.router.router when imported (order = priority of
# registration for equal prefixes; the consultation registers the text fallback).
INBOUND_MODULES: list[str] = [
    "app.wechat.inbound",
    "app.wechat.quotas",  # matches MASSSENDJOBFINISH to its mass send
    "app.boards.inbound",
    "app.cases.inbound",
    "app.consult.inbound",
]

# Modules that register job handlers (app.jobs.service.register) and may define
# ``SCHEDULES: list[tuple[name, every_seconds, async_fn]]`` for the in-process runner.
JOB_MODULES: list[str] = [
    "app.wechat.tasks",
    "app.cases.tasks",
    "app.console.tasks",
]

# Modules exposing ``register(cli: click.Group) -> None`` for the ``fawu`` command.
COMMAND_MODULES: list[str] = [
    "app.org.commands",
    "app.matrix.commands",
    "app.wechat.commands",
    "app.emulator.commands",
    "app.emulator.simulator_commands",
    "app.boards.commands",
    "app.laws.commands",
    "app.consult.commands",
    "app.cases.commands",
    "app.console.commands",
]


def load(names: list[str]) -> list[ModuleType]:
    return [importlib.import_module(n) for n in names]


def load_inbound() -> None:
    load(INBOUND_MODULES)


def schedules() -> list[tuple[str, float, object]]:
    out: list[tuple[str, float, object]] = []
    for mod in load(JOB_MODULES):
        out.extend(getattr(mod, "SCHEDULES", []))
    return out
