"""``python -m bench``: prepare the database, serve it with gunicorn, load each endpoint, report."""

import datetime
import functools
import http.client
import json
import os
import platform
import random
import re
import secrets
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench import database, load, lost_update, queries
from bench.load import Endpoint, PoolItem, Request
from bench.queries import Probe
from bench.report import FLOOR, Report, Row
from bench.seed_plan import BENCH_PASSWORD, FULL, Scale
from bench.server import Server, cpu_snapshot, cpu_used, free_port
from pledges.pledging.models import Pledge, PledgeKind, PledgeStatus
from solidarity.accounts.models import ApiToken, User
from solidarity.accounts.tokens import issue_api_token
from solidarity.domain.models import SolidarityCycle

SAMPLE = 500  # objects a read endpoint goes round
POOL = 2000  # pledges per write endpoint


@dataclass(frozen=True)
class Options:
    scale: Scale = FULL
    seconds: float = 10
    warmup_seconds: float = 2
    connections: int = 16
    threads: int = 2
    workers: int = 2
    port: int = 0  # 0: a free port
    reseed: bool = False
    only: tuple[str, ...] = ()
    lost_update_clients: int = 16
    lost_update_pledges: int = 2
    lost_update_updates: int = 20


class BenchError(RuntimeError):
    pass


# --- The machine ----------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    return {
        "CPU": cpu,
        "cores (nproc)": str(os.cpu_count()),
        "memory": memory,
        "load average before the run": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "Python": platform.python_version(),
        "PostgreSQL": postgres,
        "wrk": _wrk_version(),
        "date": datetime.date.today().isoformat(),
    }


def _wrk_version() -> str:
    completed = subprocess.run(  # noqa: S603 - wrk's own banner
        [load.wrk_path() or "wrk", "-v"], capture_output=True, text=True, check=False
    )
    match = re.search(r"wrk (\S+)", completed.stdout + completed.stderr)
    return match.group(1) if match else "unknown"


# --- The server's environment and sessions --------------------------------------------------------------


def server_env() -> dict[str, str]:
    """Production settings, as the deployment sets them, on plain HTTP over loopback."""
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",  # no TLS on loopback; everything else stays as in production
        CONN_MAX_AGE=os.environ.get("CONN_MAX_AGE", "60"),
        API_THROTTLE_USER=os.environ.get("API_THROTTLE_USER", "100000000/hour"),
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _cookies(response) -> dict[str, str]:
    found = {}
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            found[name.strip()] = rest.split(";", 1)[0]
    return found


