"""The booking domain's rules (预约办事): what other domains, pages, the chat and the API call.

Sub-modules: catalog (services, plans, closures, slots), bookings (book, cancel, move, check-in),
waitlist (候补), reminders, store (the quota row and the lock order), errors.
"""

from __future__ import annotations

from app.booking.service.bookings import (
    CHANNEL_ZH,
    STATUS_ZH,
    Confirmation,
    book,
    cancel,
    check_in,
    confirmation,
    count_by_board,
    day_list,
    find,
    get,
    mark_no_shows,
    move,
    of_resident,
    reminder_times,
)
from app.booking.service.catalog import (
    POINT_KIND_ZH,
    WEEKDAY_ZH,
    FreeSlot,
    PointInfo,
    add_day_change,
    add_plan,
    catalogue_ref,
    day_changes,
    free_slots,
    get_any_service,
    get_service,
    import_demo_plans,
    import_services,
    parse_slot_key,
    plans,
    point,
    points_near,
    remove_day_change,
    remove_plan,
    services,
    slot_label,
    update_plan,
    update_service,
)
from app.booking.service.desk import (
    DayRow,
    booking_in_scope,
    day_rows,
    feed,
    mark_no_show,
    point_in_scope,
    points_in_scope,
    record_shown,
    stats,
    week,
)
from app.booking.service.errors import (
    BadPlan,
    BookingNotFound,
    NotChangeable,
    NotYours,
    OfferGone,
    PlanNotFound,
    SlotFull,
    SlotNotOffered,
    TooLate,
    TooManyBookings,
    UnknownPoint,
    UnknownService,
)
from app.booking.service.figures import UseRow, use_table
from app.booking.service.figures import for_analytics as figures_for_analytics
from app.booking.service.reminders import consent as reminder_consent
from app.booking.service.reminders import fallback_due as reminder_fallback
from app.booking.service.reminders import remind, reminder_log
from app.booking.service.waitlist import claim, expire_holds, join, leave, offer_next, position

__all__ = [
    "DayRow", "booking_in_scope", "day_rows", "feed", "mark_no_show", "point_in_scope", "points_in_scope", "stats",
    "week",
    "CHANNEL_ZH", "POINT_KIND_ZH", "STATUS_ZH", "WEEKDAY_ZH", "BadPlan", "BookingNotFound", "Confirmation",
    "FreeSlot", "NotChangeable", "NotYours", "OfferGone", "PlanNotFound", "PointInfo", "SlotFull", "SlotNotOffered", "TooLate",
    "TooManyBookings", "UnknownPoint", "UnknownService", "add_day_change", "add_plan", "book", "cancel", "catalogue_ref",
    "check_in", "claim", "confirmation", "count_by_board", "day_changes", "day_list", "expire_holds", "find", "free_slots", "get",
    "get_any_service", "get_service", "import_demo_plans", "import_services", "join", "leave", "mark_no_shows", "move",
    "of_resident", "offer_next", "parse_slot_key", "plans", "point", "points_near", "position", "remind",
    "reminder_times", "UseRow", "use_table", "figures_for_analytics", "reminder_consent", "reminder_fallback", "reminder_log", "record_shown", "remove_day_change", "remove_plan", "services", "slot_label", "update_plan", "update_service",
]

# a resident's own bookings (the mini-program's 我的预约)
from app.booking.service.mine import find_for_resident, of_resident_id  # noqa: E402

__all__ += ["find_for_resident", "of_resident_id"]
