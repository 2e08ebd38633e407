"""Re-encryption of personal data at rest (``fawu crypto status`` / ``fawu crypto rekey``).

Every model field named ``<x>_enc`` holds a ciphertext of ``app.core.crypto``; a sibling ``<x>_hash``
holds that value's lookup hash. ``rekey`` moves each ciphertext that is not under the current scheme
(AES-GCM ``v1``, or SM4 under an older key) to it, and recomputes the sibling hash, row by row in
batches while the service runs: each row is written only if its ciphertext is still the one read
(a change made meanwhile is kept, and the row is taken again on the next run), so nothing is lost
and the command can be interrupted and run again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tortoise import Tortoise

from app.core import crypto


@dataclass
class Column:
    model: Any
    enc: str
    hash: str | None

    @property
    def name(self) -> str:
        return f"{self.model._meta.db_table}.{self.enc}"


@dataclass
class Report:
    """Per column: rows moved, rows already current, rows that could not be read (left as they were)."""

    moved: dict[str, int] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)

    @property
    def total_moved(self) -> int:
        return sum(self.moved.values())


def encrypted_columns() -> Iterator[Column]:
    """Every ``*_enc`` field of every model (found by name, so a new one is never forgotten)."""
    for app_models in Tortoise.apps.values():
        for model in app_models.values():
            names = set(model._meta.fields_map)
            for f in sorted(names):
                if f.endswith("_enc") and f in model._meta.db_fields:
                    base = f[: -len("_enc")]
                    yield Column(model=model, enc=f, hash=base + "_hash" if base + "_hash" in names else None)


async def status() -> dict[str, dict[str, int]]:
    """Rows per column and scheme ("aes", "sm4:<key id>", ...)."""
    out: dict[str, dict[str, int]] = {}
    for col in encrypted_columns():
        counts: dict[str, int] = {}
        aes = await col.model.filter(**{f"{col.enc}__startswith": "v1:"}).count()
        if aes:
            counts["aes"] = aes
        for kid in crypto.keyring().masters:
            n = await col.model.filter(**{f"{col.enc}__startswith": f"sm4:{kid}:"}).count()
            if n:
                counts[f"sm4:{kid}"] = n
        out[col.name] = counts
    return out


async def rekey(*, batch: int = 200, progress: Any = None) -> Report:
    """Move every ciphertext to the current scheme and key (see the module docstring)."""
    target = crypto.current_scheme()
    report = Report()
    for col in encrypted_columns():
        pk = col.model._meta.pk_attr
        moved = current = unreadable = 0
        last: Any = None
        while True:
            qs = col.model.filter(**{f"{col.enc}__isnull": False})
            if last is not None:
                qs = qs.filter(**{f"{pk}__gt": last})
            rows = await qs.order_by(pk).limit(batch).values(pk, col.enc)
            if not rows:
                break
            last = rows[-1][pk]
            for row in rows:
                old = row[col.enc]
                if not old or crypto.scheme_of(old) == target:
                    current += 1
                    continue
                try:
                    plain = crypto.decrypt(old)
                except crypto.DecryptError:
                    unreadable += 1
                    continue
                new: dict[str, Any] = {col.enc: crypto.encrypt(plain)}
                if col.hash:
                    new[col.hash] = crypto.lookup_hash(plain.decode("utf-8"))
                # only if nobody changed it meanwhile (else the next run takes it)
                moved += await col.model.filter(**{pk: row[pk], col.enc: old}).update(**new)
            if progress:
                progress(col.name, moved)
        report.moved[col.name], report.current[col.name], report.unreadable[col.name] = moved, current, unreadable
    return report
