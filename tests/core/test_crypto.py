"""商用密码 at rest: SM3/SM4 from OpenSSL (standard test vectors), SM4-GCM ciphertexts with key ids,
rotation through a key file, and the move of data written with AES-GCM before this change to SM4
(`fawu crypto rekey`) with nothing lost: on SQLite and MariaDB (database tests run on both)."""

from __future__ import annotations

import asyncio
import base64
import os
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from tortoise import connections

from app.config import ConfigError, set_settings
from app.core import clock, crypto, pii, pii_text, rekey
from app.core.actor import SYSTEM
from tests.conftest import make_settings
from tests.factories import ID_NUMBER, make_case, make_resident

PHONE = "13812345678"


def test_sm3_and_sm4_match_the_standards_vectors(settings: Any) -> None:
    # GB/T 32905-2016 example 1: SM3("abc")
    assert crypto.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    # GB/T 32907-2016 example 1: one SM4 block (ECB of one block = the block cipher itself)
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (enc.update(key) + enc.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_gcm_round_trip_and_tamper_detection(settings: Any) -> None:
    for text in ("13812345678", ID_NUMBER, "我的电话是13812345678，身份证" + ID_NUMBER, ""):
        stored = pii.encrypt(text)
        assert stored.startswith("sm4:k0:") and (not text or text not in stored)
        assert pii.decrypt(stored) == text
    a, b = pii.encrypt(PHONE), pii.encrypt(PHONE)
    assert a != b  # a fresh nonce each time
    raw = bytearray(base64.b64decode(a.split(":", 2)[2]))
    raw[14] ^= 1
    with pytest.raises(crypto.DecryptError):
        pii.decrypt("sm4:k0:" + base64.b64encode(bytes(raw)).decode())
    with pytest.raises(crypto.DecryptError):
        pii.decrypt("sm4:zz:" + a.split(":", 2)[2])  # a key the ring does not have


def _key_file(tmp_path: Path, active: str, **keys: bytes) -> Path:
    path = tmp_path / "keys.toml"
    body = "\n".join(f'{k} = "{base64.b64encode(v).decode()}"' for k, v in keys.items())
    path.write_text(f'active = "{active}"\n[keys]\n{body}\n', encoding="utf-8")
    return path


def test_key_rotation_keeps_old_ciphertexts_readable(tmp_path: Path) -> None:
    set_settings(make_settings())
    old = pii.encrypt(PHONE)
    old_hash = pii.lookup_hash(PHONE)
    set_settings(make_settings(key_file=_key_file(tmp_path, "k1", k1=os.urandom(32))))
    new = pii.encrypt(PHONE)
    assert new.startswith("sm4:k1:") and pii.decrypt(old) == pii.decrypt(new) == PHONE
    assert pii.lookup_hash(PHONE) != old_hash and old_hash in pii.lookup_candidates(PHONE)
    for bad in ('active = "k9"\n[keys]\nk1 = "AAAA"\n', 'active = "k0"\n[keys]\nk0 = "' + "A" * 44 + '"\n',
                'active = "k1"\n[keys]\nk1 = "c2hvcnQ="\n'):
        (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
        set_settings(make_settings(key_file=tmp_path / "bad.toml"))
        with pytest.raises(ConfigError):
            pii.encrypt(PHONE)
    set_settings(None)


async def test_aes_data_written_before_moves_to_sm4_with_nothing_lost(demo_org: None, settings: Any) -> None:
    """Data written the way fawu wrote it before (AES-GCM, HMAC-SHA256 lookups), read after the
    switch, then re-encrypted: every value the same, lookups by phone work before and after."""
    set_settings(make_settings(pii_cipher="aes"))
    residents = [await make_resident(phone=f"1391111{i:04d}", name=f"居民{i}") for i in range(5)]
    case = await make_case(summary=f"王小明申请援助，电话{PHONE}，身份证{ID_NUMBER}", resident_id=residents[0].id)
    conn = connections.get("default")
    _, rows = await conn.execute_query("SELECT phone_enc, phone_hash FROM resident ORDER BY id")
    before = [dict(r) for r in rows]
    assert all(r["phone_enc"].startswith("v1:") for r in before)
    status = await rekey.status()
    assert status["resident.phone_enc"] == {"aes": 5} and status["cases_case.summary_enc"] == {"aes": 1}

    set_settings(make_settings())  # the new default: SM4
    from app.residents import service as residents_service

    # before the re-encryption: old rows are read and found (legacy hash among the candidates)
    assert (await residents_service.find_by_phone("13911110003")).id == residents[3].id  # type: ignore[union-attr]
    newcomer = await make_resident(phone="13922220000", name="新居民")
    report = await rekey.rekey(batch=2)  # small batches: the loop is exercised
    assert report.moved["resident.phone_enc"] == 5 and report.moved["resident.id_number_enc"] == 5
    assert report.moved["cases_case.summary_enc"] == 1 and not any(report.unreadable.values())
    _, rows = await conn.execute_query("SELECT id, phone_enc, phone_hash, id_number_enc FROM resident ORDER BY id")
    after = [dict(r) for r in rows]
    assert all(r["phone_enc"].startswith("sm4:k0:") and r["id_number_enc"].startswith("sm4:k0:") for r in after)
    for i, r in enumerate(after[:5]):
        assert pii.decrypt(r["phone_enc"]) == f"1391111{i:04d}" and pii.decrypt(r["id_number_enc"]) == ID_NUMBER
        assert r["phone_hash"] == pii.lookup_hash(f"1391111{i:04d}") != before[i]["phone_hash"]
    assert (await residents_service.find_by_phone("13911110003")).id == residents[3].id  # type: ignore[union-attr]
    assert (await residents_service.find_by_phone("13922220000")).id == newcomer.id  # type: ignore[union-attr]
    from app.cases.models import Case

    row = await Case.get(id=case.id)
    assert row.summary_enc and row.summary_enc.startswith("sm4:k0:")
    assert pii_text.reveal(row.summary, row.summary_enc) == f"王小明申请援助，电话{PHONE}，身份证{ID_NUMBER}"
    again = await rekey.rekey()
    assert again.total_moved == 0  # idempotent: run it again any time


def _cli() -> click.Group:
    from app.staff import commands

    group = click.Group()
    commands.register(group)
    return group


def test_crypto_and_audit_commands_on_a_database_written_before(tmp_path: Path) -> None:
    """The operator's path: status, rekey, audit verify / export / archive through `fawu` on a file
    database that AES-era fawu wrote (migrated by the command itself)."""
    from app import db, wiring
    from app.staff import service as staff_service

    url = f"sqlite://{tmp_path}/fawu.sqlite3"
    set_settings(make_settings(database_url=url, pii_cipher="aes"))

    async def write_old() -> None:
        s = make_settings(database_url=url, pii_cipher="aes")
        await db.migrate(s)
        await db.init_db(s)
        wiring.wire_events()
        from app.residents import service as residents_service

        await residents_service.record_resident(name="张三", phone=PHONE, id_number=ID_NUMBER)
        await staff_service.audit(actor=SYSTEM, action="test.before")
        await db.close_db()

    asyncio.run(write_old())
    set_settings(make_settings(database_url=url))
    runner = CliRunner()
    res = runner.invoke(_cli(), ["crypto", "status"])
    assert res.exit_code == 0 and "resident.phone_enc: aes 1" in res.output, res.output
    res = runner.invoke(_cli(), ["crypto", "rekey"])
    assert res.exit_code == 0 and "2 个密文已改为 sm4:k0" in res.output, res.output
    res = runner.invoke(_cli(), ["crypto", "status"])
    assert "resident.phone_enc: sm4:k0 1" in res.output
    res = runner.invoke(_cli(), ["audit", "verify"])
    assert res.exit_code == 0 and "校验通过" in res.output, res.output
    out = tmp_path / "audit.jsonl"
    res = runner.invoke(_cli(), ["audit", "export", "--out", str(out)])
    assert res.exit_code == 0 and "crypto.rekeyed" in out.read_text(encoding="utf-8")
    recent = clock.to_local(clock.utcnow()).strftime("%Y-%m-%d")
    res = runner.invoke(_cli(), ["audit", "archive", "--before", recent, "--out", str(tmp_path / "a.jsonl")])
    assert res.exit_code != 0 and "180 天" in res.output and not (tmp_path / "a.jsonl").exists()

    async def tamper() -> None:
        await db.init_db(make_settings(database_url=url))
        await connections.get("default").execute_query("UPDATE staff_audit_log SET actor_name = 'x' WHERE seq = 1")
        await db.close_db()

    asyncio.run(tamper())
    res = runner.invoke(_cli(), ["audit", "verify"])
    assert res.exit_code == 1 and "#1: 内容被改动" in res.output
    set_settings(None)


def test_a_backup_restores_with_its_keys_and_is_unreadable_without(tmp_path: Path) -> None:
    """数据备份恢复: a copy of the database (the dump) restored elsewhere reads back with the same keys
    (pii_key and the key file, kept apart from dumps) and not without them."""
    import shutil

    from app import db

    key_file = _key_file(tmp_path, "k1", k1=os.urandom(32))
    url = f"sqlite://{tmp_path}/live.sqlite3"
    live = make_settings(database_url=url, key_file=key_file)
    set_settings(live)

    async def write() -> int:
        await db.migrate(live)
        await db.init_db(live)
        from app.residents import service as residents_service

        r = await residents_service.record_resident(name="张三", phone=PHONE, id_number=ID_NUMBER)
        await db.close_db()
        return r.id

    rid = asyncio.run(write())
    shutil.copy(tmp_path / "live.sqlite3", tmp_path / "restored.sqlite3")  # backup, then restore

    async def read(settings: Any) -> str | None:
        set_settings(settings)
        await db.init_db(settings)
        try:
            from app.residents import service as residents_service

            found = await residents_service.find_by_phone(PHONE)
            if found is None or found.id != rid:
                return None
            return residents_service.reveal(found, "id_number")
        finally:
            await db.close_db()

    restored = f"sqlite://{tmp_path}/restored.sqlite3"
    assert asyncio.run(read(make_settings(database_url=restored, key_file=key_file))) == ID_NUMBER
    other_key = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(crypto.DecryptError):  # the dump without its key file: found by nothing, unreadable
        set_settings(make_settings(database_url=restored, pii_key=other_key))

        async def raw() -> str:
            s = make_settings(database_url=restored, pii_key=other_key)
            await db.init_db(s)
            try:
                _, rows = await connections.get("default").execute_query("SELECT id_number_enc FROM resident")
                return pii.decrypt(dict(rows[0])["id_number_enc"])
            finally:
                await db.close_db()

        asyncio.run(raw())
    set_settings(None)
