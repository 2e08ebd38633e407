"""The account matrix (公众号矩阵): one TOML file per official account, plus the mini-program."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config import ConfigError

APPID_RE = re.compile(r"^wx[0-9a-f]{16}$")
AES_KEY_RE = re.compile(r"^[A-Za-z0-9]{43}$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
ORIGINAL_ID_RE = re.compile(r"^gh_[0-9a-f]{12}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9]{3,32}$")
KINDS = ("service", "subscription", "miniprogram")
MODES = ("plain", "compat", "safe")
KIND_ZH = {"service": "服务号", "subscription": "订阅号", "miniprogram": "小程序"}
MODE_ZH = {"plain": "明文", "compat": "兼容", "safe": "安全"}
ALLOWED_KEYS = {
    "display_name", "kind", "original_id", "appid", "secret", "token", "encoding_aes_key",
    "encryption_mode", "org_unit", "verified", "welcome_text", "menu", "staff_hours",
}
MENU_TYPES = {"click", "view", "miniprogram", "scancode_push", "scancode_waitmsg", "location_select"}
SECRET_KEYS = ("secret", "token", "encoding_aes_key")
# A secret line marked as the demo's: `token = "..."   # demo only`
_DEMO_LINE = re.compile(r'^\s*(secret|token|encoding_aes_key)\s*=\s*"([^"]*)"\s*#.*\bdemo only\b', re.M)
# The demo matrix shipped with the project: its secrets are public wherever they are copied to.
SHIPPED_MATRIX_DIR = Path(__file__).resolve().parents[2] / "matrix_accounts"


@dataclass(frozen=True)
class Account:
    """One account of the matrix, as configured (secrets possibly from the environment)."""

    key: str
    display_name: str
    kind: str
    appid: str
    secret: str = field(repr=False)
    org_unit: str
    original_id: str = ""
    token: str = field(default="", repr=False)
    encoding_aes_key: str = field(default="", repr=False)
    encryption_mode: str = "plain"
    verified: bool = True
    welcome_text: str = ""
    menu: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""

    @property
    def is_miniprogram(self) -> bool:
        return self.kind == "miniprogram"

    @property
    def can_mass_send_openids(self) -> bool:
        """OpenID-list mass send: verified service accounts only."""
        return self.kind == "service" and self.verified


def _fail(source: str, msg: str) -> ConfigError:
    return ConfigError(f"{source}: {msg}")


def _validate_menu(source: str, menu: Any) -> list[dict[str, Any]]:
    if not isinstance(menu, list):
        raise _fail(source, "menu 应为按钮列表 ([[menu]])")
    if len(menu) > 3:
        raise _fail(source, f"menu 最多 3 个一级菜单，现有 {len(menu)} 个")
    for i, button in enumerate(menu, 1):
        where = f"menu 第{i}个按钮"
        if not isinstance(button, dict) or not button.get("name"):
            raise _fail(source, f"{where} 缺少 name")
        if len(button["name"].encode("utf-8")) > 16:
            raise _fail(source, f"{where} name 超过 16 字节（一级菜单最多 4 个汉字）")
        subs = button.get("sub_button", [])
        if subs:
            if len(subs) > 5:
                raise _fail(source, f"{where} 子菜单最多 5 个")
            for j, sb in enumerate(subs, 1):
                _validate_leaf(source, f"{where} 子菜单第{j}项", sb, 60)
        else:
            _validate_leaf(source, where, button, 16)
    return menu


def _validate_leaf(source: str, where: str, b: Any, name_bytes: int) -> None:
    if not isinstance(b, dict) or not b.get("name"):
        raise _fail(source, f"{where} 缺少 name")
    if len(str(b["name"]).encode("utf-8")) > name_bytes:
        raise _fail(source, f"{where} name 过长（最多 {name_bytes} 字节）")
    t = b.get("type")
    if t not in MENU_TYPES:
        raise _fail(source, f"{where} type 应为 {'/'.join(sorted(MENU_TYPES))} 之一")
    if t == "view" and not str(b.get("url", "")).startswith(("http://", "https://", "{public_base_url}")):
        raise _fail(source, f"{where} view 类型需要 url")
    if t in ("click", "scancode_push", "scancode_waitmsg", "location_select") and not b.get("key"):
        raise _fail(source, f"{where} {t} 类型需要 key")
    if t == "miniprogram" and not (b.get("appid") and b.get("pagepath")):
        raise _fail(source, f"{where} miniprogram 类型需要 appid 和 pagepath")


def parse_account(path: Path, env: dict[str, str]) -> Account:
    """Read and validate one account file; ConfigError names the file and key."""
    source = str(path)
    key = path.stem
    if not KEY_RE.match(key):
        raise _fail(source, f"文件名 {key!r} 须为小写字母开头的字母、数字或下划线（它就是账号的 key）")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, f"TOML 格式错误 (malformed TOML): {exc}") from exc
    except UnicodeDecodeError as exc:
        raise _fail(source, "文件须为 UTF-8 编码") from exc
    unknown = set(data) - ALLOWED_KEYS
    if unknown:
        raise _fail(source, f"未知设置 {', '.join(sorted(unknown))}")
    prefix = f"FAWU_ACCOUNT_{key.upper()}_"
    for name in ("secret", "token", "encoding_aes_key", "appid"):
        if env.get(prefix + name.upper()):
            data[name] = env[prefix + name.upper()]
    for req in ("display_name", "kind", "appid", "org_unit"):
        if not data.get(req):
            raise _fail(source, f"缺少 {req}")
    kind = data["kind"]
    if kind not in KINDS:
        raise _fail(source, f"kind 应为 service（服务号）、subscription（订阅号）或 miniprogram，现为 {kind!r}")
    if not APPID_RE.match(str(data["appid"])):
        raise _fail(source, f"appid {data['appid']!r} 格式不对（应为 wx 加 16 位十六进制）")
    if not data.get("secret"):
        raise _fail(source, f"缺少 secret（写在文件中，或设置环境变量 {prefix}SECRET）")
    if not re.fullmatch(r"[0-9a-f]{32}", str(data["secret"])):
        raise _fail(source, "secret 格式不对（应为 32 位十六进制 AppSecret）")
    mode = data.get("encryption_mode", "plain" if kind == "miniprogram" else "safe")
    if kind != "miniprogram":
        if mode not in MODES:
            raise _fail(source, f"encryption_mode 应为 plain、compat 或 safe，现为 {mode!r}")
        if not data.get("token"):
            raise _fail(source, f"缺少 token（写在文件中，或设置环境变量 {prefix}TOKEN）")
        if not TOKEN_RE.match(str(data["token"])):
            raise _fail(source, "token 须为 3–32 位字母或数字")
        if not ORIGINAL_ID_RE.match(str(data.get("original_id", ""))):
            raise _fail(source, "original_id 格式不对（应为 gh_ 加 12 位十六进制）")
        if mode in ("compat", "safe") or data.get("encoding_aes_key"):
            aes = str(data.get("encoding_aes_key", ""))
            if not AES_KEY_RE.match(aes):
                raise _fail(source, f"encoding_aes_key 须为 43 位字母或数字（现为 {len(aes)} 位）")
    menu = _validate_menu(source, data.get("menu", []))
    return Account(
        key=key, display_name=str(data["display_name"]), kind=kind, appid=str(data["appid"]),
        secret=str(data["secret"]), org_unit=str(data["org_unit"]), original_id=str(data.get("original_id", "")),
        token=str(data.get("token", "")), encoding_aes_key=str(data.get("encoding_aes_key", "")),
        encryption_mode=mode, verified=bool(data.get("verified", True)),
        welcome_text=str(data.get("welcome_text", "")), menu=menu, source=source,
    )


@dataclass
class Matrix:
    """All accounts, by key and by appid / original id."""

    accounts: dict[str, Account]

    def get(self, key: str) -> Account | None:
        return self.accounts.get(key)

    def by_appid(self, appid: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.appid == appid), None)

    def by_original_id(self, original_id: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.original_id == original_id), None)

    def official_accounts(self) -> list[Account]:
        return [a for a in self.accounts.values() if not a.is_miniprogram]

    def miniprogram(self) -> Account | None:
        return next((a for a in self.accounts.values() if a.is_miniprogram), None)

    def for_unit(self, unit_code: str) -> Account | None:
        return next((a for a in self.official_accounts() if a.org_unit == unit_code), None)


def load_matrix(folder: Path, *, env: dict[str, str] | None = None,
                known_units: set[str] | None = None) -> Matrix:
    """Load every account file; the first problem raises ConfigError naming file and key."""
    env = dict(os.environ if env is None else env)
    if not folder.is_dir():
        raise ConfigError(f"账号目录不存在 (matrix_dir not found): {folder}")
    accounts: dict[str, Account] = {}
    seen_appid: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        acc = parse_account(path, env)
        if acc.appid in seen_appid:
            raise ConfigError(f"{path}: appid {acc.appid} 与 {seen_appid[acc.appid]} 重复")
        seen_appid[acc.appid] = str(path)
        if known_units is not None and acc.org_unit not in known_units:
            raise ConfigError(f"{path}: org_unit {acc.org_unit!r} 不是已知的单位编码")
        accounts[acc.key] = acc
    if not accounts:
        raise ConfigError(f"{folder}: 没有任何账号文件 (*.toml)")
    if sum(1 for a in accounts.values() if a.is_miniprogram) > 1:
        raise ConfigError(f"{folder}: 只能有一个小程序 (kind = \"miniprogram\")")
    return Matrix(accounts)


def _demo_values(folder: Path) -> set[str]:
    values: set[str] = set()
    if folder.is_dir():
        for path in folder.glob("*.toml"):
            values.update(m.group(2) for m in _DEMO_LINE.finditer(path.read_text(encoding="utf-8", errors="replace")))
    return values


def demo_secrets(matrix: Matrix, folder: Path) -> list[tuple[str, str]]:
    """(account key, secret name) of every secret in use that is a published demo value: marked
    ``# demo only`` in the account files, or copied from the project's own demo matrix."""
    published = _demo_values(SHIPPED_MATRIX_DIR) | _demo_values(folder)
    return [(acc.key, name) for acc in matrix.accounts.values() for name in SECRET_KEYS
            if getattr(acc, name) and getattr(acc, name) in published]


_matrix: Matrix | None = None


def get_matrix() -> Matrix:
    """The loaded matrix of this process."""
    if _matrix is None:
        raise RuntimeError("matrix not loaded: call set_matrix(load_matrix(...)) at start-up")
    return _matrix


def set_matrix(matrix: Matrix | None) -> None:
    global _matrix
    _matrix = matrix


