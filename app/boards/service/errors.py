"""The boards domain's errors (each with a Chinese message for residents and staff)."""

from __future__ import annotations

from app.errors import Conflict, FawuError, InvalidInput, NotFound


class BoardsError(FawuError):
    code = "boards_error"
    message_zh = "公示牌操作未能完成，请稍后再试。"


class UnknownBoard(NotFound):
    code = "board_unknown"
    message_zh = "没有找到这块公示牌，它可能已经撤除。"


class InvalidBoardCode(InvalidInput):
    code = "board_code_invalid"
    message_zh = "公示牌编号只能是 3–24 位英文字母或数字。"


class InvalidScene(InvalidInput):
    code = "board_scene_invalid"
    message_zh = "二维码场景值不符合微信的要求。"


class QrLimitReached(Conflict):
    code = "board_qr_limit"
    message_zh = "该公众号的永久二维码已达 100000 个上限，无法再生成。"


class NoAccount(BoardsError):
    code = "board_no_account"
    message_zh = "没有找到可用于生成二维码的公众号或小程序，请检查账号矩阵配置。"


class BoardsImportError(InvalidInput):
    code = "boards_import_invalid"
    message_zh = "公示牌文件有误，未添加任何内容。"


class UnknownAction(NotFound):
    code = "board_action_unknown"
    message_zh = "没有这项服务。"


class BadForm(InvalidInput):
    code = "board_form_invalid"
    message_zh = "页面已过期，请返回重新打开后再提交。"
