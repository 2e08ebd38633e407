"""Residents: finding and creating them from WeChat identities, follow status per account, and their
personal data (个人信息保护法): phone and ID number encrypted, masked, revealed; export, erasure and the
retention purge, which every domain joins through the events ``residents.*`` (see app/wiring.py)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.config import get_settings
from app.core import events, metrics, pii
from app.core.actor import Actor
from app.core.clock import format_local, utcnow
from app.errors import NotFound
from app.residents.models import Resident, ResidentAccount
from app.staff import service as staff_service

log = logging.getLogger("fawu.residents")


class ResidentNotFound(NotFound):
    code = "resident_not_found"
    message_zh = "没有找到该居民。"


async def get_resident(resident_id: int) -> Resident:
    r = await Resident.get_or_none(id=resident_id)
    if r is None:
        raise ResidentNotFound()
    return r


async def ensure_identity(*, account_key: str, openid: str, unionid: str | None = None,
                          facts: Mapping[str, str] | None = None) -> ResidentAccount:
    """The resident behind (account, openid), created on first contact; merged by unionid when known.

    ``facts`` (the WeChat callback's hot path): name → a scalar SQL subquery that may refer to
    ``resident_account``'s columns; read in the same statement as the link and its resident
    (``link.resident`` is then loaded), each set as an attribute of the link. A link created here is
    read again the same way (one statement for everything its handlers ask)."""
    if facts:
        link = await _identity_with(account_key, openid, facts)
        if link is None:
            await _create_identity(account_key, openid, unionid)
            # read back with the facts (an erasure in between: as without them)
            return await _identity_with(account_key, openid, facts) or await ensure_identity(
                account_key=account_key, openid=openid, unionid=unionid)
    else:
        link = await ResidentAccount.get_or_none(account_key=account_key, openid=openid)
    if link is not None:
        if unionid:
            await _attach_unionid(link, unionid)
        return link
    return await _create_identity(account_key, openid, unionid)


async def _create_identity(account_key: str, openid: str, unionid: str | None) -> ResidentAccount:
    try:
        async with in_transaction():
            resident = await Resident.get_or_none(unionid=unionid) if unionid else None
            if resident is None:
                resident = await Resident.create(unionid=unionid or None)
            return await ResidentAccount.create(resident=resident, account_key=account_key, openid=openid)
    except IntegrityError:
        # a concurrent first contact (a retry on another worker) created it first
        link = await ResidentAccount.get_or_none(account_key=account_key, openid=openid)
        if link is None:
            raise
        return link


_IDENTITY_SQL: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}


def _identity_sql(dialect: str, facts: Mapping[str, str]) -> str:
    """The link, its resident and the facts in one SELECT, written once per dialect and set of facts
    (the query builder costs more than the statement on this path)."""
    key = (dialect, tuple(facts.items()))
    if key not in _IDENTITY_SQL:
        q = "`" if dialect == "mysql" else '"'
        mark = "%s" if dialect == "mysql" else "?"
        link, res = ResidentAccount._meta, Resident._meta
        cols = [f"resident_account.{q}{c}{q} AS {q}{c}{q}" for c in link.db_fields]
        cols += [f"r.{q}{c}{q} AS {q}r__{c}{q}" for c in res.db_fields]
        cols += [f"{sql} AS {q}{name}{q}" for name, sql in facts.items()]
        _IDENTITY_SQL[key] = (f"SELECT {', '.join(cols)} FROM {link.db_table} resident_account "
                              f"JOIN {res.db_table} r ON r.id = resident_account.resident_id "
                              f"WHERE resident_account.account_key = {mark} AND resident_account.openid = {mark} "
                              "LIMIT 1")
    return _IDENTITY_SQL[key]


async def _identity_with(account_key: str, openid: str, facts: Mapping[str, str]) -> ResidentAccount | None:
    conn = connections.get("default")
    rows = await conn.execute_query_dict(_identity_sql(conn.capabilities.dialect, facts), [account_key, openid])
    if not rows:
        return None
    row = rows[0]
    link = ResidentAccount._init_from_db(**{c: row[c] for c in ResidentAccount._meta.db_fields})
    object.__setattr__(link, "_resident", Resident._init_from_db(
        **{c: row[f"r__{c}"] for c in Resident._meta.db_fields}))  # select_related's place: link.resident
    for name in facts:
        object.__setattr__(link, name, row[name])
    return link


async def find_identity(*, account_key: str, openid: str) -> ResidentAccount | None:
    """The link of (account, openid) if that identity was seen before (nothing is created)."""
    return await ResidentAccount.get_or_none(account_key=account_key, openid=openid)


async def update_contact(resident_id: int, *, name: str = "", phone: str = "") -> None:
    """The name and mobile number a resident gave in a form (phone encrypted, with its lookup hash)."""
    r = await get_resident(resident_id)
    if name:
        r.name = name[:32]
    if phone:
        phone_n = pii.normalize_phone(phone)
        r.phone_enc, r.phone_hash = pii.encrypt(phone_n), pii.lookup_hash(phone_n)
    await r.save(update_fields=["name", "phone_enc", "phone_hash", "updated_at"])


async def _attach_unionid(link: ResidentAccount, unionid: str) -> None:
    """Give the link's resident the unionid, or move the link onto the resident who already has it.

    The merge moves only this link; the resident left behind (usually created on this openid's first
    contact, before its unionid was known) is kept, not deleted: rows of other domains that already
    point at it (cases, consultations, inbound messages: plain ids) stay valid as history and keep
    the details given then. What the kept resident does not know yet (name, phone, ID number,
    location) is copied over from it, so a form filled on one account is known on the other.
    """
    resident = await Resident.get(id=link.resident_id)
    if resident.unionid == unionid:
        return
    other = await Resident.get_or_none(unionid=unionid)
    if other is None:
        resident.unionid = unionid
        try:
            await resident.save(update_fields=["unionid", "updated_at"])
            return
        except IntegrityError:  # the same person's other account got there first
            other = await Resident.get(unionid=unionid)
    async with in_transaction():
        link.resident_id = other.id
        await link.save(update_fields=["resident_id"])
        missing = [f for f in _CARRIED if not getattr(other, f) and getattr(resident, f)]
        if missing and resident.erased_at is None and other.erased_at is None:
            for f in missing:
                setattr(other, f, getattr(resident, f))
            await other.save(update_fields=[*missing, "updated_at"])


# What a merge carries from the resident left behind to the kept one, when the kept one lacks it.
_CARRIED = ("nickname", "name", "phone_enc", "phone_hash", "id_number_enc", "id_number_hash", "community_code",
            "township_code")


async def set_following(*, account_key: str, openid: str, following: bool, board_code: str | None = None,
                        unionid: str | None = None) -> ResidentAccount:
    link = await ensure_identity(account_key=account_key, openid=openid, unionid=unionid)
    now = utcnow()
    link.following = following
    if following:
        link.followed_at = now
        if board_code and not link.source_board_code:
            link.source_board_code = board_code
    else:
        link.unfollowed_at = now
    await link.save()
    return link


async def touch(link: ResidentAccount) -> None:
    link.last_interaction_at = utcnow()
    await link.save(update_fields=["last_interaction_at"])


async def set_location(resident_id: int, *, community_code: str | None, township_code: str | None) -> None:
    await Resident.filter(id=resident_id).update(community_code=community_code, township_code=township_code)


async def set_board(*, account_key: str, openid: str, board_code: str, community_code: str,
                    township_code: str | None) -> ResidentAccount:
    """Remember the board a resident scanned; it is carried to every later step."""
    link = await ensure_identity(account_key=account_key, openid=openid)
    link.last_board_code = board_code
    link.last_board_at = utcnow()
    await link.save(update_fields=["last_board_code", "last_board_at"])
    await Resident.filter(id=link.resident_id).update(
        community_code=community_code, township_code=township_code)
    return link


# ---- personal data ----

def masked(enc: str | None, what: str) -> str:
    """The masked phone (``what="phone"``) or ID number of an encrypted field; "****" when it cannot be
    decrypted (a changed pii_key): counted and logged, never silent."""
    if not enc:
        return ""
    try:
        clear = pii.decrypt(enc)
    except Exception:  # a wrong key or a damaged value: the page still shows the rest
        metrics.caught("residents.decrypt", log, "cannot decrypt a resident's %s", what, level=logging.WARNING)
        return "****"
    return pii.mask_phone(clear) if what == "phone" else pii.mask_id_number(clear)


def reveal(resident: Resident, what: str) -> str | None:
    """The clear phone (``what="phone"``) or ID number; the caller writes the audit entry."""
    enc = resident.phone_enc if what == "phone" else resident.id_number_enc
    return pii.decrypt(enc) if enc else None


async def find_by_phone(phone: str) -> Resident | None:
    """A resident by phone number (keyed hash, never a clear-text query)."""
    return await Resident.filter(phone_hash__in=pii.lookup_candidates(pii.normalize_phone(phone))).first()


async def record_resident(*, name: str, phone: str | None = None, id_number: str | None = None,
                          community_code: str | None = None, township_code: str | None = None) -> Resident:
    """A resident met at the desk or on the hotline; found again by phone (keyed hash) when known."""
    phone_n = pii.normalize_phone(phone) if phone else None
    id_n = pii.normalize_id_number(id_number) if id_number else None
    existing = await Resident.filter(phone_hash__in=pii.lookup_candidates(phone_n)).first() if phone_n else None
    r = existing or Resident(name=name)
    r.name = name or r.name
    if phone_n:
        r.phone_enc, r.phone_hash = pii.encrypt(phone_n), pii.lookup_hash(phone_n)
    if id_n:
        r.id_number_enc, r.id_number_hash = pii.encrypt(id_n), pii.lookup_hash(id_n)
    r.community_code = community_code or r.community_code
    r.township_code = township_code or r.township_code
    await r.save()
    return r


async def _accounts(resident_id: int) -> list[list[str]]:
    rows = await ResidentAccount.filter(resident_id=resident_id).values_list("account_key", "openid")
    return [[str(a), str(o)] for a, o in rows]


def _totals(parts: list[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts:
        for k, v in (part or {}).items():
            out[k] = out.get(k, 0) + int(v)
    return out


async def erase_resident(*, resident_id: int, actor: Actor | None = None, reason: str = "",
                         pin: str = "") -> dict[str, int]:
    """Erase on request (删除权): null the encrypted fields, name and nickname, drop the links to their
    WeChat accounts, and publish ``residents.erased`` so every domain scrubs its part in the same
    transaction (cases keep their skeleton and history for statistics). Audited; signed with the
    staff member's personal SM2 key when ``actor`` is one and gives their PIN (required with
    ``signed_actions``)."""
    reason = reason[:200]
    signature = None
    if actor is not None:
        signature = await staff_service.sign_action(actor=actor, pin=pin, action="resident.erase",
                                                    target_type="resident", target_id=resident_id,
                                                    detail={"reason": reason})
    async with in_transaction():
        r = await Resident.filter(id=resident_id).select_for_update().first()
        if r is None:
            raise ResidentNotFound()
        accounts = await _accounts(r.id)
        r.phone_enc = r.phone_hash = r.id_number_enc = r.id_number_hash = None
        r.name, r.nickname, r.unionid = "", "", None
        r.erased_at = utcnow()
        await r.save()
        parts = await events.publish("residents.erased", resident_id=r.id, accounts=accounts,
                                     actor_id=actor.id if actor else None,
                                     actor_name=actor.name if actor else "系统", reason=reason)
        await ResidentAccount.filter(resident_id=r.id).delete()
        totals = _totals(parts)
        await staff_service.audit(actor=actor, action="resident.erase", target_type="resident", target_id=r.id,
                                  detail={**totals, "reason": reason,
                                          **({"signature": signature.as_detail()} if signature else {})})
    log.info("resident %s erased (%s)", resident_id, totals)
    return {"cases": totals.get("cases", 0), "messages": totals.get("messages", 0)}


async def export_resident(*, resident_id: int, actor: Actor | None = None) -> dict[str, Any]:
    """Everything held about a resident, decrypted, for their access request (查阅、复制): their own row,
    and each domain's part through ``residents.export_requested``. Audited."""
    r = await get_resident(resident_id)
    out: dict[str, Any] = {
        "resident": {
            "id": r.id, "name": r.name, "nickname": r.nickname,
            "phone": reveal(r, "phone"), "id_number": reveal(r, "id_number"),
            "township_code": r.township_code, "community_code": r.community_code,
            "special_groups": list(r.special_groups or []), "created_at": format_local(r.created_at),
            "erased_at": format_local(r.erased_at),
        },
    }
    for part in await events.publish("residents.export_requested", resident_id=r.id,
                                     accounts=await _accounts(r.id)):
        out.update(part or {})
    await staff_service.audit(actor=actor, action="resident.export", target_type="resident", target_id=r.id)
    return out


