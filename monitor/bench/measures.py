"""The individual measurements of `monitor bench`."""

from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from monitor.bench.generate import SCALES
from monitor.compliance.engine import evaluate
from monitor.core.crypto import Vault
from monitor.core.settings import Settings
from monitor.db.models import Answer, Facility, User, Visit, VisitState
from monitor.db.session import make_session_factory
from monitor.services import visits
from monitor.services.catalog import ChecklistCatalog

_COORDINATOR = "bench-coordinator@bench.example"
_MONITOR = "bench-monitor@bench.example"


def page_paths(public_id: str) -> dict[str, tuple[str, bool]]:
    """name → (path, needs sign-in) of the pages measured under load."""
    return {
        "facility_dashboard": (f"/dashboard/facilities/{public_id}", True),
        "public_profile": (f"/facilities/{public_id}/profile", False),
        "overview_dashboard": ("/dashboard/", True),
        "public_map": ("/map/frame", False),
    }


def cold_latency(url: str, port: int, path: str, *, headers: dict[str, str] | None,
                 repeats: int = 5) -> float:
    """Median milliseconds of *path* right after a change to the data (its body not kept).

    The pages under load are served from the page cache once built (see
    :mod:`monitor.web.pagecache`); this is what the first reader after every write waits. The
    data version is moved on by hand, exactly as any write's trigger does.
    """
    from sqlalchemy import text

    from monitor.bench.load import single

    engine = make_session_factory(url).kw["bind"]
    times = []
    try:
        for _ in range(repeats):
            with engine.begin() as connection:
                connection.execute(text("UPDATE data_state SET version = version + 1 WHERE id = 1"))
            status, _, seconds, _ = single(port, "GET", path, headers=headers)
            if status != 200:
                raise RuntimeError(f"{path} answered HTTP {status}")
            times.append(seconds * 1000)
    finally:
        engine.dispose()
    return statistics.median(times)


def submit_latency(url: str, vault: Vault, browser: Any, catalog: ChecklistCatalog, *,
                   count: int) -> list[float]:
    """Seconds of each HTTP submit of a complete visit (all questions answered), in order.

    Drafts are prepared through the services (answers drawn by the synthetic generator), then
    submitted over HTTP by a signed-in coordinator: the request validates, evaluates, stores the
    findings, red flags, area scores and summary, exactly as a team's submit does. The visits
    go to the last facility of the registry (the pages are measured on the first) and are
    deleted afterwards, so that every run measures the history as it was generated.
    """
    import random

    from monitor.services.synthetic import AnswerGenerator, FacilityProfile

    checklist = catalog.get("core")
    generator = AnswerGenerator(checklist, catalog.standards)
    sessions = make_session_factory(url)
    ids = []
    with sessions() as session:
        coordinator = session.scalar(select(User).where(User.email == _COORDINATOR))
        facility = session.scalar(select(Facility).order_by(Facility.id.desc()).limit(1))
        rng = random.Random(99)
        for _ in range(count):
            visit = visits.create_visit(session, facility=facility, by=coordinator,
                                        checklist=checklist, start_date=_today())
            answers = generator.answers(rng, FacilityProfile(300, "prison", rng.random()))
            visits.save_answers(session, visit, answers, by=coordinator, vault=vault,
                                checklist=checklist)
            ids.append(visit.id)
        session.commit()
    times = []
    try:
        for visit_id in ids:
            status, _, seconds = browser.post(f"/visits/{visit_id}/submit", {})
            if status not in (200, 302, 303):
                raise RuntimeError(f"submitting visit {visit_id} over HTTP gave {status}")
            times.append(seconds)
    finally:
        with sessions.begin() as session:  # answers, findings, summaries… go with them
            session.execute(delete(Visit).where(Visit.id.in_(ids)))
        sessions.kw["bind"].dispose()
    return times


def _today():
    from datetime import date

    return date(2026, 10, 1)


