"""Test factories, one module for every domain: small async ``make_<thing>(**overrides)`` that go
through the domains' services (the real rules), with defaults in the demo district."""

from __future__ import annotations

from typing import Any

from app.core.actor import SYSTEM, Role

PASSWORD = "correct-horse-42"
ID_NUMBER = "11010519491231002X"  # the standard's worked example (valid check digit)


async def make_staff(**overrides: Any) -> Any:
    """A staff member through ``staff_service.create_staff`` (argon2, in a worker thread). Defaults: a
    township clerk of 云溪街道 (YXJD) with ``PASSWORD``, no forced password change. ``password=None``:
    nobody logs in as them, the row is written without argon2 (fast)."""
    from app.staff import service as staff_service
    from app.staff.models import StaffUser

    spec: dict[str, Any] = {"username": "clerk", "name": "测试员", "role": Role.TOWNSHIP_STAFF,
                            "unit_codes": ["YXJD"], "password": PASSWORD, "must_change_password": False}
    spec.update(overrides)
    if spec["password"] is None:
        del spec["password"]
        return await StaffUser.create(password_hash="not-a-real-hash", **spec)
    return await staff_service.create_staff(**spec)


async def make_resident(*, township: str = "YXJD", community: str | None = "JXSQ", phone: str = "13812345678",
                        name: str = "张三", id_number: str = ID_NUMBER) -> Any:
    """A resident recorded at the desk (phone and ID number encrypted)."""
    from app.cases import service as cases_service

    return await cases_service.record_resident(actor=SYSTEM, name=name, phone=phone, id_number=id_number,
                                               township_code=township, community_code=community)


async def make_case(**overrides: Any) -> Any:
    """A case opened through ``cases_service.open_case``: a labour consultation in 锦绣社区 by default."""
    from app.cases import service as cases_service

    spec: dict[str, Any] = {"type": "consultation", "resident_id": None, "channel": "wechat",
                            "summary": "工地老板拖欠三个月工资怎么办", "category": "labor",
                            "township_code": "YXJD", "community_code": "JXSQ"}
    spec.update(overrides)
    return await cases_service.open_case(**spec)


async def make_booking_plan(*, point: str = "SP-YX", service: str = "consult", weekdays: tuple[int, ...] = (0, 1, 2, 3, 4),
                            start: str = "09:00", end: str = "11:30", capacity: int = 3, provider: str = "值班律师") -> list[Any]:
    """Weekly sessions through ``booking.service.add_plan`` (the services loaded from content/booking first)."""
    from app.booking import service as booking_service
    from app.config import get_settings
    from app.core.scope import OrgScope

    if not await booking_service.services():
        await booking_service.import_services(get_settings().content_dir / "booking" / "services.toml")
    return [await booking_service.add_plan(scope=OrgScope.everything(), point_code=point, service_code=service,
                                           weekday=w, start=start, end=end, capacity=capacity, provider=provider)
            for w in weekdays]
