"""``fawu`` subcommands of the WeChat API client: ``fawu menus push`` and ``fawu wechat token``."""

from __future__ import annotations

from typing import Any

import click

from app.commandkit import fail, run_async, with_db
from app.config import ConfigError, get_settings
from app.core.clock import format_local
from app.matrix.service import get_matrix, load_matrix, set_matrix
from app.wechat import lifecycle
from app.wechat.client import get_client
from app.wechat.errors import WeChatAPIError


def fill_placeholders(obj: Any, public_base_url: str) -> Any:
    """The menu with ``{public_base_url}`` replaced in every string."""
    if isinstance(obj, dict):
        return {k: fill_placeholders(v, public_base_url) for k, v in obj.items()}
    if isinstance(obj, list):
        return [fill_placeholders(v, public_base_url) for v in obj]
    if isinstance(obj, str):
        return obj.replace("{public_base_url}", public_base_url.rstrip("/"))
    return obj


async def push_menus(*, only: str | None = None) -> list[tuple[str, str]]:
    """Publish each official account's menu from its matrix file; returns (account, outcome) pairs."""
    settings = get_settings()
    client = get_client()
    out: list[tuple[str, str]] = []
    for acc in get_matrix().official_accounts():
        if only and acc.key != only:
            continue
        if not acc.menu:
            out.append((acc.key, "无菜单 (no menu), skipped"))
            continue
        try:
            await client.menu_create(acc.key, fill_placeholders(acc.menu, settings.public_base_url))
            out.append((acc.key, "ok"))
        except WeChatAPIError as exc:
            out.append((acc.key, f"失败 (failed) [{exc.errcode}] {exc.errmsg}"))
    return out


def _load_matrix() -> None:
    try:
        set_matrix(load_matrix(get_settings().matrix_dir))
    except ConfigError as exc:
        fail(str(exc))


def register(cli: click.Group) -> None:
    """Add this domain's commands to ``fawu``."""

    @cli.group()
    def menus() -> None:
        """Custom menus of the official accounts."""

    @menus.command("push")
    @click.option("--account", default=None, help="Only this account key.")
    def menus_push(account: str | None) -> None:
        """Publish every account's menu (matrix_accounts/*.toml) through the WeChat API."""
        _load_matrix()

        async def go() -> list[tuple[str, str]]:
            try:
                return await push_menus(only=account)
            finally:
                await lifecycle.shutdown()

        results = run_async(with_db(go))
        failed = False
        for key, outcome in results:
            click.echo(f"{key}: {outcome}")
            failed = failed or outcome.startswith("失败")
        if failed:
            raise SystemExit(1)

    @cli.group()
    def wechat() -> None:
        """The WeChat API client."""

    @wechat.command("token")
    @click.argument("account_key")
    def wechat_token(account_key: str) -> None:
        """Show when the shared access token of an account expires (fetching one if needed)."""
        _load_matrix()

        async def go() -> str:
            client = get_client()
            try:
                token = await client.access_token(account_key)
                cached = await client.tokens.peek(client.account(account_key).key)
                until = format_local(cached.expires_at, "%Y-%m-%d %H:%M:%S") if cached else "?"
                return f"{account_key}: {token[:8]}…（{len(token)} 字符）有效至 {until}"
            except WeChatAPIError as exc:
                fail(f"[{exc.errcode}] {exc.errmsg}")
                return ""
            finally:
                await lifecycle.shutdown()

        click.echo(run_async(with_db(go)))
