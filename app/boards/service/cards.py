"""The community card: advisors, nearest desk, township station, hotline (replies, pages, posters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from app.boards.service.scenes import (
    landing_url,
)
from app.catalog import service as catalog_service
from app.config import get_settings
from app.org import service as org


@dataclass
class AdvisorInfo:
    name: str
    phone: str
    firm: str = ""
    duty_hours: str = ""
    directory_url: str = ""  # the advisor's page in the catalog's provider directory, when listed


@dataclass
class PointInfo:
    name: str
    address: str
    phone: str = ""
    hours: str = ""
    latitude: float | None = None
    longitude: float | None = None

    @property
    def map_url(self) -> str:
        if self.latitude is None or self.longitude is None:
            return ""
        return (f"https://uri.amap.com/marker?position={self.longitude},{self.latitude}"
                f"&name={quote(self.name)}&src=fawu&coordinate=gaode&callnative=1")


@dataclass
class CommunityCard:
    """Everything a resident needs about their community, for replies, pages and posters."""

    community_code: str
    community_name: str
    township_code: str | None
    township_name: str
    district_name: str
    advisors: list[AdvisorInfo]
    nearest: PointInfo | None  # the nearest desk (village workroom, else station, else centre)
    station: PointInfo | None  # the township station (else the district centre)
    hotline: str
    board_code: str | None = None
    place: str = ""
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _point(p: Any) -> PointInfo:
    return PointInfo(name=p.name, address=p.address, phone=p.phone, hours=p.opening_hours,
                     latitude=p.latitude, longitude=p.longitude)


async def community_card(*, community_code: str, board_code: str | None = None) -> CommunityCard:
    """The card of a community (advisors, nearest desk, township station, hotline, landing link)."""
    info = await org.unit_info(community_code)
    units = await org.tree()
    township = units.get(info.township_code or "")
    district = units.get(info.district_code or "")
    rows = await org.advisors_of(community_code)
    links = await catalog_service.advisor_links([a.code for a in rows])
    advisors = [AdvisorInfo(a.name, a.phone, a.firm, a.duty_hours, links.get(a.code, "")) for a in rows]
    points = await org.service_points_for(community_code)
    nearest = _point(points[0]) if points else None
    station_row = next((p for p in points if p.unit.code == info.township_code), None) or next(
        (p for p in points if p.unit.code == info.district_code), None)
    station = _point(station_row) if station_row else None
    place = ""
    url = ""
    if board_code:
        row = await org.find_board(board_code)
        place = row.place if row else ""
        url = landing_url(board_code)
    return CommunityCard(
        community_code=community_code, community_name=info.name, township_code=info.township_code,
        township_name=township.name if township else "", district_name=district.name if district else "",
        advisors=advisors, nearest=nearest, station=station, hotline=get_settings().hotline,
        board_code=board_code, place=place, url=url,
    )


def card_text(card: CommunityCard) -> str:
    lines = [f"【{card.community_name}】公共法律服务"]
    if card.advisors:
        for a in card.advisors:
            firm = f"（{a.firm}）" if a.firm else ""
            lines.append(f"法律顾问：{a.name}{firm} {a.phone}")
            if a.duty_hours:
                lines.append(f"  驻点时间：{a.duty_hours}")
    else:
        lines.append("法律顾问：正在安排中，可先拨打热线咨询")
    st = card.station
    if st is not None:
        lines.append(f"{st.name}：{st.address}")
        if st.hours:
            lines.append(f"  办公时间：{st.hours}")
        if st.phone:
            lines.append(f"  电话：{st.phone}")
    lines.append(f"公共法律服务热线：{card.hotline}")
    if card.url:
        lines.append(f"咨询、预约、法律援助：{card.url}")
    lines.append("直接发文字或语音，也可以向我们提问。")
    return "\n".join(lines)


async def community_card_text(*, community_code: str, board_code: str | None = None) -> str:
    """The community's card as plain text (advisor, phone, hotline, service point)."""
    return card_text(await community_card(community_code=community_code, board_code=board_code))


async def district_contacts_text() -> str:
    """What to tell someone whose board is unknown or retired: the district's desk and the hotline."""
    s = get_settings()
    d = await org.district()
    lines = ["这块公示牌的二维码已停用或不存在。"]
    if d is not None:
        points = await org.service_points_for(d.code)
        if points:
            p = points[0]
            lines.append(f"{p.name}：{p.address}")
            if p.opening_hours:
                lines.append(f"  办公时间：{p.opening_hours}")
            if p.phone:
                lines.append(f"  电话：{p.phone}")
    lines.append(f"公共法律服务热线：{s.hotline}")
    return "\n".join(lines)


async def district_card() -> dict[str, Any]:
    """The district's contacts, for the page of an unknown or retired board."""
    d = await org.district()
    out: dict[str, Any] = {"name": d.name if d else "", "hotline": get_settings().hotline, "point": None}
    if d is not None:
        points = await org.service_points_for(d.code)
        if points:
            out["point"] = _point(points[0])
    return out
