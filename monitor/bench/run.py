"""`monitor bench`: measure the pages, submit, reports, exports and map at a given scale.

Figures are measured in one run, on one server setup (gunicorn, 2 workers × 4 threads, loopback),
with the trivial ``/ping`` endpoint measured in the same run as the baseline, so ratios compare
like with like on whatever machine runs the benchmark. Every figure is taken at ``small`` and at
the chosen scale; growth ratios show whether a page's cost grows with the size of the history.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from monitor.bench import measures
from monitor.bench.generate import BENCH_PASSWORD, SCALES, generate
from monitor.bench.load import hammer, percentile, single
from monitor.bench.server import Server
from monitor.core import paths
from monitor.core.crypto import Vault, read_key_file
from monitor.db.migrate import upgrade_to_head
from monitor.db.models import Facility, Visit, VisitState
from monitor.db.session import make_engine, make_session_factory
from monitor.services.catalog import load_catalog

Echo = Callable[[str], None]
#: Complete visits submitted over HTTP per scale; the figure is their median.
SUBMITS = 20


@dataclass
class ScaleRun:
    """The figures of one scale: name → {"value", "unit", ...}."""

    scale: str
    database: str
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, name: str, value: float | None, unit: str, **extra: Any) -> None:
        self.figures[name] = {"value": None if value is None else round(float(value), 4),
                              "unit": unit, **extra}

    def value(self, name: str) -> float | None:
        entry = self.figures.get(name)
        return None if entry is None else entry["value"]


def database_for(scale: str, base_url: str | None, workdir: Path) -> str:
    """The database a scale's synthetic data lives in (kept between runs, reused if complete)."""
    if base_url is None:
        return f"sqlite:///{workdir / f'bench-{scale}.sqlite3'}"
    url = make_url(base_url)
    if url.get_backend_name() == "sqlite":
        stem = Path(url.database or "bench.sqlite3")
        return str(url.set(database=str(stem.with_name(f"{stem.stem}-{scale}{stem.suffix}"))))
    name = f"{url.database}_bench_{scale}"
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %(n)s", {"n": name}).first()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def prepare(scale: str, url: str, workdir: Path, echo: Echo,
            progress: Callable[..., Any]) -> tuple[Vault, dict[str, str]]:
    """Migrate and fill the database unless it already holds this scale's data."""
    key_file = workdir / "bench-data.key"
    keys = read_key_file(key_file, create=True)
    vault = Vault(keys)
    upgrade_to_head(url)
    target = SCALES[scale]
    sessions = make_session_factory(url)
    catalog = load_catalog(paths.CHECKLISTS)
    with sessions() as session:
        have = session.scalar(select(func.count(Visit.id))) or 0
        if have < target.visits:
            if have:
                raise RuntimeError(f"{url} holds {have} visits, fewer than the {target.visits} of "
                                   f"'{scale}': delete it (or use another --db) and run again.")
            echo(f"generating {target.facilities} facilities and {target.visits} visits ({scale})")
            with progress(range(target.visits), label=f"Generating {scale}") as bar:
                result = generate(session, target, catalog, vault, on_progress=bar.update)
            echo(f"generated at {result.visits_per_second:.0f} visits/s ({result.seconds:.0f} s)")
    sessions.kw["bind"].dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(DATABASE_URL=url, MONITOR_SECRET_KEY="bench-secret-key-not-for-production-use",
               MONITOR_DATA_KEYS=",".join(keys), MONITOR_INSTANCE=str(workdir / "instance"),
               MONITOR_ENV="development")
    return vault, env


