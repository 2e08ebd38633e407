"""The one refusal to serve outside demo mode with anything published in the repository: the demo
secret_key and pii_key, and every demo secret (AppSecret, token, AES key) of the account matrix."""

from __future__ import annotations

from app.config import DEMO_PII_KEY, DEMO_SECRET, ConfigError, Settings
from app.core.actor import SYSTEM
from app.matrix.service import Matrix, demo_secrets, load_matrix
from app.staff import service as staff_service

_ENV_OF = {"secret": "SECRET", "token": "TOKEN", "encoding_aes_key": "ENCODING_AES_KEY"}


def demo_secrets_in_use(settings: Settings, matrix: Matrix) -> list[str]:
    """Each demo secret in use, named so an operator can find it (empty: none)."""
    found = []
    if settings.secret_key.get_secret_value() == DEMO_SECRET:
        found.append("secret_key（FAWU_SECRET_KEY）")
    if settings.pii_key.get_secret_value() == DEMO_PII_KEY:
        found.append("pii_key（FAWU_PII_KEY）")
    for account, name in demo_secrets(matrix, settings.matrix_dir):
        found.append(f"账号 {account} 的 {name}（FAWU_ACCOUNT_{account.upper()}_{_ENV_OF[name]}）")
    return found


def check_production_secrets(settings: Settings, matrix: Matrix | None = None) -> None:
    """Raise ConfigError naming every demo secret when demo mode is off; nothing in demo mode.
    The server's start-up and ``fawu serve`` both call this (the matrix is read when not given).

    A public token lets anyone sign callbacks as WeChat; a public AES key decrypts residents'
    messages; a public pii_key decrypts their phone and ID numbers.
    """
    if settings.demo:
        return
    found = demo_secrets_in_use(settings, matrix if matrix is not None else load_matrix(settings.matrix_dir))
    if found:
        raise ConfigError("demo = false 时不能使用仓库中公开的演示密钥，请换成自己的 (demo secrets in production): "
                          + "；".join(found))


async def demo_accounts_in_use() -> list[str]:
    """Usernames of active staff accounts still on the published demo password."""
    return [u.username for u in await staff_service.default_password_accounts()]


async def disable_demo_accounts(settings: Settings) -> list[str]:
    """At start-up outside demo mode: disable every account on the demo password (等保: no default
    account usable in production); nothing in demo mode."""
    if settings.demo:
        return []
    return await staff_service.disable_default_accounts(actor=SYSTEM)
