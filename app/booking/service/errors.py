"""The booking domain's errors, each with the Chinese message the resident or staff member reads."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, InvalidInput, NotFound


class UnknownService(NotFound):
    code = "booking_unknown_service"
    message_zh = "没有找到该预约服务，请重新选择。"


class UnknownPoint(NotFound):
    code = "booking_unknown_point"
    message_zh = "没有找到该服务点，请重新选择。"


class BookingNotFound(NotFound):
    code = "booking_not_found"
    message_zh = "没有找到该预约，请核对预约码和手机号。"


class SlotNotOffered(InvalidInput):
    code = "booking_slot_not_offered"
    message_zh = "该时段不能预约（已过、临近开始、超出可预约天数或不在排班内），请重新选择时间。"


class SlotFull(Conflict):
    """The slot has no place left; ``details["next"]`` lists the next free slots."""

    code = "booking_full"
    message_zh = "已约满：该时段的名额刚刚被约完。"


class TooManyBookings(Conflict):
    code = "booking_too_many"
    message_zh = "您已有多个尚未到期的预约，请先办理或取消后再预约。"


class TooLate(Conflict):
    code = "booking_too_late"
    message_zh = "距离预约开始时间太近，不能在线取消或改约，请致电服务点。"


class NotChangeable(Conflict):
    code = "booking_not_changeable"
    message_zh = "该预约已取消、已改约或已办理，不能再更改。"


class NotYours(Forbidden):
    code = "booking_not_yours"
    message_zh = "手机号与预约不一致，不能更改该预约。"


class BadPlan(InvalidInput):
    code = "booking_bad_plan"
    message_zh = "排班填写有误，请检查后重试。"


class OfferGone(Conflict):
    code = "booking_offer_gone"
    message_zh = "为您保留的名额已过期或已被领取。"


class PlanNotFound(NotFound):
    code = "booking_plan_not_found"
    message_zh = "没有找到该排班（或不属于您的服务点）。"
