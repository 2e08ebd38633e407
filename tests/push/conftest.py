"""Push test helpers: the corpus and library loaded, staff of the three review roles, followers on the
emulator and in fawu (one person on several accounts shares a unionid)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.core.actor import Role


@dataclass
class Team:
    clerk: Any  # Actor: township clerk of 云溪街道 (writes)
    lead: Any  # Actor: the clerk's supervisor (township review)
    admin: Any  # Actor: district administrator (district approval)
    admin2: Any


@pytest.fixture
async def push_ready(app: Any, settings: Any) -> None:
    from app.laws import service as laws_service
    from app.push import service

    await laws_service.import_folder(folder=settings.laws_dir)
    await service.import_library()


async def make_team(*, with_passwords: bool = False) -> Team:
    from app.staff import service as staff_service
    from tests.factories import PASSWORD, make_staff

    pw = PASSWORD if with_passwords else None
    lead = await make_staff(username="yxjd_lead", name="街道负责人", unit_codes=["YXJD"], password=pw)
    clerk = await make_staff(username="yxjd_clerk", name="街道办事员", unit_codes=["YXJD"], password=pw,
                             supervisor_id=lead.id)
    admin = await make_staff(username="district", name="区司法局审核", role=Role.DISTRICT_ADMIN,
                             unit_codes=["YX"], password=pw)
    admin2 = await make_staff(username="district2", name="区管理员二", role=Role.DISTRICT_ADMIN,
                              unit_codes=["YX"], password=pw)
    return Team(*[await staff_service.actor_for(u) for u in (clerk, lead, admin, admin2)])


@pytest.fixture
async def team(push_ready: None) -> Team:
    return await make_team()


async def follow(emulator: Any, account_key: str, *, unionid: str, township: str | None = None,
                 community: str | None = None, groups: list[str] | None = None) -> str:
    """One follower on the emulator and in fawu; returns the openid."""
    from app.residents import service as residents_service

    acc = emulator.by_key(account_key)
    f = emulator.add_follower(acc, unionid=unionid)
    link = await residents_service.set_following(account_key=account_key, openid=f.openid, following=True,
                                                 unionid=unionid)
    await residents_service.set_location(link.resident_id, community_code=community, township_code=township)
    if groups:
        from app.residents.service import get_resident

        r = await get_resident(link.resident_id)
        r.special_groups = groups
        await r.save()
    return f.openid


def received(emulator: Any) -> dict[str, int]:
    """unionid → how many mass sends reached that person, over every account (the emulator's jobs)."""
    owner = {f.openid: f.unionid for acc in emulator.accounts.values() for f in acc.followers.values()}
    out: dict[str, int] = {}
    for job in emulator.mass.values():
        for openid in job["openids"]:
            out[owner[openid]] = out.get(owner[openid], 0) + 1
    return out


async def approved_article(team: Team, slug: str = "wage-arrears", *, township: str | None = "YXJD") -> int:
    """A library article adopted by the clerk and taken through the full review."""
    from app.push import service
    from app.push.models import PushArticle

    lib = await PushArticle.get(slug=slug)
    art = await service.adopt_article(actor=team.clerk, article_id=lib.id) if township else lib
    author = team.clerk if township else team.admin
    await service.submit(actor=author, article_id=art.id)
    if township:
        await service.approve(actor=team.lead, article_id=art.id)
    await service.approve(actor=team.admin2 if not township else team.admin, article_id=art.id)
    return int(art.id)


@pytest.fixture
async def new_client(app: Any) -> Any:
    """Extra browsers on the same app (one per staff member)."""
    import httpx

    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()