class Browser:
    """A signed-in HTTP session against the bench server (cookie and CSRF token kept)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.token = ""

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Cookie": self.cookie, **extra} if self.cookie else dict(extra)

    def get(self, path: str) -> tuple[int, bytes, float]:
        status, body, seconds, headers = single(self.port, "GET", path, headers=self.headers())
        self._remember(headers)
        return status, body, seconds

    def post(self, path: str, data: dict[str, str]) -> tuple[int, bytes, float]:
        body = urlencode({"csrf_token": self.token, **data}).encode()
        status, payload, seconds, headers = single(
            self.port, "POST", path, body=body,
            headers=self.headers(**{"Content-Type": "application/x-www-form-urlencoded"}))
        self._remember(headers)
        return status, payload, seconds

    def _remember(self, headers: dict[str, str]) -> None:
        cookie = headers.get("set-cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]

    def login(self, email: str, password: str) -> None:
        _, page, _ = self.get("/login")
        self.token = _csrf(page)
        status, _, _ = self.post("/login", {"email": email, "password": password})
        if status != 302:
            raise RuntimeError(f"bench sign-in failed with HTTP {status}")
        _, page, _ = self.get("/dashboard/")
        self.token = _csrf(page) or self.token


def _csrf(page: bytes) -> str:
    found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', page)
    return found.group(1).decode() if found else ""


def measure_scale(scale: str, url: str, workdir: Path, *, seconds: float, concurrency: int,
                  echo: Echo, progress: Callable[..., Any], report_batch: int = 50) -> ScaleRun:
    """Prepare the data of *scale* and take every figure."""
    vault, env = prepare(scale, url, workdir, echo, progress)
    catalog = load_catalog(paths.CHECKLISTS)
    run = ScaleRun(scale, make_url(url).get_backend_name())
    sessions = make_session_factory(url)
    with sessions() as session:
        facility = session.scalar(
            select(Facility).join(Visit, Visit.facility_id == Facility.id)
            .where(Visit.state == VisitState.PUBLISHED).order_by(Facility.id).limit(1))
        public_id = facility.public_id
        located = session.scalar(select(func.count(Facility.id))
                                 .where(Facility.latitude.is_not(None))) or 0
    sessions.kw["bind"].dispose()
    with Server(env, log=workdir / "bench-server.log") as server:
        browser = Browser(server.port)
        browser.login("bench-coordinator@bench.example", BENCH_PASSWORD)
        cookie = {"Cookie": browser.cookie}
        pages = measures.page_paths(public_id)
        baseline = hammer(server.port, "/ping", concurrency=concurrency, seconds=seconds)
        run.add("trivial.rps", baseline.rps, "req/s", p50_ms=baseline.p50_ms, p99_ms=baseline.p99_ms)
        single_ping = statistics.median(single(server.port, "GET", "/ping")[2] for _ in range(50))
        run.add("trivial.latency", single_ping * 1000, "ms")
        for name, (path, needs_login) in pages.items():
            echo(f"  {scale}: {name} at concurrency {concurrency}")
            result = hammer(server.port, path, concurrency=concurrency, seconds=seconds,
                            headers=cookie if needs_login else None)
            run.add(f"{name}.rps", result.rps, "req/s", p50_ms=round(result.p50_ms, 2),
                    p99_ms=round(result.p99_ms, 2), errors=result.errors,
                    failures={str(k): v for k, v in result.failures.items()},
                    ratio_to_trivial=round(result.rps / baseline.rps, 4) if baseline.rps else None)
            run.add(f"{name}.p50", result.p50_ms, "ms")
            if name != "public_map":
                run.add(f"{name}.cold", measures.cold_latency(
                    url, server.port, path, headers=cookie if needs_login else None), "ms",
                    measured="first request after a change to the data (body not kept)")
        echo(f"  {scale}: submit of complete visits")
        submits = measures.submit_latency(url, vault, browser, catalog, count=SUBMITS)
        submit = statistics.median(submits)
        run.add("submit.latency", submit * 1000, "ms", submits=len(submits),
                p90_ms=round(percentile(submits, 0.9) * 1000, 2),
                max_ms=round(max(submits) * 1000, 2),
                ratio_to_trivial=round(submit / single_ping, 2) if single_ping else None)
        echo(f"  {scale}: public map size and Chromium render")
        for name, (value, unit, extra) in measures.map_figures(server.port, located).items():
            run.add(name, value, unit, **extra)
        run.add("worker.peak_memory", server.worker_peak_mb(), "MB")
    echo(f"  {scale}: overview from stored summaries vs naive recompute")
    stored, naive = measures.overview_in_process(url, vault, catalog)
    run.add("overview.stored_ms", stored, "ms")
    run.add("overview.naive_ms", naive, "ms", ratio=round(naive / stored, 1) if stored else None)
    echo(f"  {scale}: facility PDF report and a batch of {report_batch}")
    for name, (value, unit, extra) in measures.facility_report(url, catalog, workdir,
                                                               batch=report_batch).items():
        run.add(name, value, unit, **extra)
    echo(f"  {scale}: answers export (long CSV)")
    for name, (value, unit, extra) in measures.answers_export(url, workdir, catalog, vault).items():
        run.add(name, value, unit, **extra)
    return run


BUDGETS: list[tuple[str, str, Callable[[ScaleRun, ScaleRun | None], tuple[float | None, bool | None]]]] = []


def budget(name: str, goal: str):
    def register(check):
        BUDGETS.append((name, goal, check))
        return check
    return register


def _ratio(run: ScaleRun, name: str) -> float | None:
    entry = run.figures.get(name) or {}
    return entry.get("ratio_to_trivial")


@budget("facility dashboard throughput", ">= 0.15 x trivial")
def _b1(run, small):
    value = _ratio(run, "facility_dashboard.rps")
    return value, None if value is None else value >= 0.15


@budget("public facility profile throughput", ">= 0.15 x trivial")
def _b2(run, small):
    value = _ratio(run, "public_profile.rps")
    return value, None if value is None else value >= 0.15


@budget("facility dashboard latency growth", "<= 1.5 x small")
def _b3(run, small):
    if small is None or run is small or not small.value("facility_dashboard.p50"):
        return None, None
    value = run.value("facility_dashboard.p50") / small.value("facility_dashboard.p50")
    return value, value <= 1.5


@budget("public profile latency growth", "<= 1.5 x small")
def _b3b(run, small):
    if small is None or run is small or not small.value("public_profile.p50"):
        return None, None
    value = run.value("public_profile.p50") / small.value("public_profile.p50")
    return value, value <= 1.5


@budget("overview dashboard throughput", ">= 0.05 x trivial")
def _b4(run, small):
    value = _ratio(run, "overview_dashboard.rps")
    return value, None if value is None else value >= 0.05


@budget("overview vs naive recompute", ">= 10 x faster")
def _b5(run, small):
    stored, naive = run.value("overview.stored_ms"), run.value("overview.naive_ms")
    if not stored or naive is None:
        return None, None
    value = naive / stored
    return value, value >= 10


@budget("complete visit submit latency", "<= 25 x trivial latency")
def _b6(run, small):
    value = _ratio(run, "submit.latency")
    return value, None if value is None else value <= 25


@budget("facility PDF overhead", "<= 1.3 x WeasyPrint render")
def _b7(run, small):
    total, render = run.value("report.facility_total"), run.value("report.facility_weasyprint")
    if not total or not render:
        return None, None
    return total / render, total / render <= 1.3


@budget("answers export speed", ">= 100000 rows/s")
def _b8(run, small):
    value = run.value("export.answers_rows_per_s")
    return value, None if value is None else value >= 100_000


@budget("answers export memory independent of rows", "peak(large)/peak(small) <= 1.5")
def _b9(run, small):
    if small is None or run is small:
        return None, None  # needs two sizes of history
    a, b = run.value("export.answers_peak_mb"), small.value("export.answers_peak_mb")
    if not a or not b:
        return None, None
    return a / b, a / b <= 1.5


@budget("public map HTML per facility", "<= 150 bytes")
def _b10(run, small):
    value = run.value("map.bytes_per_facility")
    return value, None if value is None else value <= 150


@budget("public map render vs bare Leaflet", "<= 2 x")
def _b11(run, small):
    ours, bare = run.value("map.render_ms"), run.value("map.bare_leaflet_render_ms")
    if not ours or not bare:
        return None, None
    return ours / bare, ours / bare <= 2


@budget("worker peak memory", "<= 300 MB")
def _b12(run, small):
    value = run.value("worker.peak_memory")
    return value, None if value is None else value <= 300


def evaluate_budgets(run: ScaleRun, small: ScaleRun | None) -> list[dict[str, Any]]:
    results = []
    for name, goal, check in BUDGETS:
        value, met = check(run, small)
        if met is None:
            continue  # this scale cannot evaluate it
        results.append({"name": name, "goal": goal, "value": round(value, 4), "met": bool(met)})
    return results


def bench(scale: str, *, db_url: str | None, workdir: Path, json_path: Path | None,
          seconds: float, concurrency: int, echo: Echo, progress: Callable[..., Any],
          report_batch: int = 50, baseline: str = "small") -> dict[str, Any]:
    """Run the benchmark at *baseline* and at *scale*; return (and optionally write) the figures.

    Growth ratios and the growth budgets compare *scale* with *baseline* (``small`` unless a
    quick check asks for less).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    runs: dict[str, ScaleRun] = {}
    for name in dict.fromkeys([baseline, scale]):
        url = database_for(name, db_url, workdir)
        echo(f"scale {name}: {make_url(url).get_backend_name()}")
        runs[name] = measure_scale(name, url, workdir, seconds=seconds, concurrency=concurrency,
                                   echo=echo, progress=progress, report_batch=report_batch)
    chosen, small = runs[scale], runs[baseline]
    figures = dict(chosen.figures)
    if scale != baseline:
        for name, entry in chosen.figures.items():
            before = small.value(name)
            if before and entry["value"] is not None:
                figures[name] = {**entry, "small": before, "growth": round(entry["value"] / before, 3)}
    document = {"scale": scale, "baseline": baseline, "database": chosen.database,
                "figures": figures,
                "budgets": evaluate_budgets(chosen, small),
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    return document


def peak_memory_of(function: Callable[[], Any]) -> tuple[Any, float]:
    """Run *function*; return its result and the peak Python memory it allocated, in MB."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / 1024 / 1024
