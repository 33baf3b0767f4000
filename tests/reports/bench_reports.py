"""How long reports take and how much memory they use: our part against WeasyPrint's.

Run it from the project folder (it is not collected by pytest)::

    .venv/bin/python -m tests.reports.bench_reports [--facilities 50] [--keep DIR]

It builds a SQLite database in a temporary folder: the demo data (17 facilities), then more
facilities visited four times each through the real workflow (answers, submission, stored
findings, recommendations, follow-ups, publication), up to ``--facilities``. Then it measures

1. one facility report (the first, in a fresh state: templates and queries not yet warm),
   then the same report again (warm);
2. a batch: one PDF per facility, as ``monitor report facilities`` writes them;

splitting each into ``query`` (read model), ``html`` (charts + Jinja) and ``pdf``
(WeasyPrint), with the peak resident memory of the process (``ru_maxrss``) and, in a separate
pass, the peak of Python allocations (``tracemalloc``, which slows everything down).
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from monitor.core.crypto import Vault, generate_key
from monitor.core.settings import Settings
from monitor.db.migrate import upgrade_to_head
from monitor.db.models import Facility, User
from monitor.db.session import make_session_factory
from monitor.outputs import reports
from monitor.services import demo, findings, recommendations, report_data, visits
from monitor.services.catalog import load_catalog
from monitor.services.facilities import FacilityData, create_facility
from monitor.services.synthetic import AnswerGenerator, FacilityProfile, drift

COUNTRIES = ("MEX", "GTM", "ESP", "FRA", "GRC", "GBR", "USA", "TUR")


def _more_facilities(session, catalog, vault, wanted: int) -> None:
    """Add facilities with four visits each until there are *wanted* of them."""
    checklist = catalog.get("core")
    generator = AnswerGenerator(checklist, catalog.standards)
    users = {u.email: u for u in session.scalars(select(User))}
    author, other = users["monitor@demo.example"], users["monitora@demo.example"]
    coordinator = users["coordinadora@demo.example"]
    have = len(session.scalars(select(Facility.id)).all())
    for number in range(have, wanted):
        rng = random.Random(f"bench:{number}")
        capacity = rng.choice((40, 120, 300, 800))
        facility = create_facility(session, FacilityData(
            name=f"Benchmark facility {number + 1}", country=COUNTRIES[number % len(COUNTRIES)],
            latitude=10 + number * 0.1, longitude=-80 + number * 0.1,
            type="immigration_detention_centre", capacity=capacity))
        quality = rng.uniform(0.25, 0.85)
        for visit_number in range(4):
            quality = drift(quality, rng)
            day = date(2023, 3, 1) + timedelta(days=visit_number * 240 + rng.randint(0, 30))
            visit = visits.create_visit(session, facility=facility, by=author,
                                        checklist=checklist, start_date=day,
                                        scope="follow_up" if visit_number else "full",
                                        team=[other])
            profile = FacilityProfile(capacity=capacity, quality=quality,
                                      facility_type="immigration_detention_centre")
            visits.save_answers(session, visit, generator.answers(rng, profile), by=author,
                                vault=vault, checklist=checklist)
            for rec in recommendations.open_for_facility(session, facility.id):
                recommendations.record_follow_up(session, rec, status=rng.choice(
                    ["in_progress", "implemented", "not_implemented"]), by=author, visit=visit,
                    on=day)
            findings.submit_and_evaluate(session, visit, by=author, catalog=catalog, vault=vault)
            for suggestion in recommendations.suggestions(session, visit, catalog, "en")[:3]:
                recommendations.confirm_suggestion(
                    session, visit, suggestion.standard_id, recommendations.Draft(
                        text=suggestion.text, priority=suggestion.priority),
                    catalog=catalog, by=author, on=day)
            visits.accept_visit(session, visit, by=coordinator)
            visits.publish_visit(session, visit, by=coordinator)
        session.flush()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _one(session, settings, catalog, facility_id: int) -> dict[str, float]:
    facility = session.get(Facility, facility_id)
    data = report_data.facility_report(session, facility, settings=settings, catalog=catalog)
    built = reports.build(data, fmt="pdf")
    return {**built.timings, "pages": built.pages or 0}


def _summary(label: str, runs: list[dict[str, float]]) -> str:
    query = sum(r["query"] for r in runs)
    html = sum(r["html"] for r in runs)
    pdf = sum(r["pdf"] for r in runs)
    pages = sum(r["pages"] for r in runs)
    return (f"{label}: {len(runs)} report(s), {pages:.0f} pages | query {query:.2f} s, "
            f"html {html:.2f} s, WeasyPrint {pdf:.2f} s ({pages / pdf:.1f} pages/s) | "
            f"total / WeasyPrint = {(query + html + pdf) / pdf:.3f} | "
            f"peak RSS {_peak_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=50)
    parser.add_argument("--keep", type=Path, help="Build the database in this folder and keep it.")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="dm-report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    settings = Settings(database_url=url, secret_key="benchmark-secret-key-0123456789",
                        instance_dir=folder / "instance", data_keys=(generate_key(),))
    catalog = load_catalog(settings.checklist_dir)
    factory = make_session_factory(url)
    started = time.perf_counter()
    upgrade_to_head(url)
    with factory() as session:
        vault = Vault(settings.data_keys)
        demo.load(session, catalog=catalog, vault=vault)
        _more_facilities(session, catalog, vault, options.facilities)
        session.commit()
    print(f"database with {options.facilities} facilities built in "
          f"{time.perf_counter() - started:.0f} s ({folder})")

    with factory() as session:
        ids = report_data.reportable_facilities(session, settings=settings)
        ids = [f.id for f in ids][: options.facilities]
        before = _peak_mb()
        print(f"peak RSS before reports: {before:.0f} MB")
        first = _one(session, settings, catalog, ids[0])
        print(_summary("facility report, cold", [first]))
        print(_summary("facility report, warm", [_one(session, settings, catalog, ids[0])]))
        runs = []
        batch_started = time.perf_counter()
        for facility_id in ids:
            runs.append(_one(session, settings, catalog, facility_id))
            session.expunge_all()
        print(_summary("batch", runs) + f" | wall {time.perf_counter() - batch_started:.1f} s")

        tracemalloc.start()
        _one(session, settings, catalog, ids[0])
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"facility report: peak Python allocations {peak / 2**20:.0f} MB (tracemalloc)")


if __name__ == "__main__":
    main()
