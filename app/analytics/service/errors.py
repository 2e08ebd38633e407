"""The analytics domain's errors (Chinese for staff)."""

from __future__ import annotations

from app.errors import Conflict, FawuError, InvalidInput, NotFound


class AnalyticsError(FawuError):
    code = "analytics_error"
    message_zh = "统计暂时无法完成，请稍后再试。"


class PlaceNotFound(NotFound):
    code = "analytics_place_not_found"
    message_zh = "没有找到该地区，或您无权查看该地区的统计。"


class BadFilter(InvalidInput):
    code = "analytics_bad_filter"
    message_zh = "统计条件不正确，请重新选择。"


class WarningNotFound(NotFound):
    code = "analytics_warning_not_found"
    message_zh = "没有找到该预警，或您无权查看。"


class WarningStateError(Conflict):
    code = "analytics_warning_state"
    message_zh = "该预警当前状态下不能执行此操作。"


class NoteRequired(InvalidInput):
    code = "analytics_note_required"
    message_zh = "请填写处理情况。"