def login_session(port: int, username: str, password: str = BENCH_PASSWORD) -> str:
    """Log in through the login form as a browser does; the session cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    page = conn.getresponse()
    body = page.read().decode()
    csrf_cookie = _cookies(page).get(settings.CSRF_COOKIE_NAME, "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    conn.close()
    if not token or not csrf_cookie:
        raise BenchError(f"The login page gave no CSRF token (status {page.status}).")
    form = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{settings.CSRF_COOKIE_NAME}={csrf_cookie}",
        },
    )
    answer = conn.getresponse()
    answer.read()
    conn.close()
    session = _cookies(answer).get(settings.SESSION_COOKIE_NAME)
    if answer.status != 302 or not session:
        raise BenchError(f"Logging in as {username} failed (status {answer.status}).")
    return f"{settings.SESSION_COOKIE_NAME}={session}"


# --- The endpoints --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    endpoints: list[Endpoint]
    probes: dict[str, list[Probe]]  # endpoint key -> requests whose SQL queries are counted
    shown: dict[str, str]  # endpoint key -> the request as the table shows it
    lost_update_targets: list[tuple[int, str]]


BENCH_TOKEN_NAME = "Benchmark run"


@functools.cache
def _token(username: str) -> str:
    """A token of ``username`` for this run (keys are kept as digests only: each run makes its own)."""
    user = User.objects.get(username=username)
    ApiToken.objects.filter(user=user, name=BENCH_TOKEN_NAME).delete()
    return issue_api_token(user, name=BENCH_TOKEN_NAME)[1]


def _api(path: str, token: str) -> Request:
    return Request("GET", path, {"Authorization": f"Token {token}"})


def _page(path: str, cookie: str) -> Request:
    return Request("GET", path, {"Cookie": cookie})


def plan(options: Options, port: int, log=print) -> Plan:
    rng = random.Random(7)
    cycle = SolidarityCycle.objects.current()
    if cycle is None or not cycle.is_pledging:
        raise BenchError("The seeded data set has no cycle in its pledging exercise.")
    year = cycle.year
    official_be, negotiator_be = _token("official_be"), _token("negotiator_be")
    auditor = _token("bench_auditor")
    officials = {
        user.member_state_id: _token(user.username)
        for user in User.objects.filter(groups__name="official").exclude(member_state=None)
    }
    be_ids = list(Pledge.objects.filter(member_state_id="BE").order_by("pk").values_list("pk", flat=True))
    detail_ids = rng.sample(be_ids, min(SAMPLE, len(be_ids)))
    all_ids = list(Pledge.objects.order_by("pk").values_list("pk", flat=True))
    audit_ids = rng.sample(all_ids, min(SAMPLE, len(all_ids)))
    drafts = list(
        Pledge.objects.filter(
            cycle=cycle, kind=PledgeKind.ALTERNATIVE, status=PledgeStatus.DRAFT, member_state_id__in=list(officials)
        )
        .order_by("pk")
        .values("pk", "member_state_id", "version", "amount_eur")
    )
    rng.shuffle(drafts)
    spare = 4 + options.lost_update_pledges
    size = min(POOL, (len(drafts) - spare) // 2)
    if size < 1:
        raise BenchError(f"{len(drafts)} draft pledges in {year}: too few for the write endpoints.")
    if size < POOL:
        log(f"Only {size} pledges per write pool (small data set): repeated writes may collide and count as errors.")

    def pool(rows):
        return tuple(
            PoolItem(r["pk"], officials[r["member_state_id"]], r["version"], int(r["amount_eur"])) for r in rows
        )

    update_pool, transition_pool = pool(drafts[:size]), pool(drafts[size : 2 * size])
    spare_rows = drafts[2 * size : 2 * size + spare]
    probe_rows, lost_rows = spare_rows[:4], spare_rows[4:]

    sessions = {name: login_session(port, name) for name in ("official_be", "bench_auditor")}
    auditor_user = User.objects.get(username="bench_auditor")
    official_user = User.objects.get(username="official_be")
    deep_history = (
        Pledge.history.values("id").order_by("-version", "id").values_list("id", flat=True).first()
    )  # the pledge with the longest history, for the second query count
    other_cycle = SolidarityCycle.objects.exclude(pk=cycle.pk).order_by("-year").first()
    other_year = other_cycle.year if other_cycle else year

    def probe_write(row, kind):
        token = officials[row["member_state_id"]]
        if kind == "update":
            body = json.dumps({"amount_eur": f"{int(row['amount_eur']) + 7}.00", "reason": "Query count"})
            return Probe("PATCH", f"/api/v1/pledges/{row['pk']}/", token, body=body, if_match=f'"{row["version"]}"')
        body = json.dumps({"transition": "submit", "reason": "Query count"})
        return Probe(
            "POST", f"/api/v1/pledges/{row['pk']}/transition/", token, body=body, if_match=f'"{row["version"]}"'
        )

    endpoints = [
        Endpoint(FLOOR, "health (no database: the floor)", (Request("GET", "/health/"),)),
        Endpoint(
            "pledge_list",
            "pledge list (API, an official, current cycle)",
            (_api(f"/api/v1/pledges/?cycle={year}", official_be),),
        ),
        Endpoint(
            "pledge_list_all",
            "pledge list (API, the coordinator, current cycle: all states)",
            (_api(f"/api/v1/pledges/?cycle={year}", _token("bench_coordinator")),),
        ),
        Endpoint(
            "pledge_detail",
            "pledge detail (API)",
            tuple(_api(f"/api/v1/pledges/{pk}/", official_be) for pk in detail_ids),
        ),
        Endpoint("pledge_update", "pledge update, PATCH with If-Match (API)", pool=update_pool, write="update"),
        Endpoint(
            "pledge_transition", "pledge transition, submit / reopen (API)", pool=transition_pool, write="transition"
        ),
        Endpoint(
            "matrix",
            "position matrix (API, a negotiator)",
            (_api(f"/api/v1/positions/matrix/?cycle={year}", negotiator_be),),
        ),
        Endpoint(
            "fair_shares",
            "fair-share table (API, an official)",
            (_api(f"/api/v1/cycles/{year}/fair-shares/", official_be),),
        ),
        Endpoint(
            "audit_api",
            "audit log by object (API history/, an auditor)",
            tuple(_api(f"/api/v1/history/?model=pledges.pledge&object_id={pk}", auditor) for pk in audit_ids),
        ),
        Endpoint(
            "audit_page",
            "audit log page by object (an auditor)",
            tuple(_page(f"/audit/?model=pledges.pledge&object_id={pk}", sessions["bench_auditor"]) for pk in audit_ids),
        ),
        Endpoint("dashboard", "dashboard page (an official)", (_page("/", sessions["official_be"]),)),
    ]
    if options.only:
        endpoints = [e for e in endpoints if e.key in options.only or e.key == FLOOR]

    coordinator = _token("bench_coordinator")
    probes = {
        FLOOR: [Probe("GET", "/health/")],
        "pledge_list": [
            Probe("GET", f"/api/v1/pledges/?cycle={year}&page_size=10", official_be),
            Probe("GET", f"/api/v1/pledges/?cycle={year}&page_size=200", official_be),
        ],
        "pledge_list_all": [
            Probe("GET", f"/api/v1/pledges/?cycle={year}&page_size=10", coordinator),
            Probe("GET", f"/api/v1/pledges/?cycle={year}&page_size=200", coordinator),
        ],
        "pledge_detail": [Probe("GET", f"/api/v1/pledges/{pk}/", official_be) for pk in detail_ids[:2]],
        "pledge_update": [probe_write(probe_rows[0], "update"), probe_write(probe_rows[1], "update")],
        "pledge_transition": [probe_write(probe_rows[2], "transition"), probe_write(probe_rows[3], "transition")],
        "matrix": [
            Probe("GET", f"/api/v1/positions/matrix/?cycle={year}", negotiator_be),
            Probe("GET", f"/api/v1/positions/matrix/?cycle={other_year}", _token("bench_coordinator")),
        ],
        "fair_shares": [
            Probe("GET", f"/api/v1/cycles/{year}/fair-shares/", official_be),
            Probe("GET", f"/api/v1/cycles/{other_year}/fair-shares/", official_be),
        ],
        "audit_api": [
            Probe("GET", f"/api/v1/history/?model=pledges.pledge&object_id={audit_ids[0]}", auditor),
            Probe("GET", f"/api/v1/history/?model=pledges.pledge&object_id={deep_history}", auditor),
        ],
        "audit_page": [
            Probe("GET", f"/audit/?model=pledges.pledge&object_id={audit_ids[0]}", user=auditor_user),
            Probe("GET", f"/audit/?model=pledges.pledge&object_id={deep_history}", user=auditor_user),
        ],
        "dashboard": [
            Probe("GET", "/", user=official_user),
            Probe("GET", "/", user=User.objects.filter(groups__name="official").exclude(pk=official_user.pk).first()),
        ],
    }
    shown = {
        FLOOR: "GET /health/",
        "pledge_list": f"GET /api/v1/pledges/?cycle={year}",
        "pledge_list_all": f"GET /api/v1/pledges/?cycle={year}",
        "pledge_detail": "GET /api/v1/pledges/{id}/",
        "pledge_update": "PATCH /api/v1/pledges/{id}/ + If-Match",
        "pledge_transition": "POST /api/v1/pledges/{id}/transition/",
        "matrix": f"GET /api/v1/positions/matrix/?cycle={year}",
        "fair_shares": f"GET /api/v1/cycles/{year}/fair-shares/",
        "audit_api": "GET /api/v1/history/?model=pledges.pledge&object_id={id}",
        "audit_page": "GET /audit/?model=pledges.pledge&object_id={id}",
        "dashboard": "GET /",
    }
    lost_targets = [(row["pk"], officials[row["member_state_id"]]) for row in lost_rows]
    return Plan(endpoints, probes, shown, lost_targets)


def _backend_pids() -> list[int]:
    """The PostgreSQL backends serving the benchmark database (the workers' connections), not this process's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


# --- The run --------------------------------------------------------------------------------------------


def run(options: Options, log=print) -> Report:
    if settings.DEBUG:
        raise BenchError("Run the benchmark with DEBUG off (production settings).")
    if not load.wrk_path():
        raise BenchError("wrk is not installed (apt-get install wrk; `make bench` does it).")
    seed_outcome = database.prepare(options.scale, reseed=options.reseed, log=log)
    log("Collecting static files (the production manifest storage needs them).")
    call_command("collectstatic", interactive=False, verbosity=0)
    report = Report(
        machine=machine(),
        settings={
            "gunicorn": f"{options.workers} sync workers",
            "DEBUG": "off",
            "CONN_MAX_AGE": server_env()["CONN_MAX_AGE"],
            "load": f"wrk, {options.threads} threads, {options.connections} connections, "
            f"{options.seconds:g} s per endpoint after {options.warmup_seconds:g} s of warm-up",
            "data": options.scale.describe(),
        },
        seed=seed_outcome,
    )
    port = options.port or free_port()
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp:
        workdir = Path(tmp)
        server = Server(port, server_env(), options.workers, log_path=workdir / "gunicorn.log")
        log(f"Starting gunicorn ({options.workers} sync workers) on {server.base_url}.")
        server.start()
        try:
            the_plan = plan(options, port, log=log)
            floor_rps = 0.0
            for endpoint in the_plan.endpoints:
                if options.warmup_seconds and not endpoint.write:
                    server.drain()
                    load.run_wrk(
                        endpoint,
                        base_url=server.base_url,
                        seconds=options.warmup_seconds,
                        connections=options.connections,
                        threads=options.threads,
                        workdir=workdir,
                    )
                server.drain()
                app_before = cpu_snapshot(server.worker_pids())
                db_before = cpu_snapshot(_backend_pids())
                result = load.run_wrk(
                    endpoint,
                    base_url=server.base_url,
                    seconds=options.seconds,
                    connections=options.connections,
                    threads=options.threads,
                    workdir=workdir,
                )
                # CPU per request, measured before the workers serve what the run left queued.
                app_cpu = cpu_used(app_before, cpu_snapshot(server.worker_pids()))
                db_cpu = cpu_used(db_before, cpu_snapshot(_backend_pids()))
                waited = server.drain()
                if waited > 1:
                    log(f"  (the workers needed {waited:.0f} s to finish the requests left queued)")
                if endpoint.key == FLOOR:
                    floor_rps = result.rps
                rss = server.worker_rss_mb()
                row = Row(
                    endpoint.key,
                    endpoint.label,
                    the_plan.shown[endpoint.key],
                    result,
                    None,
                    max(rss) if rss else None,
                    floor_rps,
                    app_cpu * 1000 / result.requests if result.requests else None,
                    db_cpu * 1000 / result.requests if result.requests else None,
                )
                report.rows.append(row)
                log(
                    f"  {endpoint.label}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                    f"p95 {result.p95_ms:.1f} ms, {result.errors} errors, CPU per request {row.app_cpu_ms or 0:.1f} ms "
                    f"in the app and {row.db_cpu_ms or 0:.1f} ms in PostgreSQL"
                    + (f" (first bad status {result.first_bad_status})" if result.bad_status else "")
                )
            log("Counting SQL queries per request (test client, this process).")
            for row in report.rows:
                row.queries = queries.measure(the_plan.probes[row.key])
                if row.queries.problems:
                    log("  " + "; ".join(row.queries.problems))
            server.drain()
            log(f"Lost-update check: {options.lost_update_clients} clients, If-Match, retrying on 412.")
            report.lost_update = lost_update.run(
                port,
                the_plan.lost_update_targets[: options.lost_update_pledges],
                clients=options.lost_update_clients,
                updates=options.lost_update_updates,
            )
            report.machine["load average after the run"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
        finally:
            server.stop()
            log_text = (
                (workdir / "gunicorn.log").read_text(errors="replace") if (workdir / "gunicorn.log").exists() else ""
            )
            if "Traceback" in log_text:
                log("gunicorn logged errors:\n" + log_text[-4000:])
    return report
