"""Finding and creating residents from WeChat identities; follow status per account."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.core.clock import utcnow
from app.errors import NotFound
from app.residents.models import Resident, ResidentAccount


class ResidentNotFound(NotFound):
    code = "resident_not_found"
    message_zh = "没有找到该居民。"


async def get_resident(resident_id: int) -> Resident:
    r = await Resident.get_or_none(id=resident_id)
    if r is None:
        raise ResidentNotFound()
    return r


async def ensure_identity(*, account_key: str, openid: str, unionid: str | None = None) -> ResidentAccount:
    """The resident behind (account, openid), created on first contact; merged by unionid when known."""
    link = await ResidentAccount.get_or_none(account_key=account_key, openid=openid)
    if link is not None:
        if unionid:
            await _attach_unionid(link, unionid)
        return link
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


async def _attach_unionid(link: ResidentAccount, unionid: str) -> None:
    """Give the link's resident the unionid, or move the link onto the resident who already has it.

    The merge moves only this link; the resident left behind (usually created on this openid's first
    contact, before its unionid was known) is kept, not deleted: rows of other domains that already
    point at it (cases, consultations, inbound messages: plain ids) stay valid as history and keep
    the details given then. What the kept resident does not know yet (name, phone, ID number,
    location) is copied over from it, so a form filled on one account is known on the other.
    """
    resident = await Resident.get(id=link.resident_id)  # type: ignore[attr-defined]
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
        link.resident_id = other.id  # type: ignore[attr-defined]
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
    await Resident.filter(id=link.resident_id).update(  # type: ignore[attr-defined]
        community_code=community_code, township_code=township_code)
    return link