async def purge_chat_logs(*, now: datetime | None = None) -> int:
    """The retention period (``chat_retention_days``) passed: publish ``residents.retention_due`` so every
    domain clears the text of what residents said before the cutoff; returns how many were purged."""
    cutoff = (now or utcnow()) - timedelta(days=get_settings().chat_retention_days)
    n = sum(int(p or 0) for p in await events.publish("residents.retention_due", before=cutoff))
    if n:
        log.info("purged %s chat messages older than %s", n, cutoff.date())
    return n


async def followers(*, account_keys: list[str], townships: list[str] | None = None,
                    communities: list[str] | None = None, group: str = "") -> list[dict[str, Any]]:
    """The current followers of the accounts fawu knows, with the resident behind each openid (the same
    resident on several accounts where a unionid joined them), optionally limited to townships (a
    follower of unknown township counts for none), communities, or a special group (elderly, ...)."""
    qs = ResidentAccount.filter(account_key__in=account_keys, following=True, resident__erased_at__isnull=True)
    if townships:
        qs = qs.filter(resident__township_code__in=townships)
    if communities:
        qs = qs.filter(resident__community_code__in=communities)
    rows = await qs.order_by("id").values("account_key", "openid", "resident_id", "resident__township_code",
                                          "resident__community_code", "resident__special_groups")
    out = []
    for r in rows:
        groups = r["resident__special_groups"] or []
        if group and group not in groups:
            continue
        out.append({"account_key": r["account_key"], "openid": r["openid"], "resident_id": r["resident_id"],
                    "township_code": r["resident__township_code"], "community_code": r["resident__community_code"]})
    return out


async def identities(resident_id: int) -> list[dict[str, Any]]:
    """The WeChat identities (account, openid) of a resident, with follow state and last interaction."""
    rows = await ResidentAccount.filter(resident_id=resident_id).order_by("id").values(
        "account_key", "openid", "following", "last_interaction_at")
    return [dict(r) for r in rows]