def overview_in_process(url: str, vault: Vault, catalog: ChecklistCatalog,
                        repeats: int = 5) -> tuple[float, float]:
    """(stored, naive) milliseconds to compute the overview once.

    *stored* is the dashboard's own function over the stored summaries; *naive* recomputes the
    same picture the way a system without stored findings would: load every facility's latest
    visit answers and run the engine on each, per request.
    """
    from monitor.services.dashboards import OverviewFilters, overview

    sessions = make_session_factory(url)
    areas = [a.id for a in catalog.standards.top_areas()]
    with sessions() as session:
        user = session.scalar(select(User).where(User.email == _COORDINATOR))
        stored = []
        for _ in range(repeats):
            began = time.perf_counter()
            overview(session, user, OverviewFilters(), areas)
            stored.append(time.perf_counter() - began)
        began = time.perf_counter()
        naive_overview(session, catalog, vault)
        naive = time.perf_counter() - began
    sessions.kw["bind"].dispose()
    return statistics.median(stored) * 1000, naive * 1000


def naive_overview(session: Any, catalog: ChecklistCatalog, vault: Vault) -> dict[int, Any]:
    """The reference: re-evaluate every facility's latest visit from its raw answers."""
    latest = (select(Visit.facility_id, func.max(Visit.id).label("visit_id"))
              .where(Visit.state != VisitState.DRAFT).group_by(Visit.facility_id).subquery())
    rows = session.execute(select(Answer.visit_id, Answer.question_id, Answer.value, Answer.secret)
                           .join(latest, latest.c.visit_id == Answer.visit_id))
    answers: dict[int, dict[str, Any]] = {}
    for visit_id, question_id, value, secret in rows:
        answers.setdefault(visit_id, {})[question_id] = (
            vault.decrypt(secret) if secret is not None else value)
    checklist = catalog.get("core")
    return {vid: evaluate(checklist, values, catalog.standards) for vid, values in answers.items()}


def facility_report(url: str, catalog: ChecklistCatalog, workdir: Path, *,
                    batch: int = 50) -> dict[str, tuple[float | None, str, dict[str, Any]]]:
    """Time and memory of the facility PDF report and of a batch of *batch* reports."""
    from monitor.outputs.reports import build
    from monitor.services.report_data import facility_report as read_model

    settings = Settings(database_url=url, secret_key="bench", export_dir=workdir)
    sessions = make_session_factory(url)
    figures: dict[str, tuple[float | None, str, dict[str, Any]]] = {}
    with sessions() as session:
        ids = list(session.scalars(
            select(Visit.facility_id).where(Visit.state != VisitState.DRAFT)
            .group_by(Visit.facility_id).order_by(Visit.facility_id).limit(batch)))
        facilities = [session.get(Facility, i) for i in ids]

        def one(facility: Facility) -> Any:
            began = time.perf_counter()
            built = build(read_model(session, facility, settings=settings, catalog=catalog))
            return built, time.perf_counter() - began

        one(facilities[0])  # warm-up: first-use costs (imports, fonts) are not the report's
        (built, total) = one(facilities[0])
        # Peak resident memory of a fresh process building the same report (this one holds
        # what earlier measures loaded; tracemalloc would slow WeasyPrint ten times).
        peak_rss_mb = _report_peak_rss_mb(url, workdir, facilities[0].id)
        render = built.timings.get("pdf") or 0.0
        pages = built.pages or 0
        # WeasyPrint's own time on the final HTML, measured apart from our code.
        from monitor.outputs.reports import render_pdf

        began = time.perf_counter()
        render_pdf(built.html)
        own = time.perf_counter() - began
        figures["report.facility_total"] = (total, "s", {"pages": pages})
        figures["report.facility_weasyprint"] = (own, "s", {})
        figures["report.pages_per_s"] = (pages / render if render else None, "pages/s", {})
        figures["report.facility_peak_memory"] = (
            peak_rss_mb, "MB", {"measured": "peak RSS of a fresh process building one report"})
        began = time.perf_counter()
        for facility in facilities:
            one(facility)
        figures["report.batch_seconds"] = (time.perf_counter() - began, "s",
                                           {"reports": len(facilities)})
    sessions.kw["bind"].dispose()
    return figures


