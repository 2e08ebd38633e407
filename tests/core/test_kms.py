"""密钥管理 (issue 26 §4): the data keys behind a provider interface. The file provider (default) and
an HTTP KMS, here a loopback fake that behaves like one (tests/core/fake_kms.py: master-key versions,
rotation, wrapped data keys, refusals); `fawu crypto rotate` then `fawu crypto rekey` move existing
rows to a new data key with nothing lost. The database tests run on SQLite and MariaDB."""

from __future__ import annotations

import asyncio
import base64
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from app.config import ConfigError, set_settings
from app.core import crypto, kms, pii, rekey
from tests.conftest import make_settings
from tests.core.fake_kms import FakeKms, Served
from tests.factories import ID_NUMBER, make_resident

PHONE = "13812345678"
CMK = "fawu-cmk"


@pytest.fixture
def fake_kms() -> Iterator[FakeKms]:
    k = FakeKms()
    k.create_key(CMK)
    served = Served(k)
    try:
        yield k
    finally:
        served.stop()
        crypto.forget_keys()


def _kms_settings(k: FakeKms, store: Path, **overrides: Any) -> Any:
    spec: dict[str, Any] = {"kms_provider": "http", "kms_url": k.url, "kms_key_id": CMK, "kms_token": k.token,
                            "kms_key_store": store}
    return make_settings(**{**spec, **overrides})


def _cli() -> click.Group:
    from app.staff import commands

    group = click.Group()
    commands.register(group)
    return group


def test_http_kms_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="kms_url"):
        make_settings(kms_provider="http", kms_key_id=CMK)
    with pytest.raises(ValueError, match="http"):
        make_settings(kms_provider="http", kms_url="ftp://kms", kms_key_id=CMK, kms_key_store="/tmp/x.toml")


def test_http_kms_wraps_the_data_keys_and_rotation_moves_every_row(tmp_path: Path, fake_kms: FakeKms) -> None:
    """Through the CLI on a database file: rotate (a data key from the KMS, stored wrapped only), write,
    the KMS rotates its master key, rotate again, rekey: every row under the new key and readable."""
    from app import db

    store = tmp_path / "wrapped.toml"
    url = f"sqlite://{tmp_path}/fawu.sqlite3"
    settings = _kms_settings(fake_kms, store, database_url=url)
    set_settings(settings)
    runner = CliRunner()
    res = runner.invoke(_cli(), ["crypto", "status"])  # no data key yet: one clear message, no traceback
    assert res.exit_code != 0 and "fawu crypto rotate" in res.output, res.output
    res = runner.invoke(_cli(), ["crypto", "rotate"])
    assert res.exit_code == 0 and "k1（http）" in res.output, res.output
    text = store.read_text(encoding="utf-8")
    assert 'active = "k1"' in text and stat.S_IMODE(store.stat().st_mode) == 0o600
    assert base64.b64encode(fake_kms.issued[0]).decode() not in text  # only the KMS's ciphertext is kept

    async def write() -> int:
        await db.migrate(settings)
        await db.init_db(settings)  # unwraps the data keys at the KMS
        try:
            r = await make_resident()
            return int(r.id)
        finally:
            await db.close_db()

    rid = asyncio.run(write())
    assert fake_kms.calls.count("/v1/decrypt") >= 1

    async def stored() -> tuple[str, str | None, str | None]:
        crypto.forget_keys()
        await db.init_db(settings)
        try:
            from app.residents import service as residents_service

            r = await residents_service.get_resident(rid)
            return r.phone_enc or "", residents_service.reveal(r, "phone"), residents_service.reveal(r, "id_number")
        finally:
            await db.close_db()

    enc, phone, idn = asyncio.run(stored())
    assert enc.startswith("sm4:k1:") and phone == PHONE and idn == ID_NUMBER
    # the KMS rotates its master key: old wrapped data keys still open, new ones use the new version
    assert fake_kms.rotate(CMK) == 2
    res = runner.invoke(_cli(), ["crypto", "rotate"])
    assert res.exit_code == 0 and "k2" in res.output and "rekey" in res.output, res.output
    res = runner.invoke(_cli(), ["crypto", "status"])
    assert res.exit_code == 0 and "当前 (current): sm4:k2" in res.output and "resident.phone_enc: sm4:k1 1" in res.output
    res = runner.invoke(_cli(), ["crypto", "rekey"])
    assert res.exit_code == 0 and "已改为 sm4:k2" in res.output, res.output
    res = runner.invoke(_cli(), ["crypto", "status"])
    assert "resident.phone_enc: sm4:k2 1" in res.output and "sm4:k1" not in res.output.split("\n", 1)[1], res.output
    enc, phone, idn = asyncio.run(stored())
    assert enc.startswith("sm4:k2:") and phone == PHONE and idn == ID_NUMBER
    res = runner.invoke(_cli(), ["audit", "verify"])  # entries sealed under k1 and k2 both verify
    assert res.exit_code == 0 and "校验通过" in res.output, res.output

    # refusals, each one clear message and no start: a wrong token, a disabled key, an outage, a
    # ciphertext altered in the store, a key the KMS does not know
    def refused(expect: str, s: Any = settings) -> None:
        crypto.forget_keys()
        set_settings(s)
        out = runner.invoke(_cli(), ["crypto", "status"])
        assert out.exit_code != 0 and expect in out.output and "Traceback" not in out.output, out.output

    refused("认证失败", _kms_settings(fake_kms, store, database_url=url, kms_token="stolen"))
    refused("主密钥不存在", _kms_settings(fake_kms, store, database_url=url, kms_key_id="other-cmk"))
    fake_kms.keys[CMK].enabled = False
    refused("拒绝")
    fake_kms.keys[CMK].enabled = True
    fake_kms.down = True
    refused("不可用")
    fake_kms.down = False
    good = store.read_text(encoding="utf-8")
    blob = good.split('k2 = "')[1].split('"')[0]
    head, body = blob.split(".")
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 1
    store.write_text(good.replace(blob, head + "." + base64.b64encode(bytes(raw)).decode()), encoding="utf-8")
    refused("密文无效")
    store.write_text(good, encoding="utf-8")
    set_settings(_kms_settings(fake_kms, store, database_url=url, kms_url="http://127.0.0.1:9"))
    crypto.forget_keys()
    res = runner.invoke(_cli(), ["crypto", "rotate"])
    assert res.exit_code == 1 and "无法访问" in res.output and 'active = "k2"' in store.read_text(encoding="utf-8")
    set_settings(None)


