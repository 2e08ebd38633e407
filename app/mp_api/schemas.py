"""The mini-program API's shapes (pydantic): what the pages send and receive, in the OpenAPI schema."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RequestId = Field(default=None, min_length=4, max_length=40, pattern=r"^[A-Za-z0-9_-]+$",
                  description="chosen by the page per submission; sending it again gives the same case")


class LoginIn(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="wx.login's code (single use, about 5 minutes)")


class LoginOut(BaseModel):
    token: str
    expires_in: int
    resident_id: int
    new_resident: bool


class Ok(BaseModel):
    ok: bool = True


class Advisor(BaseModel):
    name: str
    phone: str
    firm: str = ""
    duty_hours: str = ""


class Point(BaseModel):
    name: str
    address: str
    phone: str = ""
    hours: str = ""
    latitude: float | None = None
    longitude: float | None = None


class Community(BaseModel):
    community_code: str
    community_name: str
    township_code: str | None
    township_name: str
    district_name: str
    board_code: str | None = None
    place: str = ""
    advisors: list[Advisor]
    nearest: Point | None
    station: Point | None
    hotline: str


class MeOut(BaseModel):
    resident_id: int
    name: str
    community: Community | None
    hotline: str
    open_cases: int


class ChooseCommunityIn(BaseModel):
    community_code: str = Field(min_length=1, max_length=32)


class BoardIn(BaseModel):
    scene: str = Field(min_length=1, max_length=64, description="decodeURIComponent(query.scene), e.g. b=JXSQ01")


class CommunityRef(BaseModel):
    code: str
    name: str


class Township(BaseModel):
    code: str
    name: str
    communities: list[CommunityRef]


class AskIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)
    category: str | None = Field(default=None, max_length=32, description="a clarifying choice's category")
    second_turn: bool = False
    request_id: str | None = RequestId


class AskOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    reply: str
    category: str
    category_name: str
    handoff: bool
    urgent: bool
    clarify: list[str] | None = None
    clarify_codes: list[str] | None = None
    statutes: list[str] = []
    intent: str | None = None
    case_number: str | None = None


class HandOverIn(BaseModel):
    text: str = Field(default="", max_length=2000)
    category: str | None = Field(default=None, max_length=32)
    request_id: str | None = RequestId


class HandOverOut(BaseModel):
    reply: str
    case_number: str | None


class CaseItem(BaseModel):
    number: str
    type: str
    type_zh: str
    category: str
    status: str
    status_zh: str
    open: bool
    handler: str
    deadline: str
    result: str
    opened_at: str


class CaseMessage(BaseModel):
    role: str
    text: str
    at: str


class CaseDetail(CaseItem):
    summary: str
    result_at: str
    rating: str
    messages: list[CaseMessage]


class RequestIn(BaseModel):
    kind: Literal["legal_aid", "mediation", "notarization"]
    summary: str = Field(min_length=1, max_length=1500)
    name: str = Field(min_length=1, max_length=32)
    phone: str = Field(min_length=1, max_length=20)
    category: str | None = Field(default=None, max_length=32)
    documents: list[str] = Field(default_factory=list, max_length=10)
    other_party: str = Field(default="", max_length=100)
    request_id: str | None = RequestId


class RequestOut(BaseModel):
    case_number: str
    status_zh: str
    missing: list[str]
    message: str


class Article(BaseModel):
    title: str
    summary: str
    url: str


class SubscriptionsIn(BaseModel):
    scene: str = Field(min_length=1, max_length=24, description="case_accepted, case_result, booking_confirmed, ...")
    results: dict[str, str] = Field(description="wx.requestSubscribeMessage's answer: template id → accept/reject/ban")


class Features(BaseModel):
    """Which optional parts of the mini-program the backend serves now (their pages show when true)."""

    model_config = ConfigDict(extra="allow")

    consult: bool = True
    cases: bool = True
    requests: bool = True
    laws: bool = True
    booking: bool = False
    surveys: bool = False
    articles: bool = False
    catalog: bool = False


AnyDict = dict[str, Any]


# ---- booking (预约) and rating (服务评价) ----

class BookingService(BaseModel):
    code: str
    name: str
    duration: int
    providers: str = ""
    documents: list[str]
    checklist: list[str]
    legal_basis: str = ""


class BookingPoint(BaseModel):
    code: str
    name: str
    kind: str
    kind_zh: str = ""
    address: str
    phone: str = ""
    map_url: str = ""


class BookingSlot(BaseModel):
    slot: str = Field(description="local start, 2026-12-08T09:30: what POST /api/mp/bookings takes")
    label: str
    day: str
    left: int
    provisional: bool = False


SlotKey = Field(min_length=16, max_length=20, pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$",
                description="local start, 2026-12-08T09:30")
Code = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")


class BookIn(BaseModel):
    point: str = Code
    service: str = Code
    slot: str = SlotKey
    name: str = Field(min_length=1, max_length=40)
    phone: str = Field(min_length=1, max_length=20)
    description: str = Field(default="", max_length=300)
    checklist: list[str] = Field(default_factory=list, max_length=10)
    request_id: str | None = RequestId
    board: str | None = Field(default=None, max_length=24)


class MoveIn(BaseModel):
    slot: str = SlotKey


class BookingOut(BaseModel):
    code: str = Field(description="the booking's code, read out at the desk to check in (签到码)")
    status: str
    status_zh: str
    service: str
    service_code: str
    point: str
    point_code: str
    address: str
    point_phone: str = ""
    map_url: str = ""
    starts_at: str
    ends_at: str
    local_time: str
    documents: list[str]
    legal_basis: str = ""
    name: str
    phone: str
    can_change: bool
    upcoming: bool
    created: bool = False


class RatingItem(BaseModel):
    id: int
    type: str
    type_zh: str
    case_number: str = ""
    created_at: str
    expires_at: str
    rated: bool
    level: int | None = None
    level_zh: str = ""
    can_change: bool


class RatingLevel(BaseModel):
    value: int
    label: str
    plain: str


class RatingQuestion(BaseModel):
    id: str
    kind: str
    text: str
    options: list[str]
    min: int
    max: int


class RatingDetail(RatingItem):
    open: bool
    title: str
    intro: str
    levels: list[RatingLevel]
    questions: list[RatingQuestion]
    answers: dict[str, Any]


class RateIn(BaseModel):
    level: int = Field(ge=1, le=5, description="1 非常满意 … 5 非常不满意")
    answers: dict[str, int | str | list[str]] = Field(default_factory=dict, max_length=20)


class RateOut(BaseModel):
    result: str
    message: str
    rating: RatingDetail
