"""``fawu menus push``: every account's menu from matrix_accounts/, placeholders filled, through the client."""

from __future__ import annotations

from typing import Any

from app.matrix.service import load_matrix, set_matrix
from app.wechat.client import get_client
from app.wechat.commands import fill_placeholders, push_menus


def test_fill_placeholders() -> None:
    menu = [{"name": "a", "sub_button": [{"type": "view", "url": "{public_base_url}/laws"}]}]
    assert fill_placeholders(menu, "https://fawu.example.gov.cn/")[0]["sub_button"][0]["url"] == \
        "https://fawu.example.gov.cn/laws"


async def test_menus_push_publishes_every_account(db: None, settings: Any, emulator: Any) -> None:
    matrix = load_matrix(settings.matrix_dir)
    set_matrix(matrix)
    try:
        results = dict(await push_menus())
        with_menu = [a.key for a in matrix.official_accounts() if a.menu]
        assert with_menu and all(results[k] == "ok" for k in with_menu)
        for key in with_menu:
            menu = emulator.by_key(key).menu
            assert "{public_base_url}" not in str(menu)
        district = await get_client().menu_get("yx_district")
        assert district is not None
        urls = [b.get("url") for top in district["menu"]["button"] for b in top.get("sub_button", [top])]
        assert f"{settings.public_base_url}/laws" in urls
        assert len(emulator.sent["menu"]) == len(with_menu)
    finally:
        set_matrix(None)