def _report_peak_rss_mb(url: str, workdir: Path, facility_id: int) -> float:
    """Peak resident memory (MB) of a new Python process that builds one facility report.

    The peak is the process's own VmHWM: ``ru_maxrss`` would also count the pages of this
    (larger) process that the child held between fork and exec.
    """
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from monitor.core import paths\n"
        "from monitor.core.settings import Settings\n"
        "from monitor.db.models import Facility\n"
        "from monitor.db.session import make_session_factory\n"
        "from monitor.outputs.reports import build\n"
        "from monitor.services.catalog import load_catalog\n"
        "from monitor.services.report_data import facility_report\n"
        "url, workdir, fid = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])\n"
        "settings = Settings(database_url=url, secret_key='bench', export_dir=workdir)\n"
        "catalog = load_catalog(paths.CHECKLISTS)\n"
        "with make_session_factory(url)() as session:\n"
        "    facility = session.get(Facility, fid)\n"
        "    build(facility_report(session, facility, settings=settings, catalog=catalog))\n"
        "status = Path('/proc/self/status').read_text()\n"
        "print(int(status.split('VmHWM:')[1].split()[0]) / 1024)\n")
    done = subprocess.run([sys.executable, "-c", script, url, str(workdir), str(facility_id)],
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def answers_export(url: str, workdir: Path, catalog: ChecklistCatalog,
                   vault: Vault) -> dict[str, tuple[float | None, str, dict[str, Any]]]:
    """Rows per second and peak memory of the long answers CSV export (streamed)."""
    from monitor.services.exports import write_answers_long

    settings = Settings(database_url=url, secret_key="bench", export_dir=workdir)
    sessions = make_session_factory(url)
    figures: dict[str, tuple[float | None, str, dict[str, Any]]] = {}
    with sessions() as session, tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "answers.csv"

        def export() -> int:
            return write_answers_long(session, target, catalog=catalog, vault=vault,
                                      settings=settings, public=False)

        export()  # warm-up (value caches, first query)
        began = time.perf_counter()
        rows = export()
        seconds = time.perf_counter() - began
        tracemalloc.start()  # separately: tracemalloc slows the export itself
        export()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        figures["export.answers_rows"] = (rows, "rows", {})
        figures["export.answers_rows_per_s"] = (rows / seconds if seconds else None, "rows/s", {})
        figures["export.answers_peak_mb"] = (peak / 1024 / 1024, "MB", {"measured": "tracemalloc"})
    sessions.kw["bind"].dispose()
    return figures


def map_figures(port: int, facilities_with_location: int) -> dict[str, tuple[float | None, str, dict[str, Any]]]:
    """HTML bytes per facility of the public map, and its render time in headless Chromium
    against a bare Leaflet page showing the same points with the same cluster plugin."""
    from monitor.bench.load import single
    from monitor.bench.render import points_in, render_times

    status, body, _, _ = single(port, "GET", "/map/frame")
    if status != 200:
        raise RuntimeError(f"the public map answered HTTP {status}")
    # The same page with no facility (a country with none): what every map costs anyway —
    # country outlines, legend, scripts. The budget is about what each facility adds.
    _, empty, _, _ = single(port, "GET", "/map/frame?country=ATA")
    shown = len(points_in(body))
    figures: dict[str, tuple[float | None, str, dict[str, Any]]] = {
        "map.html_bytes": (len(body), "bytes", {"facilities": shown, "empty_map_bytes": len(empty)}),
        "map.bytes_per_facility": ((len(body) - len(empty)) / shown if shown else None, "bytes",
                                   {"measured": "marginal, over an empty map"}),
    }
    ours, bare = render_times(port, "/map/frame", body)
    figures["map.render_ms"] = (ours, "ms", {})
    figures["map.bare_leaflet_render_ms"] = (bare, "ms", {})
    return figures


def scale_of(url: str) -> str:
    sessions = make_session_factory(url)
    with sessions() as session:
        count = session.scalar(select(func.count(Visit.id))) or 0
    sessions.kw["bind"].dispose()
    return next((s.name for s in sorted(SCALES.values(), key=lambda s: -s.visits)
                 if count >= s.visits), "tiny")


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    result = function()
    return result, time.perf_counter() - began
