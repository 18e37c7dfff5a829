"""gunicorn settings for FieldOps (`gunicorn -c app/gunicorn_conf.py app.wsgi:app`).

Sync workers, as many as cores by default (the app is CPU-bound Python between short
database round trips). Each worker builds the app itself (no preload: database connections
are never shared across a fork) and freezes the start-up objects out of the garbage
collector's sight (app/wsgi.py).
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
