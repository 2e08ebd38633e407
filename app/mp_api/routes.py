"""The mini-program's JSON API under /api/mp/ (thin: parse, one service call, return).

Every route but login needs ``Authorization: Bearer <token>`` from POST /api/mp/login and answers
only about the resident of that session. Errors are ``{"error": {"code", "message"}}`` with the
message in Chinese (app/errors.py), never a 500 for bad input.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from app import edge
from app.mp_api import schemas as s
from app.mp_api import service, visits

router = APIRouter(prefix="/api/mp", tags=["miniprogram"])

# The optional parts of the mini-program and the route prefixes that mean the backend serves them
# (their domains are added by other issues; a domain that mounts one of these prefixes lights its
# pages up without a change here).
FEATURE_PREFIXES: dict[str, tuple[str, ...]] = {
    "booking": ("/api/mp/booking", "/api/booking"),
    "surveys": ("/api/mp/ratings", "/api/mp/surveys", "/api/surveys"),
    "articles": ("/api/mp/articles", "/api/articles"),
    "catalog": ("/api/mp/catalog", "/api/catalog"),
}


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def current_session(request: Request) -> service.Session:
    return await service.authenticate(_bearer(request))


Mp = Annotated[service.Session, Depends(current_session)]


@router.post("/login", response_model=s.LoginOut)
async def login(body: s.LoginIn, request: Request) -> Any:
    """wx.login's code → a session token of fawu (WeChat's session_key is never given out)."""
    return await service.login(code=body.code, client=edge.client_key(request))


@router.post("/logout", response_model=s.Ok)
async def logout(session: Mp) -> Any:
    await service.logout(session=session)
    return s.Ok()


@router.get("/features", response_model=s.Features)
async def features(request: Request, session: Mp) -> Any:
    paths = list(request.app.openapi().get("paths", {}))
    return s.Features(**{k: any(p.startswith(pre) for p in paths for pre in prefixes)
                         for k, prefixes in FEATURE_PREFIXES.items()})


@router.get("/me", response_model=s.MeOut)
async def me(session: Mp) -> Any:
    return await service.me(session=session)


@router.get("/communities", response_model=list[s.Township])
async def communities(session: Mp) -> Any:
    return await service.communities()


@router.post("/community", response_model=s.Community)
async def choose_community(body: s.ChooseCommunityIn, session: Mp) -> Any:
    return await service.choose_community(session=session, community_code=body.community_code)


@router.post("/board", response_model=s.Community)
async def open_board(body: s.BoardIn, session: Mp) -> Any:
    """The mini-program was opened by a board's code: remember the board, answer its community."""
    return await service.open_board(session=session, scene=body.scene)


@router.post("/consult/ask", response_model=s.AskOut)
async def ask(body: s.AskIn, request: Request, session: Mp) -> Any:
    return await service.ask(session=session, text=body.text, category=body.category,
                             second_turn=body.second_turn, request_id=body.request_id,
                             client=edge.client_key(request))


@router.post("/consult/handover", response_model=s.HandOverOut)
async def hand_over(body: s.HandOverIn, session: Mp) -> Any:
    return await service.hand_over(session=session, text=body.text, category=body.category,
                                   request_id=body.request_id)


@router.get("/cases", response_model=list[s.CaseItem])
async def my_cases(session: Mp) -> Any:
    return await service.my_cases(session=session)


@router.get("/cases/{number}", response_model=s.CaseDetail)
async def my_case(number: Annotated[str, Path(max_length=24, pattern=r"^[A-Za-z0-9-]+$")], session: Mp) -> Any:
    return await service.my_case(session=session, number=number)


@router.get("/requests/forms")
async def request_forms(session: Mp) -> dict[str, Any]:
    """Each request's title, the law it rests on, and its document checklist."""
    return service.request_forms()