def test_file_provider_rotates_the_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.toml"
    key_file.write_text(f'active = "k1"\n[keys]\nk1 = "{base64.b64encode(os.urandom(32)).decode()}"\n')
    set_settings(make_settings(database_url=f"sqlite://{tmp_path}/f.sqlite3", key_file=key_file))
    crypto.forget_keys()
    old = pii.encrypt(PHONE)
    assert old.startswith("sm4:k1:")
    res = CliRunner().invoke(_cli(), ["crypto", "rotate"])
    assert res.exit_code == 0 and "k2（file）" in res.output, res.output
    assert 'active = "k2"' in key_file.read_text() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert pii.encrypt(PHONE).startswith("sm4:k2:") and pii.decrypt(old) == PHONE  # the old key is kept
    set_settings(make_settings(database_url=f"sqlite://{tmp_path}/f.sqlite3"))
    res = CliRunner().invoke(_cli(), ["crypto", "rotate"])
    assert res.exit_code == 2 and "key_file" in res.output
    set_settings(None)
    crypto.forget_keys()


async def test_kms_rotation_and_rekey_on_the_database(db: None, tmp_path: Path, fake_kms: FakeKms) -> None:
    """The same through the services on the test database (SQLite and MariaDB): rows written under the
    first data key are moved by rekey to the second, the lookup hash follows, nothing is lost."""
    from app.residents import service as residents_service

    store = tmp_path / "wrapped.toml"
    settings = _kms_settings(fake_kms, store)
    set_settings(settings)
    p = kms.provider(settings)
    assert p is not None and await p.rotate() == "k1"
    await kms.open_keys(settings)
    residents = [await make_resident(phone=f"1381234{i:04d}", name=f"居民{i}") for i in range(5)]
    assert all((r.phone_enc or "").startswith("sm4:k1:") for r in residents)
    assert await p.rotate() == "k2"
    crypto.forget_keys()
    with pytest.raises(ConfigError):  # a process that has not opened the keys refuses to guess
        pii.encrypt(PHONE)
    await kms.open_keys(settings)
    report = await rekey.rekey(batch=2)
    assert report.moved["resident.phone_enc"] == 5 and not any(report.unreadable.values())
    for i, r in enumerate(residents):
        row = await residents_service.get_resident(r.id)
        assert (row.phone_enc or "").startswith("sm4:k2:")
        assert residents_service.reveal(row, "phone") == f"1381234{i:04d}"
    found = await residents_service.find_by_phone("13812340003")  # the lookup hash moved with it
    assert found is not None and found.id == residents[3].id
    assert (await rekey.status())["resident.phone_enc"] == {"sm4:k2": 5}
    set_settings(None)
