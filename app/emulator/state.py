"""The loopback WeChat's memory: accounts, tokens, followers, windows, quotas, ledgers, faults.

Everything is in memory (one emulator process); ``reset()`` forgets it all. The emulator's clock
is app.core.clock plus an offset the control API can advance.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from app.core.clock import to_local, utcnow
from app.matrix.service import Account, load_matrix

TOKEN_TTL = 7200
TOKEN_OVERLAP = timedelta(minutes=5)
STABLE_EARLY = timedelta(minutes=5)
STABLE_FORCE_PER_DAY = 20
STABLE_FORCE_GAP = timedelta(seconds=30)
LONG_WINDOW = timedelta(hours=48)
SHORT_WINDOW = timedelta(minutes=1)
LONG_QUOTA = 5
SHORT_QUOTA = 3
LOGIN_CODE_TTL = timedelta(minutes=5)
OPEN_PLATFORM = "yunxi-open"  # the demo's Open Platform account (开放平台帐号)
LOGIN_PER_USER_MINUTE = 100  # jscode2session calls per user per minute before 45011


def rid() -> str:
    return f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"


def new_openid(prefix: str = "o") -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(27))


@dataclass
class Token:
    value: str
    appid: str
    source: str  # "token" (getAccessToken) or "stable"
    issued_at: datetime
    expires_at: datetime
    superseded_at: datetime | None = None  # when a newer token replaced it (then 5 more minutes)

    def status(self, now: datetime) -> int:
        """0 valid, 40001 replaced (overlap over), 42001 expired."""
        if self.superseded_at is not None and now >= self.superseded_at + TOKEN_OVERLAP:
            return 40001
        if now >= self.expires_at:
            return 42001
        return 0


@dataclass
class Follower:
    openid: str
    nickname: str = ""
    subscribed: bool = True
    subscribe_time: int = 0
    subscribe_scene: str = "ADD_SCENE_QR_CODE"
    qr_scene_str: str = ""
    unionid: str = ""  # one person on several accounts bound to one Open Platform account
    tags: set[int] = field(default_factory=set)
    long_until: datetime | None = None
    long_used: int = 0
    short_until: datetime | None = None
    short_used: int = 0
    mass_month: dict[str, int] = field(default_factory=dict)
    refuses_templates: bool = False  # the resident switched this account's template messages off (43101)

    def public(self) -> dict[str, Any]:
        return {"openid": self.openid, "nickname": self.nickname, "subscribed": self.subscribed,
                "unionid": self.unionid or None, "tags": sorted(self.tags), "long_until": _iso(self.long_until), "long_used": self.long_used,
                "short_until": _iso(self.short_until), "short_used": self.short_used}


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


@dataclass
class AccountState:
    account: Account
    followers: dict[str, Follower] = field(default_factory=dict)
    tags: dict[int, str] = field(default_factory=dict)
    next_tag_id: int = 100
    menu: dict[str, Any] | None = None
    menu_id: int = 0
    token_calls: dict[str, int] = field(default_factory=dict)  # local day -> /cgi-bin/token calls
    current: dict[str, Token] = field(default_factory=dict)  # source -> newest token
    stable_forces: dict[str, int] = field(default_factory=dict)  # local day -> force refreshes
    last_force_at: datetime | None = None
    qrcodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # ticket -> record
    permanent_scenes: dict[str, str] = field(default_factory=dict)  # "str:x"/"id:n" -> ticket
    mass_days: dict[str, int] = field(default_factory=dict)  # local day -> mass sends
    clientmsgids: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    drafts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    materials: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # temporary media (3 days)
    templates: set[str] = field(default_factory=set)  # template ids added to the account (template messages)
    sub_templates: set[str] = field(default_factory=set)  # subscription-message template ids (priTmplId)
    subscriptions: dict[tuple[str, str], str] = field(default_factory=dict)  # (openid, template) -> once/long
    previews: dict[str, int] = field(default_factory=dict)  # local day -> mass/preview calls
    system_openid: str = field(default_factory=new_openid)

    def has_media(self, media_id: Any, now: datetime) -> bool:
        """A permanent material, or temporary media not yet expired (3 days)."""
        key = str(media_id or "")
        if key in self.materials:
            return True
        temp = self.media.get(key)
        return temp is not None and temp["expires_at"] > now


@dataclass
class Fault:
    endpoint: str  # path without leading slash, or "*"
    kind: str  # errcode, timeout, slow
    errcode: int = -1
    errmsg: str = "system error"
    delay: float = 0.0
    remaining: int = 1

    def public(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "kind": self.kind, "errcode": self.errcode, "errmsg": self.errmsg,
                "delay": self.delay, "remaining": self.remaining}


class EmulatorState:
    """All the loopback WeChat knows."""

    token_daily_quota = 2000
    permanent_qr_limit = 100_000
    wxacode_per_minute = 5000
    postback_delay = 0.2

    def __init__(self, matrix_dir: Path, *, public_base_url: str = "http://127.0.0.1:8000") -> None:
        self.matrix_dir = matrix_dir
        self.public_base_url = public_base_url.rstrip("/")
        self.callback_transport: Any = None  # an httpx transport for the postbacks (tests)
        self.app: Any = None  # the ASGI app serving this state (set by whoever builds it)
        self.reset()

    def reset(self) -> None:
        matrix = load_matrix(self.matrix_dir)
        self.accounts: dict[str, AccountState] = {a.appid: AccountState(a) for a in matrix.accounts.values()}
        self.tokens: dict[str, Token] = {}
        self.faults: list[Fault] = []
        self.sent: dict[str, list[dict[str, Any]]] = {}
        self.calls: dict[str, int] = {}
        self.login_codes: dict[str, dict[str, Any]] = {}
        self.mp_users: dict[str, str] = {}  # openid -> session_key
        self.mp_unionids: dict[str, str] = {}  # openid -> the person's unionid (see unionid_for)
        # Open Platform binding (开放平台绑定): account key -> the Open Platform account it is bound to, or
        # None. WeChat gives a unionid only to apps bound to an Open Platform account, and the same person
        # has one unionid per Open Platform account. The demo binds every account of the matrix to one.
        self.open_platforms: dict[str, str | None] = {a.key: OPEN_PLATFORM for a in matrix.accounts.values()}
        self.mp_risky: set[str] = set()  # openids WeChat blocks as high-risk (40226)
        self.mass: dict[int, dict[str, Any]] = {}
        self.callbacks: list[dict[str, Any]] = []
        self.pending: set[asyncio.Task[Any]] = set()
        self.offset = timedelta(0)
        self.next_msg_id = 1000000001
        self.mp_pages: set[str] = {"pages/index/index"}
        self.minute_calls: dict[tuple[str, str], int] = {}  # (endpoint, minute) -> calls

    def unionid_for(self, account_key: str, person: str) -> str | None:
        """The unionid WeChat answers for ``person`` on this account: none when the account is bound to
        no Open Platform account; on the demo's Open Platform account the person's own id; on another,
        another id (a unionid is per Open Platform account, so two platforms never join a person)."""
        platform = self.open_platforms.get(account_key)
        if not person or platform is None:
            return None
        if platform == OPEN_PLATFORM:
            return person
        return "o" + hashlib.sha1(f"{platform}:{person}".encode()).hexdigest()[:27]

    def per_minute(self, endpoint: str) -> int:
        """Count a call to a per-minute-limited endpoint; returns the count in the current minute."""
        minute = self.now().strftime("%Y%m%d%H%M")
        key = (endpoint, minute)
        if key not in self.minute_calls:
            self.minute_calls = {k: v for k, v in self.minute_calls.items() if k[1] == minute}
        self.minute_calls[key] = self.minute_calls.get(key, 0) + 1
        return self.minute_calls[key]

    # ---- clock ----
    def now(self) -> datetime:
        return utcnow() + self.offset

    def day(self) -> str:
        return to_local(self.now()).strftime("%Y-%m-%d")

    def month(self) -> str:
        return to_local(self.now()).strftime("%Y-%m")

    # ---- lookups ----
    def by_key(self, key: str) -> AccountState | None:
        return next((s for s in self.accounts.values() if s.account.key == key or s.account.appid == key), None)

    def record(self, kind: str, item: dict[str, Any]) -> None:
        self.sent.setdefault(kind, []).append({"at": self.now().isoformat(), **item})

    def msg_id(self) -> int:
        self.next_msg_id += 1
        return self.next_msg_id

    # ---- tokens ----
    def issue(self, acc: AccountState, source: str) -> Token:
        now = self.now()
        old = acc.current.get(source)
        if old is not None and old.superseded_at is None:
            old.superseded_at = now
        tok = Token(value=f"EMU_{source[:1].upper()}_" + secrets.token_urlsafe(96), appid=acc.account.appid,
                    source=source, issued_at=now, expires_at=now + timedelta(seconds=TOKEN_TTL))
        acc.current[source] = tok
        self.tokens[tok.value] = tok
        return tok

    # ---- faults ----
    def take_fault(self, endpoint: str) -> Fault | None:
        for f in self.faults:
            if f.remaining > 0 and (f.endpoint == "*" or f.endpoint == endpoint):
                f.remaining -= 1
                if f.remaining <= 0:
                    self.faults.remove(f)
                return f
        return None

    # ---- followers and windows ----
    def add_follower(self, acc: AccountState, *, openid: str | None = None, nickname: str = "",
                     scene_str: str = "", unionid: str = "") -> Follower:
        openid = openid or new_openid()
        f = acc.followers.get(openid)
        if f is None:
            f = acc.followers[openid] = Follower(openid=openid, nickname=nickname or f"居民{len(acc.followers) + 1}",
                                                 subscribe_time=int(self.now().timestamp()), qr_scene_str=scene_str)
        if unionid:
            f.unionid = unionid
        f.subscribed = True
        return f

    def interact(self, f: Follower, kind: str) -> None:
        now = self.now()
        if kind == "message":
            f.long_until, f.long_used = now + LONG_WINDOW, 0
        elif kind in ("click", "subscribe", "scan"):
            f.short_until, f.short_used = now + SHORT_WINDOW, 0
            if kind == "subscribe":
                f.subscribed = True
        elif kind == "unsubscribe":
            f.subscribed = False
            f.long_until = f.short_until = None
        else:
            raise ValueError(kind)

    def consume_window(self, f: Follower) -> int:
        """0 and one message counted, or 45015 (no current window / unsubscribed) or 45047 (count used up)."""
        now = self.now()
        if not f.subscribed:
            return 45015
        if f.short_until and f.short_until > now and f.short_used < SHORT_QUOTA:
            f.short_used += 1
            return 0
        if f.long_until and f.long_until > now and f.long_used < LONG_QUOTA:
            f.long_used += 1
            return 0
        current = (f.short_until and f.short_until > now) or (f.long_until and f.long_until > now)
        return 45047 if current else 45015

    # ---- mini-program login codes ----
    def mint_code(self, openid: str | None = None, *, unionid: str = "", risky: bool = False) -> dict[str, Any]:
        """A wx.login code for ``openid`` (a new user when None); ``unionid`` binds the user to the
        Open Platform account (then jscode2session answers it); ``risky`` makes WeChat refuse (40226)."""
        openid = openid or new_openid("o")
        code = secrets.token_hex(16)
        self.login_codes[code] = {"openid": openid, "created": self.now(), "used": False}
        self.mp_users.setdefault(openid, secrets.token_urlsafe(18))
        if unionid:
            self.mp_unionids[openid] = unionid
        if risky:
            self.mp_risky.add(openid)
        mp = next((a.account.key for a in self.accounts.values() if a.account.is_miniprogram), "")
        union = self.unionid_for(mp, self.mp_unionids.get(openid, ""))
        return {"code": code, "openid": openid, **({"unionid": union} if union else {})}
