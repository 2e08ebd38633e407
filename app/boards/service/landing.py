"""The landing page /s/{code}: its content, its buttons and its consultation form."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from app.boards.service.boards import account_for_board, get_active_board
from app.boards.service.cards import (
    CommunityCard,
    community_card,
)
from app.boards.service.errors import (
    BadForm,
    NoAccount,
    UnknownAction,
)
from app.boards.service.scans import record_scan, visitor_hash
from app.cases import service as cases_service
from app.consult import service as consult_service
from app.core import pii
from app.core.actor import SYSTEM
from app.errors import InvalidInput
from app.org import service as org
from app.push import service as push_service

# The buttons of the landing page: (key, label, the path of the feature when it exists).
ACTIONS: list[tuple[str, str, str]] = [
    ("consult", "在线法律咨询", "/consult"),
    ("booking", "预约办事", "/booking"),
    ("legal-aid", "申请法律援助", "/legal-aid"),
    ("mediation", "申请人民调解", "/mediation"),
    ("articles", "本镇街普法文章", "/articles"),
]
ACTION_PATHS = {k: p for k, _, p in ACTIONS}
ACTION_LABELS = {k: label for k, label, _ in ACTIONS}


@dataclass
class Landing:
    board_code: str
    place: str
    card: CommunityCard
    account_name: str  # the official account residents can follow for this board
    in_wechat: bool
    articles: list[dict[str, str]] = field(default_factory=list)  # the latest 普法文章 for this township


async def landing(*, board_code: str, visitor: str, in_wechat: bool, record: bool = True,
                  client: str = "") -> Landing:
    """The landing page's content; records the view as a scan (kind url, a hashed random cookie and
    the hashed client address only; one client's repeated views count once, see record_scan)."""
    board = await get_active_board(board_code)
    if record:
        await record_scan(board_code=board.code, kind="url", event="view",
                          visitor=visitor_hash(f"web:{visitor}"), client=client)
    card = await community_card(community_code=board.community.code, board_code=board.code)
    account_name = ""
    try:
        account_name = (await account_for_board(board)).display_name
    except (NoAccount, RuntimeError):  # no matrix loaded: the page works without the follow block
        account_name = ""
    info = await org.unit_info(board.community.code)
    articles = await push_service.latest_for_board(township_code=info.township_code)
    return Landing(board_code=board.code, place=board.place, card=card, account_name=account_name,
                   in_wechat=in_wechat, articles=articles)


async def action_target(*, board_code: str, action: str) -> tuple[Any, str, dict[str, str]]:
    """A landing-page button: (board, the feature's path, the query carrying board, community, township)."""
    board = await get_active_board(board_code)
    if action not in ACTION_PATHS:
        raise UnknownAction()
    info = await org.unit_info(board.community.code)
    query = {"board": board.code, "community": info.code, "township": info.township_code or ""}
    return board, ACTION_PATHS[action], query


def form_token(visitor: str, board_code: str) -> str:
    """The landing forms' anti-forgery token, bound to the visitor cookie and the board."""
    return visitor_hash(f"form:{visitor}:{board_code}")


async def web_consult(*, board_code: str, text: str, visitor: str, token: str, client: str = "",
                      previous: str = "", related: list[str] | None = None) -> Any:
    """A question asked on the landing page's form, answered by the consultation (board carried).
    "1"/"2" (or a related-question button) opens one of the related questions the last answer
    offered (``related``: their entry ids; ``previous``: that question)."""
    board = await get_active_board(board_code)
    if not visitor or not hmac.compare_digest(token or "", form_token(visitor, board.code)):
        raise BadForm()
    text = (text or "").strip()
    pick = text.translate(str.maketrans("１２３", "123"))
    if related and pick in {str(i) for i in range(1, len(related) + 1)}:
        info = await org.unit_info(board.community.code)
        answer = await consult_service.answer_entry(related[int(pick) - 1], text=previous,
                                                    community_code=info.code, township_code=info.township_code)
        if answer is not None:
            return answer
    if not text:
        raise InvalidInput("请先写下您的问题。")
    if len(text) > 500:
        raise InvalidInput("问题请控制在 500 字以内；内容较多时请拨打 12348。")
    info = await org.unit_info(board.community.code)
    return await consult_service.ask(text, channel="web", community_code=info.code, township_code=info.township_code,
                                     board_code=board.code, client=client)


async def web_handover(*, board_code: str, visitor: str, token: str, question: str, phone: str,
                       consent: bool) -> Any:
    """The web form's 转人工: a real case for the board's community, the resident found (or recorded)
    by the phone they left, with their consent to be called back. Returns the case."""
    board = await get_active_board(board_code)
    if not visitor or not hmac.compare_digest(token or "", form_token(visitor, board.code)):
        raise BadForm()
    question = (question or "").strip()[:500]
    if not question:
        raise InvalidInput("请先写下您的问题。")
    if not consent:
        raise InvalidInput("工作人员需要电话联系您，请勾选同意后再提交；也可以直接拨打 12348。")
    pii.normalize_phone(phone)
    info = await org.unit_info(board.community.code)
    resident = await cases_service.record_resident(actor=SYSTEM, name="", phone=phone, community_code=info.code,
                                                   township_code=info.township_code)

    answer = await consult_service.ask(question, channel="web", community_code=info.code,
                                       township_code=info.township_code, board_code=board.code,
                                       resident_id=resident.id, record=False)
    h = await cases_service.open_or_join_handover(
        resident_id=resident.id, channel="web", matter=[question], category=answer.category, urgent=answer.urgent,
        community_code=info.code, township_code=info.township_code, board_code=board.code,
        conversation=[{"role": "resident", "text": question}], contact_consent=True)
    return h.case
