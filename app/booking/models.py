"""Booking tables: services, weekly plans, closures/extra sessions, the per-slot quota row (the lock
that keeps a slot from being given twice), bookings, the waiting list and the per-resident counter."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class BookingService(Model):
    """A service residents book (法律咨询, 法律援助受理, 人民调解, 公证咨询 ...), from content/booking."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=40)
    duration = fields.IntField(default=30)  # minutes
    buffer = fields.IntField(default=0)  # minutes between two appointments
    capacity = fields.IntField(default=1)  # per provider and slot, the default of new plans
    providers = fields.CharField(max_length=100, default="")  # who gives it: 律师, 法律顾问, 调解员, 公证员
    documents: fields.JSONField[list[str]] = fields.JSONField(default=list)  # what to bring
    checklist: fields.JSONField[list[str]] = fields.JSONField(default=list)  # ticked when booking (legal aid)
    legal_basis = fields.CharField(max_length=300, default="")
    case_type = fields.CharField(max_length=32, default="")  # the case type a follow-up opens
    active = fields.BooleanField(default=True)
    sort = fields.IntField(default=0)

    class Meta:
        table = "booking_service"


class BookingPlan(Model):
    """A weekly session of one provider at one service point (weekday 0 = Monday, local times)."""

    id = fields.IntField(primary_key=True)
    point_code = fields.CharField(max_length=32, db_index=True)
    unit_code = fields.CharField(max_length=32, db_index=True)  # the point's org unit (OrgScope)
    service_code = fields.CharField(max_length=32)
    provider = fields.CharField(max_length=40, default="")
    staff_id = fields.IntField(null=True)
    weekday = fields.IntField()
    start = fields.CharField(max_length=5)  # "09:00"
    end = fields.CharField(max_length=5)
    capacity = fields.IntField(default=1)
    valid_from = fields.DateField(null=True)
    valid_until = fields.DateField(null=True)
    active = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "booking_plan"


class BookingDayChange(Model):
    """A one-off change on one day at a point: a closure (kind "closure") or an extra session ("extra")."""

    id = fields.IntField(primary_key=True)
    point_code = fields.CharField(max_length=32, db_index=True)
    service_code = fields.CharField(max_length=32, default="")  # "" = every service (closures)
    kind = fields.CharField(max_length=8)
    day = fields.DateField()
    start = fields.CharField(max_length=5, default="")  # "" = the whole day (closures)
    end = fields.CharField(max_length=5, default="")
    capacity = fields.IntField(default=1)
    provider = fields.CharField(max_length=40, default="")
    reason = fields.CharField(max_length=100, default="")
    created_by = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "booking_day_change"


class BookingSlot(Model):
    """The quota row of one slot (the lock per quota of pretix): ``taken`` counts active bookings and
    held waiting-list offers. Every write path raises it only with ``taken < capacity`` in the same
    UPDATE, so the database itself refuses the place that is not there."""

    id = fields.IntField(primary_key=True)
    point_code = fields.CharField(max_length=32)
    service_code = fields.CharField(max_length=32)
    starts_at = fields.DatetimeField()
    taken = fields.IntField(default=0)

    class Meta:
        table = "booking_slot"
        unique_together = (("point_code", "service_code", "starts_at"),)


