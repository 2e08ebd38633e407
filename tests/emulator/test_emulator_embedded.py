"""``make run`` starts the emulator beside the server: a child process in demo mode, a no-op otherwise."""

from __future__ import annotations

import json
import socket
import time
import urllib.request

from app.emulator import embedded
from tests.conftest import make_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_op_unless_demo_with_autostart() -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    for s in (make_settings(emulator_autostart=False, emulator_port=port, wechat_api_base=base),
              make_settings(demo=False, emulator_autostart=True, emulator_port=port, wechat_api_base=base),
              make_settings(emulator_autostart=True, emulator_port=port,
                            wechat_api_base="https://api.weixin.qq.com")):
        assert embedded.maybe_start_beside(s) is None
    assert not embedded.port_answers("127.0.0.1", port)


def test_starts_a_child_emulator_and_stops_it() -> None:
    port = _free_port()
    s = make_settings(emulator_autostart=True, emulator_port=port, wechat_api_base=f"http://127.0.0.1:{port}")
    child = embedded.maybe_start_beside(s)
    assert child is not None
    try:
        deadline = time.monotonic() + 20
        while not embedded.port_answers("127.0.0.1", port):
            assert child.poll() is None, "the emulator exited"
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            keys = {a["key"] for a in json.load(r)["accounts"]}
        assert "yx_district" in keys
        assert embedded.maybe_start_beside(s) is child  # once per process
    finally:
        embedded.stop()
    assert child.poll() is not None
    # something already answers on the port: left alone
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", port))
        busy.listen()
        assert embedded.maybe_start_beside(s) is None
