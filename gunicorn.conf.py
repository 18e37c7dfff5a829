"""gunicorn settings for FieldOps: `gunicorn -c gunicorn.conf.py` (see README, Operations).

Every value can be overridden from the environment (GUNICORN_*), or on the command line. The
app is `app.wsgi:app`: each worker builds it (no preload: database connections are never
shared across a fork) and freezes its start-up objects out of the garbage collector's sight
(~100 ms full collections otherwise, see app/wsgi.py). `benchmarks/api.py` serves with this
file too.
"""

import os

wsgi_app = "app.wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# JSON error answers even for what gunicorn answers itself (app/serving.py).
worker_class = os.environ.get(
    "GUNICORN_WORKER_CLASS",
    "app.serving.JsonThreadWorker" if threads > 1 else "app.serving.JsonSyncWorker")

# Request limits, checked by gunicorn before the application sees the request.
# Request line (method, path and query): longer -> 414.
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", "4094"))
# Number of header fields -> 431 beyond it; size of one header field (name + value) -> 431.
limit_request_fields = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELDS", "100"))
limit_request_field_size = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", "8190"))
# Bodies are limited by the application (MAX_CONTENT_LENGTH -> 413 JSON).

# A plan run solved inside the request may take DISPATCH_INLINE_LIMIT_S (5 s by default).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then (bounded memory growth), at staggered times.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# The application logs each request itself (with its request id); gunicorn's access log is off
# unless asked for.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Prometheus multiprocess mode (app/metrics.py): with PROMETHEUS_MULTIPROC_DIR set, every
# worker writes its metric values there and a scrape of any worker sums them all.


def on_starting(server):
    """Values of a previous run must not be summed into this one."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
