"""Production (demo = false) refuses every secret published in the repository, naming where it is."""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import ConfigError
from app.main import startup
from tests.conftest import ROOT, make_settings

ACCOUNTS = ("yx_district", "yx_jiedao", "yx_shiqiao", "yx_taoyuan")


def _own_keys() -> dict[str, str]:
    return {"secret_key": "a-long-random-secret-for-this-district-2026",
            "pii_key": base64.b64encode(os.urandom(32)).decode()}


def _own_account_env() -> dict[str, str]:
    """Every account's secrets given by the environment, as production does."""
    env = {"FAWU_ACCOUNT_MINIPROGRAM_SECRET": secrets.token_hex(16)}
    for key in ACCOUNTS:
        env[f"FAWU_ACCOUNT_{key.upper()}_SECRET"] = secrets.token_hex(16)
        env[f"FAWU_ACCOUNT_{key.upper()}_TOKEN"] = secrets.token_hex(12)
        env[f"FAWU_ACCOUNT_{key.upper()}_ENCODING_AES_KEY"] = secrets.token_hex(32)[:43]
    return env


async def test_production_refuses_the_demo_keys(demo_org: None) -> None:
    with pytest.raises(ConfigError, match="pii_key"):
        await startup(make_settings(demo=False), init_database=False)


async def test_production_refuses_every_demo_secret_of_the_matrix(demo_org: None,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as exc:
        await startup(make_settings(demo=False, **_own_keys()), init_database=False)
    message = str(exc.value)
    assert "secret_key" not in message and "pii_key" not in message
    for key in ACCOUNTS:
        for name in ("secret", "token", "encoding_aes_key"):
            assert f"账号 {key} 的 {name}" in message, (key, name)
    assert "账号 miniprogram 的 secret" in message and "FAWU_ACCOUNT_YX_TAOYUAN_TOKEN" in message
    # one account left on a demo token is enough to refuse, and it is the one named
    env = _own_account_env()
    del env["FAWU_ACCOUNT_YX_SHIQIAO_TOKEN"]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as exc:
        await startup(make_settings(demo=False, **_own_keys()), init_database=False)
    assert "账号 yx_shiqiao 的 token" in str(exc.value) and "yx_district" not in str(exc.value)
    monkeypatch.setenv("FAWU_ACCOUNT_YX_SHIQIAO_TOKEN", secrets.token_hex(12))
    await startup(make_settings(demo=False, **_own_keys()), init_database=False)  # starts


async def test_a_demo_secret_copied_without_its_marker_is_still_refused(demo_org: None, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "matrix"
    shutil.copytree(ROOT / "matrix_accounts", folder)
    for path in folder.glob("*.toml"):  # an operator deleted the comments, kept the values
        path.write_text(re.sub(r"#.*demo only.*", "", path.read_text(encoding="utf-8")), encoding="utf-8")
    env = _own_account_env()
    del env["FAWU_ACCOUNT_YX_DISTRICT_ENCODING_AES_KEY"]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError, match="账号 yx_district 的 encoding_aes_key"):
        await startup(make_settings(demo=False, matrix_dir=folder, **_own_keys()), init_database=False)


async def test_demo_mode_keeps_the_demo_secrets(demo_org: None) -> None:
    await startup(make_settings(demo=True), init_database=False)


def test_fawu_serve_refuses_before_listening(tmp_path: Path) -> None:
    """The operator's view: `fawu serve` exits at once with one line naming the account and the key."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FAWU_DATABASE_URL": f"sqlite://{tmp_path}/f.sqlite3",
           "FAWU_MATRIX_DIR": str(ROOT / "matrix_accounts"), "FAWU_CONTENT_DIR": str(ROOT / "content"),
           "FAWU_EMULATOR_AUTOSTART": "false", "FAWU_DEMO": "false",
           **{f"FAWU_{k.upper()}": v for k, v in _own_keys().items()}}
    r = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--port", "8119"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "账号 yx_district 的 token" in r.stderr and "FAWU_ACCOUNT_YX_DISTRICT_TOKEN" in r.stderr
    assert "Uvicorn running" not in r.stderr + r.stdout
