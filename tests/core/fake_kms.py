"""A loopback fake of a key-management service (KMS) for tests of app/core/kms.py: master keys with
versions (rotation keeps old versions for decryption), data keys generated and wrapped under the
newest version, bearer-token authentication, disabled keys refused, tampered ciphertexts refused,
and an outage switch. Served by uvicorn on 127.0.0.1 on a free port, in a thread."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class MasterKey:
    versions: list[bytes] = field(default_factory=lambda: [AESGCM.generate_key(bit_length=256)])
    enabled: bool = True


@dataclass
class FakeKms:
    token: str = "kms-test-token"
    keys: dict[str, MasterKey] = field(default_factory=dict)
    down: bool = False
    issued: list[bytes] = field(default_factory=list)  # every data key's plaintext handed out
    calls: list[str] = field(default_factory=list)
    url: str = ""

    def create_key(self, key_id: str) -> None:
        self.keys[key_id] = MasterKey()

    def rotate(self, key_id: str) -> int:
        self.keys[key_id].versions.append(AESGCM.generate_key(bit_length=256))
        return len(self.keys[key_id].versions)

    # --- the wire ---------------------------------------------------------------------------------

    def _wrap(self, key_id: str, plain: bytes) -> str:
        mk = self.keys[key_id]
        version = len(mk.versions)
        nonce = os.urandom(12)
        header = json.dumps({"k": key_id, "v": version}).encode()
        ct = AESGCM(mk.versions[version - 1]).encrypt(nonce, plain, header)
        return base64.b64encode(header).decode() + "." + base64.b64encode(nonce + ct).decode()

    def _unwrap(self, key_id: str, blob: str) -> tuple[int, bytes] | JSONResponse:
        try:
            head_b64, body_b64 = blob.split(".", 1)
            header = base64.b64decode(head_b64)
            meta = json.loads(header)
            raw = base64.b64decode(body_b64)
        except ValueError:
            return _err(400, "InvalidCiphertext")
        if meta.get("k") != key_id:
            return _err(400, "IncorrectKey")
        versions = self.keys[key_id].versions
        v = meta.get("v")
        if not isinstance(v, int) or not 1 <= v <= len(versions):
            return _err(400, "InvalidCiphertext")
        try:
            return v, AESGCM(versions[v - 1]).decrypt(raw[:12], raw[12:], header)
        except InvalidTag:
            return _err(400, "InvalidCiphertext")

    async def _guard(self, request: Request) -> tuple[str, dict[str, Any]] | JSONResponse:
        self.calls.append(request.url.path)
        if self.down:
            return _err(503, "ServiceUnavailable")
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _err(401, "Unauthenticated")
        try:
            body = await request.json()
        except ValueError:
            return _err(400, "InvalidRequest")
        key_id = body.get("key_id") if isinstance(body, dict) else None
        if key_id not in self.keys:
            return _err(404, "KeyNotFound")
        if not self.keys[key_id].enabled:
            return _err(403, "KeyDisabled")
        return key_id, body

    async def generate_data_key(self, request: Request) -> JSONResponse:
        got = await self._guard(request)
        if isinstance(got, JSONResponse):
            return got
        key_id, body = got
        n = body.get("bytes", 32)
        if not isinstance(n, int) or not 16 <= n <= 64:
            return _err(400, "InvalidRequest")
        plain = os.urandom(n)
        self.issued.append(plain)
        return JSONResponse({"key_id": key_id, "key_version": len(self.keys[key_id].versions),
                             "plaintext": base64.b64encode(plain).decode(), "ciphertext": self._wrap(key_id, plain)})

    async def decrypt(self, request: Request) -> JSONResponse:
        got = await self._guard(request)
        if isinstance(got, JSONResponse):
            return got
        key_id, body = got
        out = self._unwrap(key_id, str(body.get("ciphertext", "")))
        if isinstance(out, JSONResponse):
            return out
        version, plain = out
        return JSONResponse({"key_id": key_id, "key_version": version, "plaintext": base64.b64encode(plain).decode()})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/generate-data-key", self.generate_data_key, methods=["POST"]),
                                 Route("/v1/decrypt", self.decrypt, methods=["POST"])])


def _err(status: int, code: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": code}, status_code=status)


class Served:
    """The fake on a real loopback socket (a free port), in a thread; ``stop()`` ends it."""

    def __init__(self, kms: FakeKms) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        kms.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(kms.app(), log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake KMS did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
