"""Every request the mini-program makes (miniprogram/utils/api.js ENDPOINTS, the only module that
calls wx.request) exists in the backend's OpenAPI schema with that method, and every field it sends
is one the schema accepts, every required field is sent; every ``api.call('name')`` in the pages
names an endpoint of that table."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.config import set_settings
from app.main import create_app
from tests.conftest import make_settings

MP = Path(__file__).resolve().parents[2] / "miniprogram"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="needs node: the mini-program's api.js is read with Node.js "
                                                      "(apt-get install nodejs)")


def endpoints() -> dict[str, Any]:
    script = ("global.wx = {getStorageSync: () => '', getExtConfigSync: () => ({})};"
              "process.stdout.write(JSON.stringify(require('./utils/api.js').ENDPOINTS))")
    out = subprocess.run([str(NODE), "-e", script], cwd=MP, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    s = make_settings()
    set_settings(s)
    try:
        return create_app(s, init_database=False, run_worker=False).openapi()
    finally:
        set_settings(None)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_every_request_of_the_miniprogram_is_in_the_openapi_schema(schema: dict[str, Any]) -> None:
    eps = endpoints()
    assert len(eps) >= 15
    for name, ep in eps.items():
        op = schema["paths"].get(ep["path"], {}).get(ep["method"].lower())
        assert op is not None, f"{name}: {ep['method']} {ep['path']} is not in the backend's OpenAPI schema"
        params = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        assert set(ep.get("query", [])) <= params, f"{name}: query {ep.get('query')} not in {params}"
        required_params = {p["name"] for p in op.get("parameters", []) if p["in"] == "query" and p.get("required")}
        assert required_params <= set(ep.get("query", [])), f"{name}: required query {required_params}"
        path_params = set(re.findall(r"\{(\w+)\}", ep["path"]))
        assert path_params == {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}, name
        body = op.get("requestBody")
        if not ep["fields"]:
            assert body is None or not body.get("required"), f"{name}: the backend needs a body the page never sends"
            continue
        assert body is not None, f"{name}: the page sends {ep['fields']} but the endpoint takes no body"
        model = _resolve(schema, body["content"]["application/json"]["schema"])
        props = set(model.get("properties", {}))
        assert set(ep["fields"]) <= props, f"{name}: fields {set(ep['fields']) - props} unknown to the backend"
        assert set(model.get("required", [])) <= set(ep["fields"]), f"{name}: required fields not sent"


def test_pages_only_call_endpoints_of_the_table() -> None:
    eps = endpoints()
    called: set[str] = set()
    for js in MP.glob("**/*.js"):
        if "node_modules" in js.parts or "tests" in js.parts:
            continue
        text = js.read_text(encoding="utf-8")
        if js.name != "api.js":
            assert "wx.request(" not in text, f"{js}: requests go through utils/api.js"
        called |= set(re.findall(r"api\.call\('(\w+)'", text))
    assert called, "no page calls the API?"
    assert called <= set(eps), f"unknown endpoints called: {called - set(eps)}"
    # every endpoint of the table is used by some page (login by the client itself)
    assert set(eps) - called <= {"login"}, f"endpoints no page uses: {set(eps) - called - {'login'}}"


def test_the_project_opens_in_the_developer_tools() -> None:
    import tomllib

    project = json.loads((MP / "project.config.json").read_text(encoding="utf-8"))
    appid = tomllib.loads((MP.parent / "matrix_accounts" / "miniprogram.toml").read_text(encoding="utf-8"))["appid"]
    assert project["appid"] == appid
    app = json.loads((MP / "app.json").read_text(encoding="utf-8"))
    assert app["sitemapLocation"] == "sitemap.json" and (MP / "sitemap.json").is_file()
    for page in app["pages"]:
        for ext in ("js", "json", "wxml"):
            assert (MP / f"{page}.{ext}").is_file(), f"{page}.{ext} missing"
    # the boards' mini-program codes open this page (app/boards/service/scenes.py MP_PAGE)
    from app.boards.service.scenes import MP_PAGE

    assert MP_PAGE in app["pages"]
