"""`monitor bench`: the figures it takes and how it judges them against the budgets.

The end-to-end runs use the ``tiny`` scale as both the baseline and the measured scale, so they
check that every measurement runs and is written (on SQLite and on a real PostgreSQL, with the
real server, Chromium and WeasyPrint), not the figures themselves: those come from
``monitor bench`` runs on a quiet machine (benchmarks/).
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from monitor.bench.run import BUDGETS, ScaleRun, database_for, evaluate_budgets
from monitor.cli import cli

#: Every figure one scale's run takes (bench README, issue budgets).
FIGURES = {
    "trivial.rps", "trivial.latency",
    "facility_dashboard.rps", "facility_dashboard.p50", "facility_dashboard.cold",
    "public_profile.rps", "public_profile.p50", "public_profile.cold",
    "overview_dashboard.rps", "overview_dashboard.p50", "overview_dashboard.cold",
    "public_map.rps", "public_map.p50",
    "submit.latency",
    "map.html_bytes", "map.bytes_per_facility", "map.render_ms", "map.bare_leaflet_render_ms",
    "worker.peak_memory",
    "overview.stored_ms", "overview.naive_ms",
    "report.facility_total", "report.facility_weasyprint", "report.pages_per_s",
    "report.facility_peak_memory", "report.batch_seconds",
    "export.answers_rows", "export.answers_rows_per_s", "export.answers_peak_mb",
}


def _run(scale: str, **figures: tuple[float, dict]) -> ScaleRun:
    run = ScaleRun(scale, "sqlite")
    for name, (value, extra) in figures.items():
        run.add(name.replace("__", "."), value, "x", **extra)
    return run


def test_budgets_are_judged_from_the_figures_and_growth_needs_two_scales():
    small = _run("small", facility_dashboard__p50=(20.0, {}), export__answers_peak_mb=(2.0, {}))
    large = _run(
        "large",
        facility_dashboard__rps=(100.0, {"ratio_to_trivial": 0.1}),
        facility_dashboard__p50=(40.0, {}),
        submit__latency=(12.0, {"ratio_to_trivial": 15.0}),
        export__answers_rows_per_s=(150_000.0, {}),
        export__answers_peak_mb=(2.4, {}),
        worker__peak_memory=(310.0, {}),
    )
    judged = {b["name"]: b for b in evaluate_budgets(large, small)}
    assert judged["facility dashboard throughput"]["met"] is False
    assert judged["facility dashboard throughput"]["value"] == 0.1
    assert judged["facility dashboard latency growth"] == {
        "name": "facility dashboard latency growth", "goal": "<= 1.5 x small", "value": 2.0,
        "met": False}
    assert judged["complete visit submit latency"]["met"] is True
    assert judged["answers export speed"]["met"] is True
    assert judged["answers export memory independent of rows"]["value"] == pytest.approx(1.2)
    assert judged["worker peak memory"]["met"] is False
    # Figures not taken are not judged, rather than judged as missed.
    assert "public map HTML per facility" not in judged
    # At the baseline itself there is no growth to judge.
    alone = {b["name"] for b in evaluate_budgets(small, small)}
    assert not any("growth" in name or "independent" in name for name in alone)


def test_every_budget_of_the_issue_is_there():
    names = {name for name, _, _ in BUDGETS}
    assert names == {
        "facility dashboard throughput", "public facility profile throughput",
        "facility dashboard latency growth", "public profile latency growth",
        "overview dashboard throughput", "overview vs naive recompute",
        "complete visit submit latency", "facility PDF overhead", "answers export speed",
        "answers export memory independent of rows", "public map HTML per facility",
        "public map render vs bare Leaflet", "worker peak memory"}


def test_each_scale_gets_its_own_sqlite_file(tmp_path):
    assert database_for("large", None, tmp_path) == f"sqlite:///{tmp_path / 'bench-large.sqlite3'}"
    named = database_for("small", f"sqlite:///{tmp_path / 'mine.sqlite3'}", tmp_path)
    assert make_url(named).database == str(tmp_path / "mine-small.sqlite3")


def _bench(tmp_path, db_url: str | None) -> tuple[dict, str]:
    out = tmp_path / "bench.json"
    arguments = ["bench", "--scale", "tiny", "--baseline", "tiny", "--seconds", "0.3",
                 "--concurrency", "4", "--reports", "1", "--json", str(out),
                 "--workdir", str(tmp_path / "work")]
    if db_url:
        arguments += ["--db", db_url]
    result = CliRunner().invoke(cli, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8")), result.output


def _check(document: dict, output: str, database: str) -> None:
    assert document["scale"] == "tiny" and document["database"] == database
    figures = document["figures"]
    assert FIGURES <= set(figures)
    for name in FIGURES:
        assert figures[name]["value"] is not None and figures[name]["value"] > 0, name
    for page in ("facility_dashboard", "public_profile", "overview_dashboard", "public_map"):
        assert figures[f"{page}.rps"]["errors"] == 0, figures[f"{page}.rps"]["failures"]
    assert figures["submit.latency"]["submits"] == 20
    assert figures["report.batch_seconds"]["reports"] == 1
    assert {b["name"] for b in document["budgets"]} >= {"complete visit submit latency",
                                                       "worker peak memory"}
    assert all(set(b) == {"name", "goal", "value", "met"} for b in document["budgets"])
    # The table: one line per figure, then one per budget judged.
    lines = output.splitlines()
    assert any(line.startswith("submit.latency") for line in lines)
    assert sum(line.rstrip().endswith((" yes", " NO")) for line in lines) == len(
        document["budgets"])


@pytest.mark.browser
def test_bench_runs_end_to_end_on_sqlite(tmp_path):
    document, output = _bench(tmp_path, None)
    _check(document, output, "sqlite")
    # The visits submitted for the measure are gone: the next run measures the same history.
    database = sqlite3.connect(tmp_path / "work" / "bench-tiny.sqlite3")
    try:
        assert database.execute("SELECT count(*) FROM visits").fetchone()[0] == 100
        assert database.execute("SELECT count(*) FROM visit_summaries").fetchone()[0] == 100
    finally:
        database.close()


@pytest.mark.browser
@pytest.mark.postgres
def test_bench_runs_end_to_end_on_postgresql_from_a_plain_url(tmp_path, postgres_admin_url):
    # Written the way people write it, without a driver name (the URL the README shows).
    plain = postgres_admin_url.replace("postgresql+psycopg://", "postgresql://")
    document, output = _bench(tmp_path, plain)
    _check(document, output, "postgresql")
