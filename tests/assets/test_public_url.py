"""Labels point where phones can reach the server: PUBLIC_BASE_URL when set, else the URL the
server was reached at (the request's host); `make run` warns when labels would point at
this machine only."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent.parent


def _label_url(login, asset, **kw):
    r = login("dispatcher").get(f"/api/v1/assets/{asset.id}/label.png", **kw)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.data)))
    return result.text


def test_unset_public_base_url_falls_back_to_the_host_the_server_is_reached_at(
        app, login, make_asset, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    asset = make_asset(tag="CH-0077")
    client = login("dispatcher")
    r = client.flask_client.get(f"/api/v1/assets/{asset.id}/label.png",
                                base_url="https://fieldops.example.com",
                                headers={"Authorization": f"Bearer {client.token}"})
    assert r.status_code == 200
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.data)))
    assert result.text == "https://fieldops.example.com/r/CH-0077"


def test_a_configured_public_base_url_wins(app, login, make_asset, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://service.example.org/")
    asset = make_asset(tag="CH-0078")
    assert _label_url(login, asset) == "https://service.example.org/r/CH-0078"


def test_public_base_url_defaults_to_unset():
    clean = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}
    done = subprocess.run([sys.executable, "-c", "from app.config import Config; "
                           "print(repr(Config.PUBLIC_BASE_URL))"], cwd=ROOT,
                          env={**clean, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == "None", done.stderr[-1000:]


@pytest.mark.parametrize(("env", "warns"), [
    ({}, True),
    ({"PUBLIC_BASE_URL": "http://localhost:5000"}, True),
    ({"PUBLIC_BASE_URL": "http://127.0.0.1:8000"}, True),
    ({"PUBLIC_BASE_URL": "https://fieldops.example.com"}, False),
])
def test_make_run_warns_when_labels_would_point_at_localhost(env, warns):
    clean = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}
    done = subprocess.run([str(ROOT / "scripts" / "warn-public-url"), "127.0.0.1", "5000"],
                          env={**clean, **env}, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert ("PUBLIC_BASE_URL" in done.stderr) == warns, done.stderr
