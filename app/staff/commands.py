"""``fawu audit`` (verify, export, archive the tamper-evident audit log) and ``fawu crypto`` (status
and re-encryption of personal data at rest): what the operator and the assessor run on the server."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from app.commandkit import fail, run_async, settings_or_exit, with_db
from app.config import ConfigError
from app.core import crypto, kms, rekey
from app.core.actor import SYSTEM
from app.core.clock import LOCAL_TZ, utcnow
from app.errors import FawuError
from app.staff import service


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)
    cli.add_command(crypto_group)


@click.group("audit")
def audit_group() -> None:
    """The audit log (安全审计): verify its hash chain, export it, archive old entries."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Recompute the HMAC-SM3 chain; exit 1 and name each break when an entry was changed, removed or inserted."""
    settings_or_exit()

    async def go() -> Any:
        v = await service.verify_audit(actor=SYSTEM)
        await service.audit(actor=SYSTEM, action="audit.verified", target_type="audit",
                            detail={"checked": v.checked, "ok": v.ok, "via": "cli"}, outcome="ok" if v.ok else "failed")
        return v

    v = run_async(with_db(go))
    click.echo(f"链上记录 (chained entries): {v.checked}；建链前记录 (before the chain): {v.legacy}；"
               f"链头 (head): #{v.head_seq} {v.head_hash[:16]}…")
    if v.ok:
        click.echo("校验通过 (chain intact)")
        return
    for p in v.problems:
        click.secho(f"  {p}", fg="red", err=True)
    click.secho(f"校验未通过 (chain broken): {len(v.problems)} 处", fg="red", err=True)
    sys.exit(1)


@audit_group.command("export")
@click.option("--out", type=click.Path(path_type=Path), help="Write JSON Lines here instead of stdout.")
def audit_export(out: Path | None) -> None:
    """The whole log as JSON Lines (with each link's hashes; the last line: SM3 of the lines before)."""
    settings_or_exit()

    async def go() -> list[str]:
        return [line async for line in await service.export_audit(actor=SYSTEM)]

    lines = run_async(with_db(go))
    if out:
        out.write_text("".join(lines), encoding="utf-8")
        click.echo(f"已导出 {len(lines) - 1} 条到 {out}")
    else:
        click.echo("".join(lines), nl=False)


@audit_group.command("archive")
@click.option("--before", "before_text", help="Archive entries before this local date (YYYY-MM-DD); "
              "default: audit_retention_days ago.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The archive file (JSON Lines).")
def audit_archive(before_text: str | None, out: Path) -> None:
    """Move entries older than the retention period into a file; the chain stays verifiable."""
    settings = settings_or_exit()
    if before_text:
        try:
            before = datetime.strptime(before_text, "%Y-%m-%d").replace(tzinfo=LOCAL_TZ)
        except ValueError:
            fail("日期格式应为 YYYY-MM-DD (date as YYYY-MM-DD)")
    else:
        before = utcnow() - timedelta(days=settings.audit_retention_days)
    if out.exists():
        fail(f"{out} 已存在，不覆盖 (exists, not overwritten)")

    async def go() -> dict[str, Any]:
        with out.open("w", encoding="utf-8") as fh:
            return await service.archive_audit(actor=SYSTEM, before=before, write=fh.write)

    try:
        result = run_async(with_db(go))
    except FawuError as exc:
        out.unlink(missing_ok=True)
        fail(exc.message_zh)
    if not result.get("archived"):
        out.unlink(missing_ok=True)
        click.echo("没有需要归档的记录 (nothing to archive)")
        return
    click.echo(f"已归档 {result['archived']} 条（至 #{result['through_seq']}）到 {out}，SM3 {result['sm3']}")


@click.group("crypto")
def crypto_group() -> None:
    """Personal data at rest (商用密码): which cipher and key each column's rows are under; re-encryption."""


@crypto_group.command("status")
def crypto_status() -> None:
    """Rows per encrypted column and scheme (aes = AES-GCM under pii_key; sm4:<id> = SM4-GCM under key id)."""
    settings_or_exit()
    found = run_async(with_db(rekey.status))
    click.echo(f"当前 (current): {crypto.current_scheme()}")
    for col, counts in found.items():
        text = "，".join(f"{k} {v}" for k, v in counts.items()) or "—"
        click.echo(f"  {col}: {text}")


@crypto_group.command("rotate")
def crypto_rotate() -> None:
    """A new data key from the key provider (key_file, or the KMS that wraps it), made the active one.
    Then restart fawu (it reads its keys at start) and run `fawu crypto rekey` to move existing rows;
    until then they stay readable under their own key id."""
    settings = settings_or_exit()
    p = kms.provider(settings)
    if p is None:
        fail("未设置 key_file 或 kms_provider = \"http\"：数据密钥由 pii_key 派生，无法轮换 (set key_file or a KMS)")
    try:
        kid = run_async(p.rotate())
    except ConfigError as exc:
        fail(str(exc), 1)
    crypto.forget_keys()

    async def go() -> None:
        await service.audit(actor=SYSTEM, action="crypto.rotated", target_type="crypto", target_id=kid,
                            detail={"provider": p.name, "key_id": kid, "via": "cli"})

    run_async(with_db(go))
    click.echo(f"新数据密钥 (new data key): {kid}（{p.name}），当前 (current): {crypto.current_scheme()}")
    click.echo("请重启 fawu，再运行 fawu crypto rekey 将已有数据改用新密钥 (restart, then rekey)")


@crypto_group.command("rekey")
@click.option("--batch", default=200, show_default=True, help="Rows per batch.")
def crypto_rekey(batch: int) -> None:
    """Re-encrypt every ciphertext not under the current cipher and key (AES-GCM → SM4, or an old key
    → the active one) and recompute lookup hashes; safe while fawu serves, and to run again."""
    settings_or_exit()

    async def go() -> rekey.Report:
        report = await rekey.rekey(batch=batch)
        await service.audit(actor=SYSTEM, action="crypto.rekeyed", target_type="crypto",
                            detail={"to": crypto.current_scheme(), "moved": report.total_moved,
                                    "unreadable": sum(report.unreadable.values()), "via": "cli"})
        return report

    report = run_async(with_db(go))
    for col, n in report.moved.items():
        if n or report.unreadable[col]:
            click.echo(f"  {col}: 重新加密 (moved) {n}" + (f"，无法解密 (unreadable) {report.unreadable[col]}"
                                                          if report.unreadable[col] else ""))
    click.echo(f"完成 (done): {report.total_moved} 个密文已改为 {crypto.current_scheme()}")
    if any(report.unreadable.values()):
        sys.exit(1)