@router.post("/requests", response_model=s.RequestOut)
async def submit_request(body: s.RequestIn, session: Mp) -> Any:
    return await service.submit_request(session=session, kind=body.kind, summary=body.summary, name=body.name,
                                        phone=body.phone, category=body.category, documents=body.documents,
                                        other_party=body.other_party, request_id=body.request_id)


@router.get("/articles", response_model=list[s.Article])
async def articles(session: Mp) -> Any:
    """普法文章 for the resident's township (the push domain's published articles)."""
    return await service.articles(session=session)


@router.get("/subscriptions")
async def subscriptions(session: Mp) -> dict[str, Any]:
    """Moment → {template_id, status, remaining}: which templates to ask for, and what was allowed."""
    return await service.subscriptions(session=session)


@router.post("/subscriptions")
async def record_subscriptions(body: s.SubscriptionsIn, session: Mp) -> dict[str, Any]:
    return await service.record_subscriptions(session=session, scene=body.scene, results=body.results)


# ---- booking (预约): services, points, free slots, book, my bookings, cancel, move ----

BookingCode = Annotated[str, Path(max_length=12, pattern=r"^[A-Za-z0-9]+$")]


@router.get("/booking/services", response_model=list[s.BookingService])
async def booking_services(session: Mp) -> Any:
    return await visits.booking_services()


@router.get("/booking/points", response_model=list[s.BookingPoint])
async def booking_points(session: Mp) -> Any:
    """Service points, the resident's own community's, township's and the centre first."""
    community_code, _, _ = await service.community_of(session)
    return await visits.booking_points(community_code=community_code)


@router.get("/booking/slots", response_model=list[s.BookingSlot])
async def booking_slots(session: Mp, point: Annotated[str, Query(min_length=1, max_length=32)],
                        code: Annotated[str, Query(alias="service", min_length=1, max_length=32)]) -> Any:
    return await visits.booking_slots(point=point, service=code)


@router.post("/bookings", response_model=s.BookingOut, status_code=201)
async def book(body: s.BookIn, session: Mp) -> Any:
    return await visits.book(resident_id=session.resident_id, mp_openid=session.openid, point=body.point,
                             service=body.service, slot=body.slot, name=body.name, phone=body.phone,
                             description=body.description, checklist=body.checklist, request_id=body.request_id,
                             board=body.board, mp_account_key=session.account_key)


@router.get("/bookings", response_model=list[s.BookingOut])
async def my_bookings(session: Mp) -> Any:
    return await visits.my_bookings(resident_id=session.resident_id)


@router.get("/bookings/{code}", response_model=s.BookingOut)
async def my_booking(code: BookingCode, session: Mp) -> Any:
    return await visits.booking(resident_id=session.resident_id, code=code)


@router.post("/bookings/{code}/cancel", response_model=s.BookingOut)
async def cancel_booking(code: BookingCode, session: Mp) -> Any:
    return await visits.cancel_booking(resident_id=session.resident_id, code=code)


@router.post("/bookings/{code}/move", response_model=s.BookingOut)
async def move_booking(code: BookingCode, body: s.MoveIn, session: Mp) -> Any:
    return await visits.move_booking(resident_id=session.resident_id, code=code, slot=body.slot)


# ---- rating (服务评价, 好差评) ----

@router.get("/ratings", response_model=list[s.RatingItem])
async def ratings(session: Mp) -> Any:
    """The resident's finished services that may be rated (or were)."""
    return await visits.ratings(resident_id=session.resident_id)


@router.get("/ratings/{invitation_id}", response_model=s.RatingDetail)
async def rating(invitation_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: Mp) -> Any:
    return await visits.rating(resident_id=session.resident_id, invitation_id=invitation_id)


@router.post("/ratings/{invitation_id}", response_model=s.RateOut)
async def rate(invitation_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: s.RateIn, session: Mp) -> Any:
    return await visits.rate(resident_id=session.resident_id, invitation_id=invitation_id, level=body.level,
                             answers=body.answers)
