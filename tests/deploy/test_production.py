"""The production guide's files, tried (docs/production.md): the nginx site passes `nginx -t` and
carries requests to fawu on loopback; the systemd units start commands that exist; a database dump
written by scripts/backup-db.sh restores into a new database with every row and character intact."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tests import needs

ROOT = Path(__file__).resolve().parents[2]
APP_PORT, TLS_PORT, HTTP_PORT = 8150, 8152, 8153


def _nginx() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


needs_nginx = pytest.mark.skipif(_nginx() is None, reason="needs nginx: not installed (make nginx, as root on Debian)")


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fawu.example.gov.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2)).sign(key, hashes.SHA256()))
    crt, pem = tmp / "fullchain.pem", tmp / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def _nginx_conf(tmp: Path) -> Path:
    """deploy/nginx/fawu.conf as shipped, moved to loopback test ports and a test certificate."""
    crt, pem = _self_signed(tmp)
    site = (ROOT / "deploy/nginx/fawu.conf").read_text(encoding="utf-8")
    site = (site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{APP_PORT};")
            .replace("listen 80;", f"listen 127.0.0.1:{HTTP_PORT};")
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{TLS_PORT} ssl http2;")
            .replace("/etc/ssl/fawu/fullchain.pem", str(crt)).replace("/etc/ssl/fawu/privkey.pem", str(pem)))
    assert f"127.0.0.1:{TLS_PORT}" in site and str(crt) in site, "the shipped site changed: update this test"
    (tmp / "site.conf").write_text(site, encoding="utf-8")
    main = tmp / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    main.write_text(f"""{user}worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  include {tmp}/site.conf;
}}
""", encoding="utf-8")
    return main


@needs_nginx
def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    conf = _nginx_conf(tmp_path)
    r = subprocess.run([_nginx() or "nginx", "-t", "-c", str(conf), "-p", str(tmp_path)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "syntax is ok" in r.stderr


@needs_nginx
async def test_requests_reach_fawu_through_nginx(app: Any, tmp_path: Path) -> None:
    import uvicorn

    conf = _nginx_conf(tmp_path)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=APP_PORT, lifespan="off", log_config=None,
                                           proxy_headers=True, forwarded_allow_ips="127.0.0.1"))
    serving = asyncio.create_task(server.serve())
    nginx = await asyncio.create_subprocess_exec(_nginx() or "nginx", "-c", str(conf), "-p", str(tmp_path),
                                                 "-g", "daemon off;")
    try:
        async with httpx.AsyncClient(verify=False, timeout=10) as c:  # noqa: S501 - the test's own certificate
            for _ in range(100):
                try:
                    r = await c.get(f"https://127.0.0.1:{TLS_PORT}/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            assert r.status_code == 200 and r.json()["status"] == "ok"
            assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])  # nginx's $request_id, kept by fawu
            page = await c.get(f"https://127.0.0.1:{TLS_PORT}/s/JXSQ01")
            assert page.status_code == 200 and "12348" in page.text
            plain = await c.get(f"http://127.0.0.1:{HTTP_PORT}/healthz")
            assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
    finally:
        nginx.terminate()
        await nginx.wait()
        server.should_exit = True
        await serving


def test_systemd_units_start_commands_that_exist() -> None:
    from app import wiring
    from app.cli import cli, main  # noqa: F401 - main registers the domains' commands

    for mod in wiring.load(wiring.COMMAND_MODULES):
        mod.register(cli)
    units = sorted((ROOT / "deploy/systemd").glob("*.service"))
    assert {u.name for u in units} == {"fawu.service", "fawu-worker@.service", "fawu-scheduler.service"}
    for unit in units:
        text = unit.read_text(encoding="utf-8")
        for line in re.findall(r"^Exec\w*=(.+)$", text, re.M):
            argv = line.split()
            assert argv[0] == "/opt/fawu/.venv/bin/fawu", line
            r = CliRunner().invoke(cli, [argv[1], "--help"])
            assert r.exit_code == 0, (unit.name, r.output)
            opts = [a.split("=")[0] for a in argv[2:] if a.startswith("--")]
            for opt in opts:
                assert opt in r.output, (unit.name, opt)
    if shutil.which("systemd-analyze"):
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", *map(str, units)], capture_output=True,
                           text=True, timeout=60)
        # the units name /opt/fawu, which is not on a development machine: only syntax errors count
        bad = [ln for ln in r.stderr.splitlines() if "Unknown" in ln or "Invalid" in ln or "syntax" in ln.lower()]
        assert not bad, r.stderr


@pytest.mark.mariadb_only
async def test_a_dump_restores_into_a_new_database(tmp_path: Path) -> None:
    needs.skip_unless(needs.mariadb())
    if not (shutil.which("mariadb-dump") or shutil.which("mysqldump")):
        pytest.skip("needs mariadb-dump or mysqldump: not installed (apt-get install mariadb-client)")
    from tortoise import Tortoise

    from app.db import tortoise_config
    from app.jobs.models import Job
    from app.residents.models import Resident

    src, dst = (f"fawu_bk_{os.getpid()}_{uuid.uuid4().hex[:6]}_{s}" for s in ("a", "b"))
    base = "mysql://root:@127.0.0.1:3306/"
    env = {**os.environ, "FAWU_DUMP_ARGS": "-h127.0.0.1 -uroot"}

    async def sql(stmt: str) -> None:
        import aiomysql

        conn = await aiomysql.connect(host="127.0.0.1", port=3306, user="root", password="")
        async with conn.cursor() as cur:
            await cur.execute(stmt)
        conn.close()

    await sql(f"CREATE DATABASE `{src}` CHARACTER SET utf8mb4")
    try:
        await Tortoise.init(config=tortoise_config(base + src), _enable_global_fallback=True)
        await Tortoise.generate_schemas()
        from app.core import pii

        # personal data encrypted at rest (SM4 by default) must come back readable with the same keys
        await Resident.create(name="张三丰😀", unionid="u_backup", phone_enc=pii.encrypt("13812345678"),
                              phone_hash=pii.lookup_hash("13812345678"))
        for i in range(50):
            await Job.create(name="jobs.probe", payload={"run": "bk", "i": i, "text": "欠薪𠮷"},
                             run_at=dt.datetime(2026, 12, 5, 8, 30, tzinfo=dt.UTC))
        await Tortoise.close_connections()
        out = tmp_path / "fawu.sql.gz"
        r = await asyncio.to_thread(subprocess.run, ["bash", str(ROOT / "scripts/backup-db.sh"), src, str(out)],
                                    env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        r = await asyncio.to_thread(subprocess.run, ["bash", str(ROOT / "scripts/restore-db.sh"), dst, str(out)],
                                    env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        await Tortoise.init(config=tortoise_config(base + dst), _enable_global_fallback=True)
        back = await Resident.get(unionid="u_backup")
        assert back.name == "张三丰😀" and back.phone_enc and pii.decrypt(back.phone_enc) == "13812345678"
        assert back.phone_hash == pii.lookup_hash("13812345678")  # found again by number after the restore
        rows = await Job.filter(name="jobs.probe").order_by("id")
        assert len(rows) == 50 and rows[7].payload == {"run": "bk", "i": 7, "text": "欠薪𠮷"}
        assert rows[0].run_at == dt.datetime(2026, 12, 5, 8, 30, tzinfo=dt.UTC)  # UTC kept, not shifted
    finally:
        await Tortoise.close_connections()
        await sql(f"DROP DATABASE IF EXISTS `{src}`")
        await sql(f"DROP DATABASE IF EXISTS `{dst}`")
