"""A real gunicorn (gunicorn.conf.py, 2 workers) serving FieldOps on 127.0.0.1, for tests."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class GunicornServer:
    def __init__(self, database_url: str, tmp_dir: Path, **env: str) -> None:
        self.log_path = tmp_dir / "gunicorn.log"
        environment = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": database_url,
            "FIELDOPS_INSTANCE_DIR": str(tmp_dir),
            "SECRET_KEY": "test-secret",
            "JWT_SECRET_KEY": "test-jwt-secret-that-is-long-enough-for-hs256",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "GUNICORN_BIND": "127.0.0.1:0",
            "WEB_CONCURRENCY": "2",
            **env,
        }
        self.log_file = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(REPO / "gunicorn.conf.py")],
            cwd=REPO, env=environment, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.port = self._wait_listening()

    def _wait_listening(self) -> int:
        deadline = time.monotonic() + 60
        booted = 0
        port = 0
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            if match := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text):
                port = int(match.group(1))
            booted = text.count("Booting worker")
            if port and booted >= 2:
                return port
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{text}")
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()}")

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            sent = {"Content-Type": "application/json"} if payload is not None else {}
            conn.request(method, path, body=payload, headers={**sent, **(headers or {})})
            response = conn.getresponse()
            return (response.status, {k.lower(): v for k, v in response.getheaders()},
                    response.read())
        finally:
            conn.close()

    def raw(self, data: bytes) -> bytes:
        """Send bytes as they are (requests no HTTP client would build) and read the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(data)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()
        return self.log_path.read_text(errors="replace")
