"""API speed under load: gunicorn, closed-loop clients, city demo data, both databases.

    .venv/bin/python benchmarks/api.py [--databases spatialite,postgis] [--seconds 10]
        [--concurrency 1,8,32] [--workers 2] [--scale] [--day-jobs N]
        [--endpoints day,queue,...]

For each database it seeds (or reuses) the demo data (`flask seed-demo --size city`, or `--size
country` with --scale: 10x the assets and work orders) in a database of its own (SQLite file
under --data-dir; PostgreSQL database <--postgres-db-prefix><size>, by default
fieldops_bench_<size>, on --postgres-url's server), serves the app with gunicorn (the production
gunicorn.conf.py: JSON sync workers, app.wsgi:app; worker recycling off for the run) and a bare
Flask "hello" app with the same gunicorn settings, and
drives each endpoint with N closed-loop clients (threads, a new connection per request: sync
workers do not keep connections alive) for --duration seconds per point. It prints req/s, p50,
p95 and p99 per endpoint and concurrency, beside two floors from the same run (the hello app and
/healthz), and the statements and raw SQL time (cursor execute, summed) of one request of each
endpoint measured in-process, with the Python function calls it makes (cProfile's count: the
same for the same code, however fast the machine runs at the moment). The clients run on the
same machine as the server.

Settings pass through the environment to the servers, e.g. FIELDOPS_GC_FREEZE=0 (no
gc.freeze after start-up), DATABASE_PREPARE_THRESHOLD=5, DATABASE_POOL_PRE_PING=1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
JWT_SECRET = "benchmark-jwt-secret-that-is-long-enough-for-hs256"
STATUS_JOBS = 40  # jobs kept on site / on hold for the status-change endpoint


def _env(url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": url, "FIELDOPS_INSTANCE_DIR": str(data_dir / "instance"),
                "JWT_SECRET_KEY": JWT_SECRET, "SECRET_KEY": JWT_SECRET,
                "JWT_ACCESS_MINUTES": "600", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "PYTHONPATH": str(ROOT), "FLASK_APP": "app",
                "SPATIALITE_LIBRARY_PATH": os.environ.get("SPATIALITE_LIBRARY_PATH",
                                                          "mod_spatialite"), **extra})
    return env


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([PYTHON, "-m", "flask", *args], env=env, cwd=ROOT, text=True,
                          capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout + done.stderr


def database_url(kind: str, size: str, args: argparse.Namespace) -> str:
    if kind == "spatialite":
        return f"sqlite:///{args.data_dir / f'api_{size}.sqlite3'}"
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(args.postgres_url)
    name = f"{args.postgres_db_prefix}{size}"
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name)
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(
            hide_password=False), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return url.render_as_string(hide_password=False)


def prepare(kind: str, size: str, args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    url = database_url(kind, size, args)
    env = _env(url, args.data_dir)
    _flask(env, "db", "upgrade")
    started = time.perf_counter()
    out = _flask(env, "seed-demo", "--size", size)
    if "already present" in out:
        print(f"[{kind}] reusing the {size} demo data")
    else:
        print(f"[{kind}] seeded {size} demo data in {time.perf_counter() - started:.1f} s")
    if kind == "postgis":
        # Fresh statistics, as autovacuum keeps them in production (it is off on the CI
        # machines, and earlier runs' writes changed the tables): plans as a server has them.
        import psycopg
        from sqlalchemy.engine import make_url

        with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(
                hide_password=False), autocommit=True) as conn:
            conn.execute("ANALYZE")
    return url, env


# --- the endpoints -------------------------------------------------------------------------

@dataclass
class Request:
    method: str
    path: str
    token: str | None = None
    body: dict[str, Any] | None = None
    cookie: str | None = None  # a console page: the signed session cookie


@dataclass
class Endpoint:
    name: str
    make: Callable[[int, int], Request]  # (client index, iteration) -> request
    target: str = ""
    server: str = "app"  # or "hello"
    sql_statements: int | None = None
    sql_ms: float | None = None
    python_calls: int | None = None  # function calls in the app for one request (cProfile)


@dataclass
class Fixture:
    tokens: dict[str, str]
    day_date: str
    day_jobs: int
    candidates_wo: int
    customer_tags: list[str]
    part_id: int
    warehouse_id: int
    status_jobs: list[int]
    extra: dict[str, Any] = field(default_factory=dict)


def fixture(app: Any, day_jobs: int | None = None) -> Fixture:
    """Who asks what: tokens minted with the servers' secret, ids picked from the data.
    The technician's day is the busiest technician-day, or with `day_jobs` the busiest with
    at most that many jobs (a country run then asks for a day the size of the city's)."""
    from flask_jwt_extended import create_access_token
    from sqlalchemy import func, select

    from app import geo
    from app.assets.models import Asset, Site
    from app.auth.models import User
    from app.dispatch.models import Technician
    from app.extensions import db
    from app.inventory.models import LocationKind, Part, StockLocation
    from app.mobile_api.models import SiteVisit
    from app.workorders.models import WorkOrder

    with app.app_context():
        s = db.session

        def token(user: Any) -> str:
            return create_access_token(identity=str(user.id),
                                       additional_claims={"role": user.role},
                                       expires_delta=timedelta(hours=10))

        first = {role: s.scalar(select(User).where(User.role == role, User.is_active.is_(True))
                                .order_by(User.id))
                 for role in ("dispatcher", "warehouse", "customer")}
        # The technician day with the most jobs (any date: the demo places them "today").
        day = func.date(WorkOrder.scheduled_start)
        days = (select(WorkOrder.assignee_user_id, day.label("day"), func.count().label("n"))
                .where(WorkOrder.assignee_user_id.is_not(None),
                       WorkOrder.scheduled_start.is_not(None),
                       WorkOrder.status != "cancelled")
                .group_by(WorkOrder.assignee_user_id, day)
                .order_by(func.count().desc(), WorkOrder.assignee_user_id))
        if day_jobs is not None:
            days = days.having(func.count() <= day_jobs)
        row = s.execute(days).first()
        assert row is not None, "no technician has scheduled jobs"
        day_user = s.get(User, row[0])
        candidates_wo = s.scalar(select(WorkOrder.id).where(WorkOrder.status == "new")
                                 .order_by(WorkOrder.id))
        tags = list(s.scalars(select(Asset.tag).join(Site, Site.id == Asset.site_id)
                              .where(Site.customer_id == first["customer"].customer_id)
                              .order_by(Asset.id).limit(200)))
        part_id = s.scalar(select(Part.id).order_by(Part.id))
        warehouse_id = s.scalar(select(StockLocation.id).where(
            StockLocation.kind == LocationKind.warehouse).order_by(StockLocation.id))
        # A second technician holds jobs on site; clients move them on hold and back.
        techs = list(s.scalars(select(Technician).order_by(Technician.id)))
        status_tech = next(t for t in techs if t.user_id != day_user.id)
        jobs = list(s.scalars(select(WorkOrder).where(
            WorkOrder.assignee_user_id == status_tech.user_id,
            WorkOrder.status.in_(["on_site", "on_hold"])).order_by(WorkOrder.id)))
        if len(jobs) < STATUS_JOBS:
            more = list(s.scalars(select(WorkOrder).where(
                WorkOrder.status.in_(["new", "scheduled"]), WorkOrder.id != candidates_wo)
                .order_by(WorkOrder.id.desc()).limit(STATUS_JOBS - len(jobs))))
            for wo in more:
                wo.assignee_user_id = status_tech.user_id
                wo.status = "on_site"
                wo.hold_reason = None
            s.commit()
            jobs += more
        visited = set(s.scalars(select(SiteVisit.work_order_id).where(
            SiteVisit.work_order_id.in_([wo.id for wo in jobs]))))
        for wo in jobs:  # each run starts from on_site, checked in (resuming needs a visit)
            if wo.status == "on_hold":
                wo.status, wo.hold_reason = "on_site", None
            wo.responded_at = wo.responded_at or wo.created_at  # arrived once
            if wo.id not in visited:
                s.add(SiteVisit(work_order_id=wo.id, technician_user_id=status_tech.user_id,
                                check_in_position=geo.to_point(48.1374, 11.5755),
                                check_in_accuracy_m=10, check_in_distance_m=5,
                                check_in_inside_geofence=True))
        s.commit()
        tokens = {role: token(u) for role, u in first.items()}
        tokens["technician"] = token(day_user)
        tokens["status_technician"] = token(s.get(User, status_tech.user_id))
        # The console's pages: a session cookie signed with the servers' SECRET_KEY.
        signer = app.session_interface.get_signing_serializer(app)
        tokens["console_dispatcher"] = "session=" + signer.dumps({"uid": first["dispatcher"].id})
        return Fixture(tokens=tokens, day_date=str(row[1])[:10], day_jobs=int(row[2]),
                       candidates_wo=candidates_wo, customer_tags=tags, part_id=part_id,
                       warehouse_id=warehouse_id, status_jobs=[wo.id for wo in jobs])


def endpoints(fx: Fixture, clients: int) -> list[Endpoint]:
    t = fx.tokens
    lat, lng = 48.1374, 11.5755
    # Each client owns its own status-change jobs, so concurrent clients never collide.
    per_client = max(1, len(fx.status_jobs) // max(clients, 1))

    # Requests sent per job, over all points: even -> put it on hold, odd -> resume. (By the
    # client's own count, a job left on hold at the end of one point got a 409 at the start
    # of the next.)
    sent: dict[int, int] = {}

    def status(client: int, i: int) -> Request:
        jobs = fx.status_jobs[client * per_client:(client + 1) * per_client] or fx.status_jobs
        job = jobs[(i // 2) % len(jobs)]
        sent[job] = sent.get(job, 0) + 1
        body = ({"to": "on_hold", "hold_reason": "parts"} if sent[job] % 2
                else {"to": "on_site"})
        return Request("POST", f"/mobile/v1/jobs/{job}/status", t["status_technician"], body)

    return [
        Endpoint("hello (floor)", lambda c, i: Request("GET", "/"), server="hello"),
        Endpoint("/healthz (floor)", lambda c, i: Request("GET", "/healthz")),
        Endpoint("day", lambda c, i: Request(
            "GET", f"/mobile/v1/me/jobs?date={fx.day_date}", t["technician"]),
            target="p95 < 50 ms"),
        Endpoint("nearby", lambda c, i: Request(
            "GET", f"/api/v1/assets/nearby?lat={lat}&lng={lng}&radius_m=2000", t["dispatcher"]),
            target="p95 < 50 ms"),
        Endpoint("queue", lambda c, i: Request(
            "GET", "/api/v1/work-orders?page_size=50", t["dispatcher"]),
            target="p95 < 100 ms, >= 100 req/s"),
        Endpoint("queue+filter", lambda c, i: Request(
            "GET", "/api/v1/work-orders?page_size=50&status=new&status=scheduled"
                   "&priority=P1&priority=P2", t["dispatcher"]),
            target="p95 < 100 ms, >= 100 req/s"),
        Endpoint("candidates", lambda c, i: Request(
            "GET", f"/api/v1/work-orders/{fx.candidates_wo}/candidates", t["dispatcher"]),
            target="p95 < 50 ms"),
        Endpoint("fault report (w)", lambda c, i: Request(
            "POST", "/api/v1/fault-reports", t["customer"],
            {"asset_tag": fx.customer_tags[(c * 7919 + i) % len(fx.customer_tags)],
             "description": "Benchmark: unit trips on high pressure."}),
            target="p95 < 50 ms"),
        Endpoint("stock movement (w)", lambda c, i: Request(
            "POST", "/api/v1/stock-movements", t["warehouse"],
            {"kind": "receipt", "part_id": fx.part_id, "quantity": 1,
             "to_location_id": fx.warehouse_id}), target="p95 < 50 ms"),
        Endpoint("status change (w)", status, target="p95 < 50 ms"),
        Endpoint("console board", lambda c, i: Request(
            "GET", f"/board?date={fx.day_date}", cookie=t["console_dispatcher"])),
        Endpoint("console queue", lambda c, i: Request(
            "GET", "/queue", cookie=t["console_dispatcher"])),
    ]


# --- raw SQL time, in-process ---------------------------------------------------------------

def measure_sql(app: Any, eps: list[Endpoint], repeat: int = 5) -> None:
    """Statements and summed cursor-execute time of one request, median of `repeat`."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    timings: list[float] = []
    started: dict[int, float] = {}

    def before(conn: Any, cursor: Any, *_a: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, *_a: Any) -> None:
        timings.append(time.perf_counter() - started.pop(id(cursor), time.perf_counter()))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    client = app.test_client()
    try:
        for ep in eps:
            if ep.server != "app":
                continue
            counts, totals = [], []
            for i in range(repeat + 1):
                req = ep.make(0, i)
                headers = {"Authorization": f"Bearer {req.token}"} if req.token else {}
                if req.cookie:
                    client.set_cookie(*req.cookie.split("=", 1))
                timings.clear()
                client.open(req.path, method=req.method, headers=headers, json=req.body)
                if i:  # the first one warms caches
                    counts.append(len(timings))
                    totals.append(sum(timings) * 1000)
            ep.sql_statements = int(statistics.median(counts))
            ep.sql_ms = statistics.median(totals)
            ep.python_calls = python_calls(client, ep)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def python_calls(client: Any, ep: Endpoint, repeat: int = 3) -> int:
    """Python function calls one request makes in-process (cProfile's count, median of
    `repeat`): unlike CPU time on this VM, whose speed drifts by 20-35 % within minutes, the
    same code answering the same request makes the same calls, so a change's effect on the
    Python work shows even when the timings cannot resolve it."""
    import cProfile
    import pstats

    counts = []
    for i in range(repeat):
        req = ep.make(0, i)
        headers = {"Authorization": f"Bearer {req.token}"} if req.token else {}
        profile = cProfile.Profile()
        profile.enable()
        try:
            client.open(req.path, method=req.method, headers=headers, json=req.body)
        finally:
            profile.disable()
        counts.append(pstats.Stats(profile).total_calls)
    return int(statistics.median(counts))


def gc_pauses(app: Any, ep: Endpoint, requests: int = 150) -> str:
    """Full (generation 2) collections during `requests` in-process requests, and their
    pauses, without and then with gc.freeze() of what start-up left alive."""
    import gc

    client = app.test_client()
    out = []
    for frozen in (False, True):
        gc.unfreeze()
        gc.collect()
        if frozen:
            gc.freeze()
        pauses: list[float] = []
        began: list[float] = []

        def callback(phase: str, info: dict[str, Any], pauses: list[float] = pauses,
                     began: list[float] = began) -> None:
            if info.get("generation") != 2:
                return
            if phase == "start":
                began.append(time.perf_counter())
            elif began:
                pauses.append((time.perf_counter() - began.pop()) * 1000)

        gc.callbacks.append(callback)
        try:
            for i in range(requests):
                req = ep.make(0, i)
                headers = {"Authorization": f"Bearer {req.token}"} if req.token else {}
                client.open(req.path, method=req.method, headers=headers, json=req.body)
        finally:
            gc.callbacks.remove(callback)
        tracked = len(gc.get_objects())
        worst = max(pauses, default=0.0)
        out.append(f"{'frozen' if frozen else 'not frozen'}: {len(pauses)} full collections "
                   f"in {requests} requests, longest {worst:.1f} ms, {tracked:,} objects tracked")
    gc.unfreeze()
    return "; ".join(out)


# --- servers and load -------------------------------------------------------------------------

def _load() -> str:
    """The machine's load average: the clients, the servers and the database share its
    cores with whatever else runs (compare rows with the floors of the same run)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


def _proc_cpu_s(pid: str) -> tuple[str, float]:
    """A process's command name and CPU seconds so far (utime + stime, from /proc);
    ("", 0.0) when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "", 0.0
    name, rest = stat.split("(", 1)[1].rsplit(")", 1)
    fields = rest.split()
    return name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_s() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (backends included):
    on PostGIS the database shares the cores with the web workers."""
    procs = (_proc_cpu_s(entry.name) for entry in Path("/proc").iterdir()
             if entry.name.isdigit())
    return sum(cpu for name, cpu in procs if name.startswith("postgres"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """gunicorn serving `target`; its log (the app logs every request) goes to a file.

    Not to a pipe: a pipe nobody reads fills after 64 KiB of log lines, and then every worker
    blocks in write() for good, idle and answering nothing (what stopped earlier runs).
    """

    def __init__(self, target: str, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}",
               "WEB_CONCURRENCY": str(workers), "GUNICORN_MAX_REQUESTS": "0"}
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                 target], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)

    def wait_ready(self, path: str, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited, see {self.log}:\n"
                                 f"{self.log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path, headers={"Connection": "close"})
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer in time, see {self.log}")

    def cpu_s(self) -> float:
        """CPU seconds used so far by the workers (the master's children, from /proc)."""
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return 0.0
        return sum(_proc_cpu_s(pid)[1] for pid in children.split())

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


@dataclass
class Point:
    rps: float
    p50: float
    p95: float
    p99: float
    errors: str  # count and the statuses seen, e.g. "2 (409)"
    requests: int = 0


def load(port: int, ep: Endpoint, clients: int, duration_s: float) -> Point:
    """`clients` closed-loop clients: each sends its next request when the last answered."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]
    stop_at = time.perf_counter() + duration_s
    start = threading.Barrier(clients)

    def client(n: int) -> None:
        start.wait()
        i = 0
        while time.perf_counter() < stop_at:
            req = ep.make(n, i)
            i += 1
            # Sync workers close every connection anyway; saying so spares both sides a
            # keep-alive they would not honour.
            headers = {"Content-Type": "application/json", "Connection": "close"}
            if req.token:
                headers["Authorization"] = f"Bearer {req.token}"
            if req.cookie:
                headers["Cookie"] = req.cookie
            body = json.dumps(req.body) if req.body is not None else None
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request(req.method, req.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                status = str(response.status)
            except OSError as exc:
                status = type(exc).__name__
            latencies[n].append(time.perf_counter() - t0)
            if not status.isdigit() or int(status) >= 400:
                errors[n].append(status)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - began
    flat = sorted(x for lat in latencies for x in lat)
    if not flat:
        return Point(0, 0, 0, 0, "")

    def pct(q: float) -> float:
        return flat[min(len(flat) - 1, int(q * len(flat)))] * 1000

    seen = [e for errs in errors for e in errs]
    codes = ",".join(sorted(set(seen)))
    return Point(len(flat) / elapsed, pct(0.50), pct(0.95), pct(0.99),
                 f"{len(seen)} ({codes})" if seen else "0", len(flat))


def run_database(kind: str, args: argparse.Namespace) -> list[str]:
    size = "country" if args.scale else "city"
    url, env = prepare(kind, size, args)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "FIELDOPS_INSTANCE_DIR",
                                           "JWT_SECRET_KEY", "SECRET_KEY")})
    from app import create_app
    from app.extensions import db

    # In-process requests (statements, SQL time) log nothing below warnings.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "JWT_SECRET_KEY": JWT_SECRET,
                      "LOG_LEVEL": "WARNING"})
    concurrency = [int(c) for c in args.concurrency.split(",")]

    def chosen(fx: Fixture) -> list[Endpoint]:
        return [ep for ep in endpoints(fx, max(concurrency))
                if not args.endpoints or any(ep.name.startswith(n) for n in args.endpoints)]

    probe = chosen(fixture(app, args.day_jobs))
    if args.gc_pauses:
        queue = next(ep for ep in endpoints(fixture(app, args.day_jobs), 1)
                      if ep.name == "queue")
        print(f"[{kind}] GC, queue in-process: {gc_pauses(app, queue)}", flush=True)
    measure_sql(app, probe)
    sql = {ep.name: (ep.sql_statements, ep.sql_ms, ep.python_calls) for ep in probe}
    # the status-change jobs back on site after the in-process requests
    fx = fixture(app, args.day_jobs)
    eps = chosen(fx)
    with app.app_context():
        db.engine.dispose()
    print(f"[{kind}] technician's day: {fx.day_jobs} jobs on {fx.day_date}; "
          f"{len(fx.status_jobs)} status-change jobs; {_load()}")
    servers = {"app": Server("app.wsgi:app", env, args.workers,
                             args.data_dir / f"gunicorn-{kind}-app.log"),
               "hello": Server("benchmarks._hello:app", env, args.workers,
                               args.data_dir / f"gunicorn-{kind}-hello.log")}
    lines = []
    try:
        servers["app"].wait_ready("/healthz")
        servers["hello"].wait_ready("/")
        for ep in eps:
            stmts, sql_ms, calls = sql.get(ep.name, (None, None, None))
            for c in concurrency:
                cpu_before, db_before = servers[ep.server].cpu_s(), postgres_cpu_s()
                point = load(servers[ep.server].port, ep, c, args.duration)
                cpu_ms = ((servers[ep.server].cpu_s() - cpu_before) * 1000
                          / max(point.requests, 1))
                db_ms = ((postgres_cpu_s() - db_before) * 1000 / max(point.requests, 1)
                         if kind == "postgis" else 0.0)
                line = (f"| {kind} | {ep.name} | {c} | {point.rps:,.0f} | {point.p50:.1f} | "
                        f"{point.p95:.1f} | {point.p99:.1f} | {cpu_ms:.1f} | {db_ms:.1f} | "
                        f"{point.errors} | "
                        f"{'' if stmts is None else stmts} | "
                        f"{'' if sql_ms is None else f'{sql_ms:.1f}'} | "
                        f"{'' if calls is None else f'{calls:,}'} | {ep.target} |")
                print(line, flush=True)
                lines.append(line)
    finally:
        for server in servers.values():
            server.stop()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="spatialite,postgis")
    parser.add_argument("--seconds", "--duration", dest="duration", type=float, default=10.0,
                        help="seconds per point")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--scale", action="store_true",
                        help="country size: 10x the city's assets and work orders")
    parser.add_argument("--endpoints", nargs="*", help="name prefixes (default: all)")
    parser.add_argument("--day-jobs", type=int, default=None,
                        help="the technician's day: the busiest with at most this many jobs "
                             "(default: the busiest), e.g. the city's count on a --scale run")
    parser.add_argument("--gc-pauses", action="store_true",
                        help="also count full GC pauses in-process, without and with gc.freeze")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/fieldops-bench"))
    parser.add_argument("--postgres-url", default=os.environ.get(
        "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--postgres-db-prefix", default="fieldops_bench_",
                        help="the PostgreSQL database is <prefix><size>")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    header = ("| db | endpoint | clients | req/s | p50 ms | p95 ms | p99 ms | "
              "server CPU ms/req | PostgreSQL CPU ms/req | errors | SQL stmts | SQL ms | "
              "Python calls | target (PostGIS, c=8) |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"gunicorn {args.workers} sync workers, {args.duration:g} s per point, "
          f"gc.freeze {'off' if os.environ.get('FIELDOPS_GC_FREEZE') == '0' else 'on'}")
    print(header, flush=True)
    results = []
    for kind in args.databases.split(","):
        results += run_database(kind.strip(), args)
    print("\n" + header)
    print("\n".join(results))
    print(f"\nat the end: {_load()}")


if __name__ == "__main__":
    main()
