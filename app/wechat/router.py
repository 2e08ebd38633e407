"""The InboundRouter: a declarative table of handlers that knows no domain.

Each domain's ``inbound.py`` registers handlers on the shared ``router`` by message kind, event,
menu-key prefix, QR scene prefix, text pattern or dialogue state; ``app.wiring`` imports those
modules. The WeChat engine (``app.wechat.callback``) verifies, decrypts and stores each message,
builds an ``Inbound`` and calls ``router.dispatch``. The mini-program chat uses the same router.

Order of dispatch for one inbound message:
1. the resident's open dialogue (``on_dialogue`` by state-name prefix) gets first call;
2. events: ``on_scene`` (subscribe with ``qrscene_`` and SCAN, by scene prefix), ``on_menu`` (CLICK
   by key prefix), then ``on_event`` by event name;
3. text (and voice recognition): ``on_text`` patterns in priority order, then ``on_kind("text")``;
4. other kinds: ``on_kind``;
5. the fallback for text (the consultation).
A handler returns a reply, ``NO_REPLY`` (handled, answer ``success``), or ``None`` to decline.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.core.clock import utcnow

# ---- replies (rendered to XML by the engine with wechatpy; to JSON by the mini-program API) ----


@dataclass
class TextReply:
    content: str


@dataclass
class Article:
    title: str
    description: str = ""
    url: str = ""
    image: str = ""


@dataclass
class NewsReply:
    """News reply: WeChat shows 1 article after a resident's message, up to 8 after events."""

    articles: list[Article]


@dataclass
class _NoReply:
    pass


NO_REPLY = _NoReply()
Reply = TextReply | NewsReply | _NoReply


# ---- dialogue state ----


@dataclass
class DialogueState:
    """A resident's multi-turn dialogue on one account, persisted by the engine after each turn."""

    name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None
    dirty: bool = False

    def active(self, now: datetime) -> bool:
        return self.name is not None and (self.expires_at is None or self.expires_at > now)

    def set(self, name: str, data: dict[str, Any] | None = None, *, ttl_minutes: int = 30,
            now: datetime | None = None) -> None:
        self.name = name
        self.data = dict(data or {})
        self.expires_at = (now or utcnow()) + timedelta(minutes=ttl_minutes)
        self.dirty = True

    def clear(self) -> None:
        self.name = None
        self.data = {}
        self.expires_at = None
        self.dirty = True


# ---- the inbound message as handlers see it ----


@dataclass
class Inbound:
    """One resident message or event, after verification, de-duplication and persistence."""

    account_key: str
    openid: str
    kind: str  # text, voice, image, location, link, video, shortvideo, event, miniprogram
    channel: str = "wechat"  # wechat (official account) or miniprogram
    event: str | None = None  # lower case: subscribe, unsubscribe, scan, click, view, location, ...
    event_key: str | None = None  # menu key, or QR scene with any qrscene_ prefix removed
    text: str | None = None  # text content, or voice Recognition
    raw: dict[str, Any] = field(default_factory=dict)  # the parsed XML fields
    resident_id: int | None = None
    message_id: int | None = None  # the stored inbound row
    board_code: str | None = None  # the board the resident last scanned, if known
    created_at: datetime | None = None
    state: DialogueState = field(default_factory=DialogueState)
    # read with the resident's identity in one statement (``InboundRouter.identity_fact``; "resident":
    # the Resident row). A missing key means "not read": the handler asks the usual way.
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def scene(self) -> str | None:
        """The QR scene for subscribe-by-scan and SCAN events."""
        if self.event in ("subscribe", "scan") and self.event_key:
            return self.event_key
        return None


Handler = Callable[[Inbound], Awaitable[Reply | None]]


@dataclass(order=True)
class _TextRoute:
    priority: int
    order: int
    pattern: re.Pattern[str] = field(compare=False)
    handler: Handler = field(compare=False)


