"""The mini-program's JSON API under /api/mp/ (thin: parse, one service call, return).

Every route but login needs ``Authorization: Bearer <token>`` from POST /api/mp/login and answers
only about the resident of that session. Errors are ``{"error": {"code", "message"}}`` with the
message in Chinese (app/errors.py), never a 500 for bad input.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from app import edge
from app.mp_api import schemas as s
from app.mp_api import service

router = APIRouter(prefix="/api/mp", tags=["miniprogram"])

# The optional parts of the mini-program and the route prefixes that mean the backend serves them
# (their domains are added by other issues; a domain that mounts one of these prefixes lights its
# pages up without a change here).
FEATURE_PREFIXES: dict[str, tuple[str, ...]] = {
    "booking": ("/api/mp/booking", "/api/booking"),
    "surveys": ("/api/mp/surveys", "/api/surveys"),
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
