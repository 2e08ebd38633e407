"""The explicit lists that put fawu together: routers, inbound handlers, jobs, schedules, event
subscriptions, commands.

Adding a domain means adding its modules here; nothing is discovered by magic.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from app.core import events
from app.jobs.service import Schedule

# Modules exposing ``router`` (a FastAPI APIRouter): JSON APIs (routes.py) and pages (views.py).
ROUTER_MODULES: list[str] = [
    "app.ops.routes",
    "app.portal.views",
    "app.wechat.routes",
    "app.boards.routes",
    "app.boards.views",
    "app.consult.routes",
    "app.consult.kb_views",
    "app.laws.routes",
    "app.cases.routes",
    "app.cases.views",
    "app.push.views",
    "app.surveys.views",
    "app.console.views",
    "app.console.dashboard_views",
    "app.console.staff_views",
    "app.console.jobs_views",  # 后台任务: the outbox's dead letters, retryable
    "app.emulator.views",
    "app.catalog.views",
    "app.catalog.console_views",
    "app.catalog.console_edit_views",
    "app.catalog.routes",
    "app.analytics.views",
    "app.booking.routes",
    "app.booking.views",
    "app.booking.console_views",
    "app.mp_api.routes",
]

# Modules that register handlers on app.wechat.router.router when imported (order = priority of
# registration for equal prefixes; the consultation registers the text fallback).
INBOUND_MODULES: list[str] = [
    "app.wechat.inbound",
    "app.wechat.quotas",  # matches MASSSENDJOBFINISH to its mass send
    "app.boards.inbound",
    "app.cases.inbound",
    "app.surveys.inbound",  # ratings ("1"…"5"), 追评, 不再评价, "解决了": ahead of the consultation
    "app.push.inbound",  # MASSSENDJOBFINISH counts onto the push send
    "app.catalog.inbound",  # "查案例 欠薪": typical cases of the library
    "app.booking.inbound",  # before consult: "预约" and the booking dialogue
    "app.consult.inbound",
]

# Modules that register job handlers (app.jobs.service.register) and may define
# ``SCHEDULES: list[tuple[name, every_seconds, async_fn]]`` for the in-process runner (``every_seconds``
# may be a function reading the settings: it is called here, at start-up, not at import).
JOB_MODULES: list[str] = [
    "app.wechat.tasks",
    "app.residents.tasks",
    "app.cases.tasks",
    "app.console.tasks",
    "app.push.tasks",
    "app.analytics.tasks",
    "app.surveys.tasks",
    "app.booking.tasks",
    "app.mp_api.tasks",
    "app.jobs.tasks",  # jobs.probe: `fawu jobs probe`, the job bench and the engine's tests
]

# Who does what when a domain publishes an event (app.core.events): (event, "module:function"), run
# in this order. Subscribers live in each domain's subscribers.py and take the payload as keywords
# (ignoring what they do not need with ``**_``); publisher and subscriber never import each other.
SUBSCRIPTIONS: list[tuple[str, str]] = [
    # a resident erased (删除权): every domain scrubs its part, inside the erasure's transaction
    ("residents.erased", "app.wechat.subscribers:erase_messages"),
    ("residents.erased", "app.consult.subscribers:erase_questions"),
    ("residents.erased", "app.cases.subscribers:scrub_resident"),
    ("residents.erased", "app.push.subscribers:erase_recipients"),
    ("residents.erased", "app.mp_api.subscribers:end_sessions"),
    # a resident's access request (查阅、复制): every domain answers its part
    ("residents.export_requested", "app.wechat.subscribers:export_messages"),
    ("residents.export_requested", "app.consult.subscribers:export_questions"),
    ("residents.export_requested", "app.cases.subscribers:export_resident"),
    ("residents.export_requested", "app.mp_api.subscribers:export_resident"),
    # the chat retention period passed: every domain clears old chat text, answering how many
    ("residents.retention_due", "app.wechat.subscribers:purge_messages"),
    ("residents.retention_due", "app.consult.subscribers:purge_questions"),
    ("residents.retention_due", "app.cases.subscribers:purge_chat"),
    ("residents.retention_due", "app.booking.subscribers:purge_personal_data"),
    # the scan analytics asks what residents did after a scan: {column: {board_code: count}}
    ("boards.followups_requested", "app.consult.subscribers:count_followups"),
    ("boards.followups_requested", "app.cases.subscribers:count_followups"),
    # the bot hands a resident over to staff: a case is opened, its id and number answered
    ("consult.handed_over", "app.cases.subscribers:open_handed_over"),
    ("consult.progress_requested", "app.cases.subscribers:progress_of"),
    # `fawu catalog check` asks which service codes each domain uses: {source label: [codes]}
    ("catalog.references_requested", "app.cases.subscribers:service_references"),
    ("catalog.references_requested", "app.booking.subscribers:service_references"),
    # the consultation's full answer asks for links to add to the next step (catalogue guide)
    ("consult.next_step_links_requested", "app.catalog.subscribers:service_guide"),
    # a booking's appointment was served (checked in): its satisfaction invitation (one per booking)
    ("booking.checked_in", "app.surveys.subscribers:invite_after_check_in"),
    ("residents.erased", "app.surveys.subscribers:erase_resident"),
    ("residents.erased", "app.booking.subscribers:erase_resident"),
    ("residents.export_requested", "app.booking.subscribers:export_resident"),
    ("residents.export_requested", "app.surveys.subscribers:export_resident"),
    # the district's analytics asks for figures per period: 首选率 answers, ratings of matters without a case
    ("analytics.figures_requested", "app.surveys.subscribers:figures_for_analytics"),
    # ... and bookings, places offered, attended and no-shows per township (booking)
    ("analytics.figures_requested", "app.booking.subscribers:figures_for_analytics"),
    # a resident checked in at the desk (surveys and cases may subscribe); bookings per board for the scan analytics
    ("boards.followups_requested", "app.booking.subscribers:count_followups"),
    # a case got its result: the mini-program sends the subscribe message the resident allowed
    ("cases.result_given", "app.mp_api.subscribers:result_given"),
    # a booking reminder is due: the mini-program's subscribe message when the resident allowed one
    ("booking.reminder_channels_requested", "app.mp_api.subscribers:booking_reminder_allowed"),
    ("booking.reminder_due", "app.mp_api.subscribers:booking_reminder_due"),
    # a rating invitation for a resident known only through the mini-program: its subscribe message
    ("surveys.invitation_due", "app.mp_api.subscribers:survey_invitation_due"),
    # a legal basis typed in the console: which of its citations the corpus (law in force) lacks
    ("booking.basis_check_requested", "app.laws.subscribers:unresolved_citations"),
]

# Modules exposing ``register(cli: click.Group) -> None`` for the ``fawu`` command.
COMMAND_MODULES: list[str] = [
    "app.org.commands",
    "app.residents.commands",
    "app.matrix.commands",
    "app.wechat.commands",
    "app.emulator.commands",
    "app.emulator.simulator_commands",
    "app.boards.commands",
    "app.laws.commands",
    "app.consult.commands",
    "app.cases.commands",
    "app.console.commands",
    "app.push.commands",
    "app.catalog.commands",
    "app.analytics.commands",
    "app.surveys.commands",
    "app.booking.commands",
    "app.staff.commands",
]


# Start-up hooks of the domains ("module:async function"), run in order by create_app()'s start-up
# after the database, the matrix and the inbound handlers.
STARTUP: list[str] = [
    "app.cases.tasks:on_startup",  # the working-day calendar, warnings on gaps, stale deadlines
    "app.consult.tasks:on_startup",  # jieba, the KB engine and the safety gate, built (in a thread) before serving
    "app.booking.tasks:on_startup",  # the services (and the demo's weekly plans) from content/booking
]


def load(names: list[str]) -> list[ModuleType]:
    return [importlib.import_module(n) for n in names]


def load_inbound() -> None:
    load(INBOUND_MODULES)


async def run_startup() -> None:
    for target in STARTUP:
        module, _, fn = target.partition(":")
        await getattr(importlib.import_module(module), fn)()


def wire_events() -> None:
    """Register every subscription of SUBSCRIPTIONS (idempotent); publishing before this raises."""
    for name, target in SUBSCRIPTIONS:
        module, _, fn = target.partition(":")
        events.subscribe(name, getattr(importlib.import_module(module), fn))
    events.mark_wired()


def schedules() -> list[Schedule]:
    out: list[Schedule] = []
    for mod in load(JOB_MODULES):
        for name, every, fn in getattr(mod, "SCHEDULES", []):
            out.append((name, float(every() if callable(every) else every), fn))
    return out