class InboundRouter:
    """The table of handlers. Registration happens at import time of each domain's inbound.py."""

    def __init__(self) -> None:
        self._dialogues: list[tuple[str, Handler]] = []
        self._scenes: list[tuple[str, Handler]] = []
        self._menus: list[tuple[str, Handler]] = []
        self._events: dict[str, list[Handler]] = {}
        self._texts: list[_TextRoute] = []
        self._kinds: dict[str, list[Handler]] = {}
        self._fallback: Handler | None = None
        self._before: list[Handler] = []
        self._count = 0
        self.facts: dict[str, str] = {}

    def identity_fact(self, name: str, sql: str) -> None:
        """A value the engine reads in the same statement as the resident's identity (the callback's hot
        path: one statement instead of one per handler). ``sql`` is a scalar subquery that may refer to the
        columns of ``resident_account`` (resident_id, account_key, openid); the value is in
        ``inbound.facts[name]`` as the database returns it (None when the subquery finds no row)."""
        self.facts[name] = sql

    # -- registration --
    def on_dialogue(self, state_prefix: str) -> Callable[[Handler], Handler]:
        return self._add(self._dialogues, state_prefix)

    def on_scene(self, prefix: str) -> Callable[[Handler], Handler]:
        return self._add(self._scenes, prefix)

    def on_menu(self, key_prefix: str) -> Callable[[Handler], Handler]:
        return self._add(self._menus, key_prefix)

    def on_event(self, event: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self._events.setdefault(event.lower(), []).append(fn)
            return fn

        return deco

    def on_text(self, pattern: str, *, priority: int = 100) -> Callable[[Handler], Handler]:
        """Text matching a regular expression (searched, not anchored unless the pattern says so)."""

        def deco(fn: Handler) -> Handler:
            self._count += 1
            self._texts.append(_TextRoute(priority, self._count, re.compile(pattern), fn))
            self._texts.sort()
            return fn

        return deco

    def on_kind(self, kind: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self._kinds.setdefault(kind, []).append(fn)
            return fn

        return deco

    def before_all(self, fn: Handler) -> Handler:
        """A handler that runs before routing (e.g. safety checks); it may answer or decline."""
        self._before.append(fn)
        return fn

    def fallback_text(self, fn: Handler) -> Handler:
        self._fallback = fn
        return fn

    @staticmethod
    def _add(table: list[tuple[str, Handler]], prefix: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            table.append((prefix, fn))
            table.sort(key=lambda t: -len(t[0]))  # longest prefix first
            return fn

        return deco

    # -- dispatch --
    async def dispatch(self, inbound: Inbound, *, now: datetime | None = None) -> Reply:
        now = now or utcnow()
        for fn in self._before:
            if (reply := await fn(inbound)) is not None:
                return reply
        if inbound.state.active(now):
            name = inbound.state.name or ""
            for prefix, fn in self._dialogues:
                if name.startswith(prefix):
                    if (reply := await fn(inbound)) is not None:
                        return reply
                    break
        elif inbound.state.name is not None:
            inbound.state.clear()  # expired dialogue
        for fn in self._candidates(inbound):
            if (reply := await fn(inbound)) is not None:
                return reply
        return NO_REPLY

    def _candidates(self, inbound: Inbound) -> list[Handler]:
        out: list[Handler] = []
        if inbound.kind == "event":
            scene = inbound.scene
            if scene is not None:
                out += [fn for prefix, fn in self._scenes if scene.startswith(prefix)]
            if inbound.event in ("click", "scancode_push", "scancode_waitmsg") and inbound.event_key:
                out += [fn for prefix, fn in self._menus if inbound.event_key.startswith(prefix)]
            out += self._events.get(inbound.event or "", [])
            return out
        if inbound.text is not None and inbound.kind in ("text", "voice", "miniprogram"):
            text = inbound.text.strip()
            out += [r.handler for r in self._texts if r.pattern.search(text)]
            out += self._kinds.get(inbound.kind, [])
            if self._fallback is not None:
                out.append(self._fallback)
            return out
        return list(self._kinds.get(inbound.kind, []))


router = InboundRouter()
