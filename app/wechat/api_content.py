"""Content endpoints of the WeChat client: drafts, material, QR codes, mini-program, menus, users, tags."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from app.config import Settings
from app.matrix.service import Account
from app.wechat.errors import InvalidRequest, WeChatAPIError

WXACODE_SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")


class ContentAPI:
    """Mixed into WeChatClient: content, QR codes, mini-program, menus, users and tags."""

    if TYPE_CHECKING:  # provided by WeChatClient (app.wechat.client)
        settings: Settings
        mass_chunk_size: int

        def account(self, account_key: str) -> Account: ...
        def miniprogram(self) -> Account: ...
        async def call(self, account_key: str, method: str, path: str, *, params: dict[str, Any] | None = None,
                       json: Any = None, files: Any = None, binary: bool = False, with_token: bool = True,
                       openid: str | None = None) -> Any: ...

    # ---- drafts, publishing, material ----
    async def draft_add(self, account_key: str, articles: list[dict[str, Any]]) -> str:
        data = await self.call(account_key, "POST", "/cgi-bin/draft/add", json={"articles": articles})
        return str(data["media_id"])

    async def draft_update(self, account_key: str, media_id: str, index: int, article: dict[str, Any]) -> dict:
        return await self.call(account_key, "POST", "/cgi-bin/draft/update",
                               json={"media_id": media_id, "index": index, "articles": article})

    async def freepublish_submit(self, account_key: str, media_id: str) -> dict:
        return await self.call(account_key, "POST", "/cgi-bin/freepublish/submit", json={"media_id": media_id})

    async def material_upload(self, account_key: str, *, media_type: str, filename: str, content: bytes,
                              content_type: str = "image/png") -> dict:
        """Upload permanent material (image, voice, video, thumb); returns media_id (and url for images)."""
        return await self.call(account_key, "POST", "/cgi-bin/material/add_material", params={"type": media_type},
                               files={"media": (filename, content, content_type)})

    # ---- QR codes ----
    async def create_qrcode(self, account_key: str, *, scene_str: str | None = None, scene_id: int | None = None,
                            permanent: bool = True, expire_seconds: int | None = None) -> dict:
        """A parametric QR code: returns ticket, url and (temporary codes) expire_seconds."""
        if (scene_str is None) == (scene_id is None):
            raise InvalidRequest(40097, "give exactly one of scene_str and scene_id", account_key=account_key,
                                 endpoint="cgi-bin/qrcode/create")
        if scene_str is not None:
            action = "QR_LIMIT_STR_SCENE" if permanent else "QR_STR_SCENE"
            scene: dict[str, Any] = {"scene_str": scene_str}
        else:
            action = "QR_LIMIT_SCENE" if permanent else "QR_SCENE"
            scene = {"scene_id": scene_id}
        body: dict[str, Any] = {"action_name": action, "action_info": {"scene": scene}}
        if not permanent and expire_seconds is not None:
            body["expire_seconds"] = expire_seconds
        return await self.call(account_key, "POST", "/cgi-bin/qrcode/create", json=body)

    def qrcode_image_url(self, ticket: str) -> str:
        base = self.settings.wechat_api_base
        if "api.weixin.qq.com" in base:
            return f"https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket={quote(ticket)}"
        return f"{base}/cgi-bin/showqrcode?ticket={quote(ticket)}"

    # ---- mini-program ----
    async def get_wxacode_unlimited(self, *, scene: str, page: str, width: int = 430, check_path: bool = False,
                                    env_version: str = "release") -> bytes:
        """The mini-program code PNG for a scene (≤ 32 visible characters of WeChat's charset)."""
        if not WXACODE_SCENE_RE.match(scene):
            raise InvalidRequest(40097, "invalid scene (1-32 chars of [0-9A-Za-z!#$&'()*+,/:;=?@-._~])",
                                 endpoint="wxa/getwxacodeunlimit")
        body = {"scene": scene, "page": page, "width": width, "check_path": check_path, "env_version": env_version}
        return await self.call(self.miniprogram().key, "POST", "/wxa/getwxacodeunlimit", json=body, binary=True)

    async def jscode2session(self, js_code: str) -> dict:
        mp = self.miniprogram()
        return await self.call(mp.key, "GET", "/sns/jscode2session", with_token=False, params={
            "appid": mp.appid, "secret": mp.secret, "js_code": js_code, "grant_type": "authorization_code"})

    # ---- menu, users, tags ----
    async def menu_create(self, account_key: str, menu: list[dict[str, Any]] | dict[str, Any]) -> dict:
        body = menu if isinstance(menu, dict) else {"button": menu}
        return await self.call(account_key, "POST", "/cgi-bin/menu/create", json=body)

    async def menu_get(self, account_key: str) -> dict | None:
        """The current menu ({"menu": {"button": [...]}}), or None when the account has none (46003)."""
        try:
            return await self.call(account_key, "GET", "/cgi-bin/menu/get")
        except WeChatAPIError as exc:
            if exc.errcode == 46003:
                return None
            raise

    async def menu_delete(self, account_key: str) -> dict:
        return await self.call(account_key, "GET", "/cgi-bin/menu/delete")

    async def media_upload(self, account_key: str, *, media_type: str, filename: str, content: bytes,
                           content_type: str = "image/jpeg") -> dict:
        """Upload temporary media (kept 3 days by WeChat): returns type, media_id (thumb_media_id), created_at."""
        return await self.call(account_key, "POST", "/cgi-bin/media/upload", params={"type": media_type},
                               files={"media": (filename, content, content_type)})

    async def user_list(self, account_key: str, next_openid: str = "") -> dict:
        """One page (up to 10,000) of the followers' openids: total, count, data.openid, next_openid."""
        params = {"next_openid": next_openid} if next_openid else None
        return await self.call(account_key, "GET", "/cgi-bin/user/get", params=params)

    async def user_info(self, account_key: str, openid: str, lang: str = "zh_CN") -> dict:
        return await self.call(account_key, "GET", "/cgi-bin/user/info", params={"openid": openid, "lang": lang})

    async def user_batchget(self, account_key: str, openids: list[str], lang: str = "zh_CN") -> list[dict]:
        out: list[dict] = []
        for i in range(0, len(openids), 100):
            data = await self.call(account_key, "POST", "/cgi-bin/user/info/batchget", json={
                "user_list": [{"openid": o, "lang": lang} for o in openids[i:i + 100]]})
            out.extend(data.get("user_info_list", []))
        return out

    async def tags_create(self, account_key: str, name: str) -> dict:
        data = await self.call(account_key, "POST", "/cgi-bin/tags/create", json={"tag": {"name": name}})
        return data["tag"]

    async def tags_get(self, account_key: str) -> list[dict]:
        data = await self.call(account_key, "GET", "/cgi-bin/tags/get")
        return list(data.get("tags", []))

    async def tags_delete(self, account_key: str, tag_id: int) -> None:
        """Delete a tag (its followers keep following; WeChat refuses the reserved tags 0, 1 and 2)."""
        await self.call(account_key, "POST", "/cgi-bin/tags/delete", json={"tag": {"id": tag_id}})

    async def tags_members_batchtagging(self, account_key: str, tag_id: int, openids: list[str]) -> None:
        for i in range(0, len(openids), 50):
            await self.call(account_key, "POST", "/cgi-bin/tags/members/batchtagging",
                            json={"openid_list": openids[i:i + 50], "tagid": tag_id})


