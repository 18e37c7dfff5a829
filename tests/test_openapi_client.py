"""The OpenAPI document can generate a client (issue 13, item 15): every operation has a unique
operationId and documented responses (404 where the path has an id, the machine `error` keys of
every error response), every property has a type; `openapi-python-client` generates a client
from it without errors or warnings, and that client logs in, lists and reads work orders
against the app served on a real port."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD

METHODS = {"get", "put", "post", "patch", "delete"}
# The repository's generator settings: image responses are read as bytes.
CLIENT_CONFIG = Path(__file__).resolve().parent.parent / "docs" / "openapi-python-client.yml"


@pytest.fixture
def spec(client: Any) -> dict[str, Any]:
    return client.get("/openapi.json").get_json()


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _response(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in response:
        return spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response


def test_every_operation_has_an_id_documented_responses_and_404(spec: dict[str, Any]) -> None:
    ids = [op.get("operationId") for _p, _m, op in _operations(spec)]
    assert all(ids) and len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert len(ids) > 80
    for path, method, operation in _operations(spec):
        for code, response in operation["responses"].items():
            resolved = _response(spec, response)
            assert resolved.get("description"), (path, method, code)
            if code == "default" or int(code) >= 400:
                keys = resolved.get("x-error-keys")
                assert keys and all(k in resolved["description"] for k in keys), \
                    (path, method, code, resolved)
        if "{" in path:
            assert "404" in operation["responses"], (path, method)
            not_found = _response(spec, operation["responses"]["404"])
            assert "not_found" in not_found["x-error-keys"]


def test_error_keys_cover_the_domain_errors(spec: dict[str, Any]) -> None:
    keys = set(spec["components"]["schemas"]["Error"]["properties"]["error"]["x-error-keys"])
    assert {"not_found", "validation_error", "invalid_transition", "version_conflict",
            "insufficient_stock", "outside_geofence", "image_too_large", "bad_request",
            "sla_unreachable", "token_expired"} <= keys


def _untyped(node: Any, where: str) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if not any(k in prop for k in ("type", "$ref", "allOf", "oneOf", "anyOf")):
                found.append(f"{where}.{name}")
        for key, value in node.items():
            found += _untyped(value, f"{where}/{key}")
    elif isinstance(node, list):
        for value in node:
            found += _untyped(value, where)
    return found


def test_no_property_without_a_type(spec: dict[str, Any]) -> None:
    assert _untyped(spec, "") == []


@pytest.fixture
def served_app(app: Any, db_session: Any) -> Iterator[str]:
    """The app on a real port of 127.0.0.1, in a thread, sharing the test's transaction."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _generate(spec: dict[str, Any], tmp_path: Path) -> Path:
    spec_file = tmp_path / "openapi.json"
    spec_file.write_text(json.dumps(spec))
    venv_bin = Path(sys.executable).parent
    tool = shutil.which("openapi-python-client", path=str(venv_bin)) or shutil.which(
        "openapi-python-client")
    assert tool, "openapi-python-client is in the dev extra"
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [tool, "generate", "--path", str(spec_file), "--meta", "none",
         "--config", str(CLIENT_CONFIG), "--output-path", str(tmp_path / "fieldops_client")],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower() and "error" not in output.lower(), output
    return tmp_path


def test_a_generated_client_logs_in_lists_and_reads_work_orders(
        spec: dict[str, Any], tmp_path: Path, served_app: str, login: Any, make_user: Any,
        make_asset: Any) -> None:
    dispatcher = make_user("dispatcher")
    asset = make_asset()
    created = login(dispatcher).post("/api/v1/work-orders", json={
        "asset_id": asset.id, "title": "Chiller trips", "description": "Alarm E12."})
    assert created.status_code == 201, created.get_json()
    order_id = created.get_json()["id"]

    sys.path.insert(0, str(_generate(spec, tmp_path)))
    try:
        client_pkg = importlib.import_module("fieldops_client")
        login_op = importlib.import_module("fieldops_client.api.auth.post_auth_login")
        list_op = importlib.import_module("fieldops_client.api.workorders.get_work_orders")
        get_op = importlib.import_module(
            "fieldops_client.api.workorders.get_work_orders_by_work_order_id")
        models = importlib.import_module("fieldops_client.models")

        anonymous = client_pkg.Client(base_url=served_app)
        tokens = login_op.sync(client=anonymous, body=models.LoginRequest(
            email=dispatcher.email, password=PASSWORD))
        assert isinstance(tokens, models.TokenPair), tokens
        assert tokens.user.role == "dispatcher"

        authed = client_pkg.AuthenticatedClient(base_url=served_app, token=tokens.access_token)
        listed = list_op.sync_detailed(client=authed)
        assert listed.status_code == 200
        assert order_id in [o.id for o in listed.parsed]
        assert json.loads(listed.headers["X-Pagination"])["total"] >= 1

        one = get_op.sync(client=authed, work_order_id=order_id)
        assert one.id == order_id and one.title == "Chiller trips"
        missing = get_op.sync_detailed(client=authed, work_order_id=2_000_000_000)
        assert missing.status_code == 404 and missing.parsed.error == "not_found"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("fieldops_client")]:
            del sys.modules[name]
