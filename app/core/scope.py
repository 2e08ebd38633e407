"""OrgScope: the one place that limits what an actor may see to their org units.

Every console and mini-program read passes a queryset through ``OrgScope.apply`` (or checks an
object with ``OrgScope.check``). A district administrator sees everything; a township clerk sees
their township and its communities; a legal advisor sees their communities. The scope of a set of
units is built by ``app.org.service.scope_for`` (the org tree lives there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise.expressions import Q as TQ

from app.errors import NotFound

Q = TypeVar("Q")


def _in(field: str, codes: list[str]) -> dict[str, Any]:
    return {f"{field}__in": codes}


@dataclass(frozen=True)
class OrgScope:
    """The set of org unit codes an actor may see; ``all_units`` for the district level."""

    unit_codes: frozenset[str]
    all_units: bool = False

    @classmethod
    def everything(cls) -> OrgScope:
        return cls(frozenset(), all_units=True)

    def allows(self, unit_code: str | None) -> bool:
        if self.all_units:
            return True
        return unit_code is not None and unit_code in self.unit_codes

    def allows_any(self, *unit_codes: str | None) -> bool:
        """In scope when any of the codes is (a row's township or community, say)."""
        return any(self.allows(c) for c in unit_codes)

    def apply(self, queryset: Q, field: str = "township_code", *also: str) -> Q:
        """Filter a tortoise queryset to rows whose unit code field(s) fall in scope."""
        if self.all_units:
            return queryset
        codes = list(self.unit_codes)
        cond = TQ(**_in(field, codes))
        for other in also:
            cond |= TQ(**_in(other, codes))
        return queryset.filter(cond)  # type: ignore[attr-defined,no-any-return]

    def check(self, obj: Any, *fields: str) -> None:
        """Raise NotFound (never reveal existence) unless one of the object's unit fields is in scope."""
        if self.all_units:
            return
        for f in fields or ("township_code",):
            if self.allows(getattr(obj, f, None)):
                return
        raise NotFound()
