"""Emulated template libraries (template messages and subscription messages) and WeChat's rules for
the values sent in them (47003).

An account knows a template id once it was added: /cgi-bin/template/api_add_template (template
messages), /wxaapi/newtmpl/addtemplate (subscription messages), or /_control/templates in tests.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from app.emulator.api import Refusal, api, authed, body_json, st, wx
from app.emulator.state import AccountState

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SYMBOLS = r"!-/:-@\[-`{-~，。、；：？！“”‘’（）【】《》—…·￥"
# Value rules of typed template keys (the key's prefix before its number, e.g. thing1, phrase3), from
# WeChat's "参数值内容限制说明" for subscription messages: thing 20 characters, phrase 5 Chinese ...
VALUE_RULES: dict[str, re.Pattern[str]] = {
    "thing": re.compile(r"^[^\x00-\x1f\x7f]{1,20}$"),
    "number": re.compile(r"^[0-9]+(\.[0-9]+)?$"),
    "letter": re.compile(r"^[A-Za-z]{1,32}$"),
    "symbol": re.compile(rf"^[{_SYMBOLS}]{{1,5}}$"),
    "character_string": re.compile(rf"^[0-9A-Za-z{_SYMBOLS}]{{1,32}}$"),
    "phone_number": re.compile(r"^[0-9+\-() ]{1,17}$"),
    "car_number": re.compile(rf"^[{_CJK}A-Za-z0-9][A-Za-z0-9]{{0,6}}[{_CJK}A-Za-z0-9]?$"),
    "name": re.compile(rf"^([{_CJK}A-Za-z·]{{1,10}}|[A-Za-z{_SYMBOLS} ]{{1,20}})$"),
    "phrase": re.compile(rf"^[{_CJK}]{{1,5}}$"),
}
NUMBER_MAX = 32


def check_values(data: Any) -> dict[str, Any]:
    """The template data, or Refusal 47003 naming the first value WeChat would refuse (47001 when the shape
    is wrong). Keys without a known type (keyword1, legacy templates) need only a value."""
    if not isinstance(data, dict) or any(not isinstance(v, dict) or "value" not in v for v in data.values()):
        raise Refusal(47001)
    for key, item in data.items():
        value = str(item.get("value", ""))
        kind = re.sub(r"\d+$", "", str(key))
        rule = VALUE_RULES.get(kind)
        bad = not value.strip() or (rule is not None and not rule.match(value))
        if kind == "number" and len(value) > NUMBER_MAX:
            bad = True
        if bad:
            raise Refusal(47003, f"argument invalid! data.{key}.value invalid")
    return data


def known_template(acc: AccountState, template_id: Any, *, subscription: bool) -> str:
    """The template id if the account added it, else Refusal 40037."""
    tid = str(template_id or "")
    if tid not in (acc.sub_templates if subscription else acc.templates):
        raise Refusal(40037)
    return tid


def spend_subscription(acc: AccountState, openid: str, template_id: str) -> None:
    """The resident agreed to this template (43101 if not); a one-time agreement is used up by the send."""
    kind = acc.subscriptions.get((openid, template_id))
    if kind is None:
        raise Refusal(43101)
    if kind == "once":
        del acc.subscriptions[(openid, template_id)]


def _new_template_id() -> str:
    return secrets.token_urlsafe(32)[:43]


@api("POST", "/cgi-bin/template/api_add_template")
async def api_add_template(request: Request) -> Response:
    """Add a template of the industry library to the account's own list: its template_id."""
    acc = authed(request)
    data = await body_json(request)
    if not str(data.get("template_id_short", "")).strip():
        raise Refusal(40037)
    tid = _new_template_id()
    acc.templates.add(tid)
    return wx({"errcode": 0, "errmsg": "ok", "template_id": tid})


@api("POST", "/wxaapi/newtmpl/addtemplate")
async def newtmpl_addtemplate(request: Request) -> Response:
    """Choose a subscription-message template (tid, kidList of 2-5 keywords) for the account: its priTmplId.
    The docs ask for a form body (tid=401&kidList=1&kidList=2); a JSON body is taken too, as SDKs send it."""
    acc = authed(request)
    if request.headers.get("content-type", "").startswith("application/json"):
        data = await body_json(request)
        tid, kids = str(data.get("tid", "")).strip(), data.get("kidList")
    else:
        form = await request.form()
        tid = str(form.get("tid", "")).strip()
        kids = [v for k, v in form.multi_items() if k == "kidList" or k.startswith("kidList[")]
    if not tid:
        raise Refusal(200014, "missing parameter tid")
    one_time = tid.isdigit() and 10_000_001 <= int(tid) < 20_000_000  # new one-time templates take no keywords
    if not isinstance(kids, list) or not (one_time or 2 <= len(kids) <= 5):
        raise Refusal(200020, "invalid kidList")  # undocumented choice: the code of a bad keyword list
    pri = _new_template_id()
    acc.sub_templates.add(pri)
    st(request).record("template_added", {"account_key": acc.account.key, "priTmplId": pri})
    return wx({"errcode": 0, "errmsg": "ok", "priTmplId": pri})
