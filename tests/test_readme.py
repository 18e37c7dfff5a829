"""Every README example that calls the API runs verbatim against `make run`'s set-up: the app
served on a real port after `flask db upgrade` and `flask seed-demo`; each example block is
run by bash (only the base URL `B` points at this server's port) and every HTTP call it
makes must succeed."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
pytestmark = pytest.mark.skipif(
    shutil.which("jq") is None or shutil.which("curl") is None,
    reason="the README's examples use jq and curl (make setup installs them)")


def readme_api_examples() -> list[str]:
    """The fenced `sh` blocks of the README that call the API (with curl)."""
    blocks = re.findall(r"^```sh\n(.*?)^```", README.read_text(), re.M | re.S)
    return [b for b in blocks if "curl " in b]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(scratch_databases: Any, tmp_path: Path) -> Any:
    """`make run` on a scratch database: migrate, seed the demo, serve on a free port."""
    env = {**os.environ, "DATABASE_URL": scratch_databases.create(),
           "FIELDOPS_INSTANCE_DIR": str(tmp_path / "instance"), "FLASK_APP": "app",
           "PYTHONPATH": str(ROOT)}
    env.pop("TEST_CLOCK", None)
    flask = [sys.executable, "-m", "flask"]
    for step in (["db", "upgrade"], ["seed-demo"]):
        done = subprocess.run([*flask, *step], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    port = _free_port()
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen([*flask, "run", "--host", "127.0.0.1", "--port", str(port),
                               "--no-reload"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail((tmp_path / "server.log").read_text()[-2000:])
        yield base, env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


# Wraps curl to report each call's status on stderr; the example's own output is untouched.
_OBSERVE = ("curl() { command curl \"$@\" -w '%{stderr}HTTP %{http_code} %{method} "
            "%{url_effective}\\n'; }\nset -eo pipefail\n")


def test_every_readme_api_example_answers_2xx_on_the_seeded_demo(served: Any,
                                                                 tmp_path: Path) -> None:
    base, env = served
    blocks = readme_api_examples()
    assert len(blocks) >= 2, "the README lost its API examples"
    calls: list[str] = []
    for block in blocks:
        assert "B=http://127.0.0.1:5000" in block, block[:200]
        script = _OBSERVE + block.replace("B=http://127.0.0.1:5000", f"B={base}")
        done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
        seen = [line for line in done.stderr.splitlines() if line.startswith("HTTP ")]
        assert seen, done.stderr[-2000:]
        calls += seen
        failed = [line for line in seen if not (line.split()[1].startswith("2")
                                                or line.split()[1] == "304")]
        assert failed == [], (failed, done.stdout[-3000:])
        assert "HTTP 304" not in "\n".join(seen) or "If-None-Match" in block
    assert len(calls) >= 14, calls
