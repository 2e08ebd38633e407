"""Named events between domains: a domain publishes ``"domain.event"`` with ids, others subscribe.

The publisher never imports its subscribers and they never import it: ``app.wiring.SUBSCRIPTIONS``
lists who listens to what, and ``app.wiring.wire_events()`` registers them at start-up (the app,
the CLI, the worker, the tests). Subscribers run in the order wiring lists them, awaited one after
the other inside the caller's task, so inside the publisher's ``in_transaction()`` they share its
transaction (tortoise's contextual connection): a rollback undoes their writes too. Work that must
survive a crash or may be slow is ``enqueue``d by the subscriber as a job (same transaction).

``publish`` returns what each subscriber returned, in order: an event may ask a question
("boards.followups_requested" → each domain's counts). A subscriber that raises fails the
publication (and rolls the transaction back); subscribers that may fail alone catch and count it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from app.core import metrics

log = logging.getLogger("fawu.events")

Subscriber = Callable[..., Awaitable[Any]]

_subscribers: dict[str, list[Subscriber]] = {}
_wired = False


class NotWired(RuntimeError):
    """An event was published before ``app.wiring.wire_events()`` registered the subscribers."""


def subscribe(name: str, fn: Subscriber) -> None:
    """Register ``fn`` for the event ``name`` (``"domain.event"``); registering twice is a no-op."""
    if "." not in name:
        raise ValueError(f"event names are 'domain.event', got {name!r}")
    subs = _subscribers.setdefault(name, [])
    if fn not in subs:
        subs.append(fn)


def mark_wired() -> None:
    global _wired
    _wired = True


def reset() -> None:
    """Forget every subscription (tests that wire their own)."""
    global _wired
    _subscribers.clear()
    _wired = False


def subscribers(name: str) -> list[Subscriber]:
    return list(_subscribers.get(name, []))


async def publish(name: str, **payload: Any) -> list[Any]:
    """Run every subscriber of ``name`` with ``payload`` (keyword arguments: ids and plain values)."""
    if not _wired:
        raise NotWired(f"event {name!r} published before app.wiring.wire_events() ran: its subscribers "
                       "would be missed (call wire_events() at start-up; tests: the db fixture does)")
    return [await fn(**payload) for fn in _subscribers.get(name, [])]


async def gather(name: str, **payload: Any) -> list[Any]:
    """Ask every subscriber of ``name`` a question (counters for a page): one that raises is counted
    in ``fawu_errors_logged_total{where="event:<name>"}``, logged, and answers None; the rest still answer."""
    if not _wired:
        raise NotWired(f"event {name!r} asked before app.wiring.wire_events() ran")
    out: list[Any] = []
    for fn in _subscribers.get(name, []):
        try:
            out.append(await fn(**payload))
        except Exception:  # another domain's failure must not break the asking page
            metrics.caught(f"event:{name}", log, "subscriber %s failed", getattr(fn, "__qualname__", fn))
            out.append(None)
    return out