class Booking(Model):
    """One appointment. ``active_key`` (slot:phone) is set while it holds a place, so one person
    holds at most one place per slot. ``request_key`` makes a submission idempotent."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=8, unique=True)
    slot: fields.ForeignKeyRelation[BookingSlot] = fields.ForeignKeyField(
        "fawu.BookingSlot", related_name="bookings", on_delete=fields.RESTRICT)
    slot_id: int  # tortoise adds the column attribute of a foreign key; typed here
    point_code = fields.CharField(max_length=32, db_index=True)
    unit_code = fields.CharField(max_length=32, db_index=True)  # the point's org unit (OrgScope)
    service_code = fields.CharField(max_length=32)
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField()
    status = fields.CharField(max_length=16, default="booked", db_index=True)  # see service.STATUS_ZH
    name = fields.CharField(max_length=40)
    phone_enc = fields.TextField()
    phone_hash = fields.CharField(max_length=64, db_index=True)
    phone_masked = fields.CharField(max_length=16)
    description = fields.CharField(max_length=300, default="")
    checklist: fields.JSONField[list[str]] = fields.JSONField(default=list)
    channel = fields.CharField(max_length=16)  # chat, page, api, console, waitlist
    account_key = fields.CharField(max_length=32, null=True)
    openid = fields.CharField(max_length=64, null=True, db_index=True)
    resident_id = fields.IntField(null=True, db_index=True)
    board_code = fields.CharField(max_length=24, null=True, db_index=True)
    request_key = fields.CharField(max_length=80, null=True, unique=True)
    active_key = fields.CharField(max_length=96, null=True, unique=True)
    moved_from_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    cancelled_at = fields.DatetimeField(null=True)
    cancelled_by = fields.CharField(max_length=40, default="")  # "resident" or the staff member's name
    cancel_reason = fields.CharField(max_length=200, default="")
    checked_in_at = fields.DatetimeField(null=True)
    no_show_at = fields.DatetimeField(null=True)
    reminded_day_at = fields.DatetimeField(null=True)
    reminded_soon_at = fields.DatetimeField(null=True)
    followed_up_at = fields.DatetimeField(null=True)

    class Meta:
        table = "booking_booking"


class BookingWait(Model):
    """A resident waiting for a full slot. When a place frees, the first waiting one is offered it and
    the place is held (counted in ``taken`` of the slot) until ``hold_until``."""

    id = fields.IntField(primary_key=True)
    slot: fields.ForeignKeyRelation[BookingSlot] = fields.ForeignKeyField(
        "fawu.BookingSlot", related_name="waits", on_delete=fields.RESTRICT)
    slot_id: int
    status = fields.CharField(max_length=12, default="waiting", db_index=True)  # waiting offered claimed expired left
    name = fields.CharField(max_length=40)
    phone_enc = fields.TextField()
    phone_hash = fields.CharField(max_length=64)
    phone_masked = fields.CharField(max_length=16)
    description = fields.CharField(max_length=300, default="")
    account_key = fields.CharField(max_length=32, null=True)
    openid = fields.CharField(max_length=64, null=True)
    resident_id = fields.IntField(null=True)
    board_code = fields.CharField(max_length=24, null=True)
    wait_key = fields.CharField(max_length=96, null=True, unique=True)  # slot:phone while waiting or offered
    offered_at = fields.DatetimeField(null=True)
    hold_until = fields.DatetimeField(null=True, db_index=True)
    booking_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "booking_wait"


class BookingPerson(Model):
    """One row per phone (hashed), locked first by every write of the bookings of that person, so the
    cap of future bookings per resident is counted under a lock."""

    id = fields.IntField(primary_key=True)
    phone_hash = fields.CharField(max_length=64, unique=True)
    writes = fields.IntField(default=0)

    class Meta:
        table = "booking_person"



class BookingConsent(Model):
    """The answer of a resident to the subscription notification of booking reminders (订阅通知, official accounts).

    From the pop-up event of WeChat: ``once`` allows one message, ``long`` (政务民生) until withdrawn."""

    id = fields.IntField(primary_key=True)
    account_key = fields.CharField(max_length=32)
    openid = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=8, default="")  # "", once, long
    updated_at = fields.DatetimeField()

    class Meta:
        table = "booking_consent"
        unique_together = (("account_key", "openid"),)


class BookingReminder(Model):
    """How one reminder went when a subscribe message was tried first (claimed, then sent or fallback).

    Claimed as ``sending`` in the transaction of the reminder with a fallback job, then ``sent`` (via mp or
    subscribe) or ``fallback`` (the chat, and why)."""

    id = fields.IntField(primary_key=True)
    booking_id = fields.IntField(db_index=True)
    kind = fields.CharField(max_length=8)  # day, soon
    starts_at = fields.DatetimeField()
    status = fields.CharField(max_length=12, default="sending")  # sending, sent, fallback
    via = fields.CharField(max_length=12, default="")  # mp, subscribe, chat
    reason = fields.CharField(max_length=200, default="")
    at = fields.DatetimeField()

    class Meta:
        table = "booking_reminder"
        unique_together = (("booking_id", "kind", "starts_at"),)
