"""Where the data keys come from (密钥管理): a provider behind one interface. ``file`` (default) reads
them from ``key_file``; ``http`` keeps them wrapped (envelope encryption) by an external KMS.

With ``kms_provider = "http"`` fawu never stores a data key in the clear: ``kms_key_store`` holds each
data key as the KMS's ciphertext blob under the master key ``kms_key_id``; at start-up the KMS
unwraps them (``open_keys``, called when the database is opened) and they live in this process's
memory only. ``rotate`` asks the provider for a new data key and makes it the active one;
``fawu crypto rekey`` then moves existing rows to it. The KMS API (a real KMS's, reduced to what
fawu needs; tests/core/fake_kms.py implements it on loopback):

    POST {kms_url}/v1/generate-data-key {"key_id", "bytes"}  → {"key_id", "key_version", "plaintext", "ciphertext"}
    POST {kms_url}/v1/decrypt {"key_id", "ciphertext"}      → {"key_id", "key_version", "plaintext"}
    (bearer ``kms_token``; 401/403 refused, 404 unknown key, 400 bad ciphertext, 429/5xx unavailable)
"""

from __future__ import annotations

import base64
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from app.config import ConfigError, Settings

KEY_ID_RE = re.compile(r"^[a-z0-9]{1,8}$")
_loaded: dict[tuple[str, str, str], tuple[str, dict[str, bytes]]] = {}


class KmsError(ConfigError):
    """The KMS refused or could not be reached (the message names the key and the KMS's answer)."""


class KeyProvider(Protocol):
    """Gives the data keys (active id, {id: key}) and makes a new active one."""

    name: str

    async def data_keys(self) -> tuple[str, dict[str, bytes]]: ...

    async def rotate(self) -> str: ...


def _next_id(existing: set[str]) -> str:
    n = 1
    while f"k{n}" in existing:
        n += 1
    return f"k{n}"


def _write_toml(path: Path, active: str, keys: dict[str, str], extra: dict[str, str] | None = None) -> None:
    """Replace the file atomically, readable by its owner only."""
    lines = [f'{k} = "{v}"' for k, v in (extra or {}).items()]
    lines += [f'active = "{active}"', "", "[keys]"] + [f'{k} = "{v}"' for k, v in keys.items()]
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{what}：无法读取 {path} (cannot read): {exc}") from exc


@dataclass
class FileProvider:
    """The data keys in clear in ``key_file`` (kept apart from database dumps, mode 600)."""

    path: Path
    name: str = "file"

    async def data_keys(self) -> tuple[str, dict[str, bytes]]:
        # function-level: crypto imports this module (load_key_file lives with the key ring)
        from app.core.crypto import load_key_file

        return load_key_file(self.path)

    async def rotate(self) -> str:
        data = _read_toml(self.path, "key_file")
        keys = {str(k): str(v) for k, v in (data.get("keys") or {}).items()}
        kid = _next_id(set(keys) | {"k0"})
        keys[kid] = base64.b64encode(os.urandom(32)).decode()
        _write_toml(self.path, kid, keys)
        return kid


@dataclass
class HttpKmsProvider:
    """Data keys wrapped by an external KMS; the store file holds only the KMS's ciphertexts."""

    url: str
    master_key_id: str
    token: str
    store: Path
    timeout: float = 10.0
    transport: httpx.AsyncBaseTransport | None = None
    name: str = "http"

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
                r = await client.post(self.url.rstrip("/") + path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise KmsError(f"密钥管理服务无法访问 (KMS unreachable at {self.url}): {type(exc).__name__}") from exc
        try:
            data = r.json()
        except ValueError:
            data = {}
        if r.status_code != 200 or not isinstance(data, dict):
            code = data.get("code", "") if isinstance(data, dict) else ""
            why = {401: "认证失败 (unauthenticated)", 403: "拒绝 (refused)", 404: "主密钥不存在 (unknown key)",
                   400: "密文无效 (invalid ciphertext)", 429: "限流 (throttled)"}.get(r.status_code, "不可用 (unavailable)")
            raise KmsError(f"密钥管理服务{why}: HTTP {r.status_code} {code} (key {self.master_key_id})")
        return data

    def _store(self) -> tuple[str, dict[str, str]]:
        data = _read_toml(self.store, "kms_key_store")
        keys = {str(k): str(v) for k, v in (data.get("keys") or {}).items()}
        return str(data.get("active", "")), keys

    async def data_keys(self) -> tuple[str, dict[str, bytes]]:
        active, wrapped = self._store()
        if not wrapped or active not in wrapped:
            raise KmsError(f"kms_key_store：{self.store} 中没有数据密钥，请先运行 fawu crypto rotate (no data key yet)")
        out: dict[str, bytes] = {}
        for kid, blob in wrapped.items():
            data = await self._call("/v1/decrypt", {"key_id": self.master_key_id, "ciphertext": blob})
            try:
                out[kid] = base64.b64decode(str(data["plaintext"]), validate=True)
            except (KeyError, ValueError) as exc:
                raise KmsError(f"密钥管理服务的应答无效 (malformed KMS answer for data key {kid})") from exc
        return active, out

    async def rotate(self) -> str:
        """A new data key from the KMS (its plaintext used in memory only, its blob stored)."""
        active, wrapped = self._store()
        data = await self._call("/v1/generate-data-key", {"key_id": self.master_key_id, "bytes": 32})
        blob = data.get("ciphertext")
        if not isinstance(blob, str) or not blob:
            raise KmsError("密钥管理服务的应答无效 (malformed KMS answer: no ciphertext)")
        kid = _next_id(set(wrapped) | {"k0"})
        wrapped[kid] = blob
        _write_toml(self.store, kid, wrapped, extra={"kms_key_id": self.master_key_id})
        return kid


def provider(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> KeyProvider | None:
    """The configured provider; None: the data key derived from pii_key only (no key_file, no KMS)."""
    if settings.kms_provider == "http":
        return HttpKmsProvider(url=settings.kms_url, master_key_id=settings.kms_key_id,
                               token=settings.kms_token.get_secret_value(), store=Path(settings.kms_key_store or ""),
                               transport=transport)
    return FileProvider(Path(settings.key_file)) if settings.key_file else None


def _cache_key(settings: Settings) -> tuple[str, str, str]:
    return (settings.kms_url, settings.kms_key_id, str(settings.kms_key_store or ""))


async def open_keys(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
                    reload: bool = False) -> None:
    """Unwrap the KMS's data keys into this process (a no-op for the file provider: read when used)."""
    if settings.kms_provider != "http":
        return
    key = _cache_key(settings)
    if key in _loaded and not reload:
        return
    p = provider(settings, transport=transport)
    assert p is not None
    _loaded[key] = await p.data_keys()


def opened(settings: Settings) -> tuple[str, dict[str, bytes]]:
    """The KMS's data keys unwrapped by ``open_keys`` (ConfigError when the process never opened them)."""
    try:
        return _loaded[_cache_key(settings)]
    except KeyError:
        raise KmsError("密钥管理服务的数据密钥尚未加载 (KMS data keys not opened: open_keys at start-up)") from None


def forget() -> None:
    """Drop the unwrapped keys (tests; a rotation re-opens them)."""
    _loaded.clear()
