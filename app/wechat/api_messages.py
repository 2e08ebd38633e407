"""Message endpoints of the WeChat client: customer-service, templates, subscriptions, mass sends."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from app.config import Settings
from app.core import metrics
from app.matrix.service import Account
from app.wechat import quotas, windows
from app.wechat.errors import InvalidRequest, WeChatAPIError, WindowClosed, error_for

MASS_CHUNK_MAX = 10_000
MASS_CHUNK_MIN = 2


def split_openids(openids: list[str], size: int = MASS_CHUNK_MAX) -> list[list[str]]:
    """Split a de-duplicated OpenID list into chunks of 2..size (WeChat refuses 1 or more than 10,000)."""
    unique = list(dict.fromkeys(openids))
    if len(unique) < MASS_CHUNK_MIN:
        raise InvalidRequest(40130, "invalid openid list size, at least two openid", endpoint="mass/send")
    chunks = [unique[i:i + size] for i in range(0, len(unique), size)]
    if len(chunks) > 1 and len(chunks[-1]) < MASS_CHUNK_MIN:
        chunks[-1].insert(0, chunks[-2].pop())
    return chunks


def _article(a: Any) -> dict[str, str]:
    get = a.get if isinstance(a, dict) else (lambda k, d="": getattr(a, k, d))
    return {"title": str(get("title", "")), "description": str(get("description", "")),
            "url": str(get("url", "")), "picurl": str(get("picurl", "") or get("image", ""))}


class MessagesAPI:
    """Mixed into WeChatClient: sending messages."""

    if TYPE_CHECKING:  # provided by WeChatClient (app.wechat.client)
        settings: Settings
        mass_chunk_size: int

        def account(self, account_key: str) -> Account: ...
        def miniprogram(self) -> Account: ...
        async def call(self, account_key: str, method: str, path: str, *, params: dict[str, Any] | None = None,
                       json: Any = None, files: Any = None, binary: bool = False, with_token: bool = True,
                       openid: str | None = None) -> Any: ...

    # ---- customer-service messages ----
    async def _custom(self, account_key: str, openid: str, message: dict[str, Any], enforce_window: bool) -> dict:
        if enforce_window:
            reason = await windows.closed_reason(account_key=account_key, openid=openid)
            if reason is not None:
                raise WindowClosed(reason, "customer-service window closed (checked before the call)",
                                   endpoint="cgi-bin/message/custom/send", account_key=account_key)
        return await self.call(account_key, "POST", "/cgi-bin/message/custom/send",
                               json={"touser": openid, **message}, openid=openid)

    async def send_custom_text(self, account_key: str, openid: str, content: str, *,
                               enforce_window: bool = True) -> dict:
        return await self._custom(account_key, openid, {"msgtype": "text", "text": {"content": content}},
                                  enforce_window)

    async def send_custom_news(self, account_key: str, openid: str, articles: list[Any], *,
                               enforce_window: bool = True) -> dict:
        """A news message (WeChat shows one article in customer-service news)."""
        items = [_article(a) for a in articles][:1]
        return await self._custom(account_key, openid, {"msgtype": "news", "news": {"articles": items}},
                                  enforce_window)

    async def send_custom_miniprogram(self, account_key: str, openid: str, title: str, pagepath: str,
                                      thumb_media_id: str, *, enforce_window: bool = True) -> dict:
        card = {"title": title, "appid": self.miniprogram().appid, "pagepath": pagepath,
                "thumb_media_id": thumb_media_id}
        return await self._custom(account_key, openid, {"msgtype": "miniprogrampage", "miniprogrampage": card},
                                  enforce_window)

    # ---- templates and subscription notifications ----
    async def send_template(self, account_key: str, openid: str, template_id: str, data: dict[str, Any],
                            url: str | None = None, miniprogram: dict[str, str] | None = None) -> dict:
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": _values(data)}
        if url:
            body["url"] = url
        if miniprogram:
            body["miniprogram"] = miniprogram
        return await self.call(account_key, "POST", "/cgi-bin/message/template/send", json=body)

    async def send_subscribe_bizsend(self, account_key: str, openid: str, template_id: str,
                                     data: dict[str, Any], page: str | None = None) -> dict:
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": _values(data)}
        if page:
            body["page"] = page
        return await self.call(account_key, "POST", "/cgi-bin/message/subscribe/bizsend", json=body)

    async def mp_subscribe_send(self, openid: str, template_id: str, data: dict[str, Any],
                                page: str | None = None, miniprogram_state: str = "formal") -> dict:
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": _values(data),
                                "miniprogram_state": miniprogram_state, "lang": "zh_CN"}
        if page:
            body["page"] = page
        return await self.call(self.miniprogram().key, "POST", "/cgi-bin/message/subscribe/send", json=body)

    # ---- mass sends ----
    async def mass_send_by_tag(self, account_key: str, *, msgtype: str, body: dict[str, Any],
                               tag_id: int | None = None, is_to_all: bool = False, clientmsgid: str | None = None,
                               send_ignore_reprint: bool = False) -> dict:
        """Mass send to a tag (or everyone); the quota is checked first and the send recorded."""
        account = self.account(account_key)
        target = "all" if is_to_all else "tag"
        refusal = await quotas.mass_refusal(account=account, target=target)
        if refusal is not None:
            raise _local(refusal, account_key, "cgi-bin/message/mass/sendall")
        flt: dict[str, Any] = {"is_to_all": is_to_all}
        if not is_to_all:
            flt["tag_id"] = tag_id
        clientmsgid = clientmsgid or secrets.token_hex(12)
        payload = {"filter": flt, "msgtype": msgtype, msgtype: body,
                   "send_ignore_reprint": int(send_ignore_reprint), "clientmsgid": clientmsgid}
        data = await self.call(account_key, "POST", "/cgi-bin/message/mass/sendall", json=payload)
        await quotas.record_mass_send(account_key=account_key, target=target, result=data, clientmsgid=clientmsgid,
                                      msgtype=msgtype, tag_id=tag_id)
        return data

    async def mass_send_by_openids(self, account_key: str, *, openids: list[str], msgtype: str,
                                   body: dict[str, Any], clientmsgid: str | None = None,
                                   send_ignore_reprint: bool = False) -> list[dict]:
        """Mass send to an OpenID list in chunks of 2..10,000 (one clientmsgid each).

        Verified service accounts only; followers who already had 4 mass sends this month are left
        out before the call. Returns one result per chunk (msg_id, msg_data_id, clientmsgid, count).
        """
        account = self.account(account_key)
        endpoint = "cgi-bin/message/mass/send"
        refusal = await quotas.mass_refusal(account=account, target="openids")
        if refusal is not None:
            raise _local(refusal, account_key, endpoint)
        eligible = await quotas.eligible_openids(account_key=account_key, openids=openids)
        if not eligible:
            raise _local(45028, account_key, endpoint)
        base = (clientmsgid or secrets.token_hex(12))[:56]
        results: list[dict] = []
        for i, chunk in enumerate(split_openids(eligible, self.mass_chunk_size)):
            cid = f"{base}-{i}"
            payload = {"touser": chunk, "msgtype": msgtype, msgtype: body,
                       "send_ignore_reprint": int(send_ignore_reprint), "clientmsgid": cid}
            data = await self.call(account_key, "POST", "/cgi-bin/message/mass/send", json=payload)
            await quotas.record_mass_send(account_key=account_key, target="openids", result=data, clientmsgid=cid,
                                          msgtype=msgtype, openids=chunk)
            results.append({"msg_id": data.get("msg_id"), "msg_data_id": data.get("msg_data_id"),
                            "clientmsgid": cid, "count": len(chunk)})
        return results

    async def mass_preview(self, account_key: str, *, openid: str, msgtype: str, body: dict[str, Any]) -> dict:
        """Send a mass message to one follower to check it (100 a day; not counted as a mass send)."""
        return await self.call(account_key, "POST", "/cgi-bin/message/mass/preview",
                               json={"touser": openid, "msgtype": msgtype, msgtype: body})

    async def mass_get(self, account_key: str, msg_id: int | str) -> dict:
        return await self.call(account_key, "POST", "/cgi-bin/message/mass/get", json={"msg_id": int(msg_id)})


def _values(data: dict[str, Any]) -> dict[str, Any]:
    """Template data as WeChat wants it: {"key": {"value": ...}} (plain values are wrapped)."""
    return {k: (v if isinstance(v, dict) else {"value": str(v)}) for k, v in data.items()}


def _local(code: int, account_key: str, endpoint: str) -> WeChatAPIError:
    """An error found before calling (quota or permission), with the code WeChat would have given."""
    texts = {48001: "api unauthorized (checked before the call)",
             45028: "has no masssend quota (checked before the call)"}
    exc = error_for(code, texts.get(code, ""), endpoint=endpoint, account_key=account_key)
    metrics.wechat_api_errors.labels(account_key, endpoint, f"local:{code}").inc()
    return exc


