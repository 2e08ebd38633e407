"""Board codes and QR scenes: ``board:<CODE>`` (official account, ≤ 64) and ``b=<CODE>`` (mini-program, ≤ 32)."""

from __future__ import annotations

import re

from app.boards.service.errors import (
    InvalidBoardCode,
    InvalidScene,
)
from app.config import get_settings

BOARD_CODE_RE = re.compile(r"^[A-Za-z0-9]{3,24}$")
OFFICIAL_PREFIX = "board:"  # official-account QR scene: board:<CODE> (QR_LIMIT_STR_SCENE)
MP_PREFIX = "b="  # mini-program code scene: b=<CODE> (getwxacodeunlimit)
OFFICIAL_SCENE_MAX = 64
MP_SCENE_MAX = 32
MP_SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]+$")
MP_PAGE = "pages/community/index"
KINDS = ("url", "official", "miniprogram")
KIND_ZH = {"url": "网址二维码", "official": "公众号二维码", "miniprogram": "小程序码"}
EVENT_ZH = {"view": "打开页面", "subscribe": "扫码关注", "scan": "已关注扫码", "open": "打开小程序"}


def validate_board_code(code: str) -> str:
    """The board code as printed in a QR: 3–24 ASCII letters or digits."""
    if not isinstance(code, str) or not BOARD_CODE_RE.match(code):
        raise InvalidBoardCode(f"公示牌编号 {code!r} 不合格：只能是 3–24 位英文字母或数字。", board_code=str(code))
    return code


def official_scene(board_code: str) -> str:
    """The permanent QR's scene_str, ``board:<CODE>``; 1–64 characters (QR_LIMIT_STR_SCENE)."""
    validate_board_code(board_code)
    scene = OFFICIAL_PREFIX + board_code
    if len(scene) > OFFICIAL_SCENE_MAX:
        raise InvalidScene(f"公众号二维码场景值 {scene!r} 超过 {OFFICIAL_SCENE_MAX} 个字符。", scene=scene)
    return scene


def mp_scene(board_code: str) -> str:
    """The mini-program code's scene, ``b=<CODE>``; ≤ 32 characters from WeChat's charset."""
    validate_board_code(board_code)
    return validate_mp_scene(MP_PREFIX + board_code)


def validate_mp_scene(scene: str) -> str:
    if not scene or len(scene) > MP_SCENE_MAX:
        raise InvalidScene(f"小程序码场景值 {scene!r} 须为 1–{MP_SCENE_MAX} 个字符（现为 {len(scene)} 个）。",
                           scene=scene)
    if not MP_SCENE_RE.match(scene):
        raise InvalidScene(f"小程序码场景值 {scene!r} 含有微信不允许的字符（只允许字母、数字和 !#$&'()*+,/:;=?@-._~）。",
                           scene=scene)
    return scene


def board_code_from_scene(scene: str | None) -> str | None:
    """The board code in an official-account or mini-program scene (qrscene_ prefix tolerated)."""
    if not scene:
        return None
    if scene.startswith("qrscene_"):
        scene = scene[len("qrscene_"):]
    for prefix in (OFFICIAL_PREFIX, MP_PREFIX):
        if scene.startswith(prefix):
            code = scene[len(prefix):]
            return code if BOARD_CODE_RE.match(code) else None
    return None


def landing_url(board_code: str) -> str:
    """The public landing page of a board: ``{public_base_url}/s/{code}``."""
    validate_board_code(board_code)
    return f"{get_settings().public_base_url}/s/{board_code}"
