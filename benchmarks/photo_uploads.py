"""What a photo upload costs, and whether four at once stall the health check.

    .venv/bin/python benchmarks/photo_uploads.py

Runs the photo service's decode step (`app.mobile_api.service.photos._decode`, the part that
reads the header, checks the limits and decodes) in-process and prints:

- per image: the answer (accepted, or the refusal key), seconds, and the memory one decoded
  copy takes, for a 7071 x 7071 RGB PNG of about 150 KB (refused by PHOTO_MAX_DECODED_BYTES
  before decoding), a 12 MP phone photo and the largest accepted RGB image; and, for
  comparison, what decoding that PNG costs without the limit;
- four of the largest accepted images decoded at once in threads while a fifth thread calls
  GET /healthz in a loop on a SpatiaLite app: health-check median and worst latency.
"""

from __future__ import annotations

import io
import os
import statistics
import struct
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def costly_png(side: int = 7071) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = zlib.compress((b"\x00" + b"\x00" * side * 3) * side, 9)
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw)
            + chunk(b"IEND", b""))


def jpeg(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((width, height), 40).convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


def measure(name: str, data: bytes) -> None:
    from PIL import Image

    from app.errors import DomainError
    from app.mobile_api.service.photos import _decode

    width, height = Image.open(io.BytesIO(data)).size
    started = time.perf_counter()
    try:
        _decode(data)
        answer = "accepted"
    except DomainError as exc:
        answer = f"refused {exc.code} {exc.error}"
    seconds = time.perf_counter() - started
    print(f"{name:<38} {len(data) / 1e3:>7.0f} KB  {answer:<27} {seconds:6.2f} s  "
          f"decoded copy {width * height * 3 / 1e6:6.0f} MB")


def unlimited(data: bytes) -> None:
    from PIL import Image

    started = time.perf_counter()
    image = Image.open(io.BytesIO(data))
    image.load()
    print(f"{'  same PNG decoded without the limit':<38} {len(data) / 1e3:>7.0f} KB  "
          f"{'(Pillow load)':<27} {time.perf_counter() - started:6.2f} s  "
          f"decoded copy {len(image.tobytes()) / 1e6:6.0f} MB")


def concurrent(data: bytes) -> None:
    from app import create_app
    from app.mobile_api.service.photos import _decode

    tmp = tempfile.mkdtemp()
    os.environ.setdefault("FIELDOPS_INSTANCE_DIR", tmp)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3",
                      "SECRET_KEY": "bench", "JWT_SECRET_KEY": "bench" * 8})
    client = app.test_client()
    latencies: list[float] = []
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            started = time.perf_counter()
            client.get("/healthz")
            latencies.append(time.perf_counter() - started)
            time.sleep(0.01)

    prober = threading.Thread(target=probe)
    prober.start()
    time.sleep(0.3)
    baseline = len(latencies)
    workers = [threading.Thread(target=_decode, args=(data,)) for _ in range(4)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    done.set()
    prober.join()
    during = latencies[baseline:] or [0.0]
    print(f"4 concurrent decodes of the largest accepted image: {elapsed:.2f} s; /healthz "
          f"during them: {len(during)} calls, median {statistics.median(during) * 1e3:.1f} ms, "
          f"worst {max(during) * 1e3:.1f} ms")


def main() -> None:
    from app.config import Config

    side = int((Config.PHOTO_MAX_DECODED_BYTES / 3) ** 0.5)
    print(f"PHOTO_MAX_DECODED_BYTES = {Config.PHOTO_MAX_DECODED_BYTES / 1e6:.0f} MB, "
          f"PHOTO_MAX_PIXELS = {Config.PHOTO_MAX_PIXELS / 1e6:.0f} MP")
    from app.mobile_api.service import photos  # noqa: F401  (imports outside the timings)

    png = costly_png()
    measure("7071 x 7071 RGB PNG", png)
    unlimited(png)
    measure("4000 x 3000 JPEG (12 MP phone)", jpeg(4000, 3000))
    largest = jpeg(side, side)
    measure(f"{side} x {side} JPEG (largest accepted)", largest)
    concurrent(largest)


if __name__ == "__main__":
    main()
