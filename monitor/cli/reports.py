"""`monitor report …`: visit, facility and thematic reports as PDF or HTML, one or many."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from monitor.cli.common import Context, pass_context, progress
from monitor.core.errors import MonitorError
from monitor.core.settings import Settings
from monitor.outputs import reports
from monitor.outputs.reports import BuiltReport
from monitor.services import report_data
from monitor.services.catalog import ChecklistCatalog
from monitor.services.facilities import get_facility
from monitor.services.report_data import Period
from monitor.services.visits import require_visit


def build_facility_report(session: Session, facility_ref: str | int, *, settings: Settings,
                          catalog: ChecklistCatalog, public: bool = False, language: str = "en",
                          period: Period | None = None, fmt: str = "pdf") -> BuiltReport:
    """Build one facility report from the database (read model, then HTML and PDF).

    ``timings`` of the result has ``query``, ``html`` and ``pdf`` (seconds), so a benchmark can
    compare our part with WeasyPrint's. Nothing is audited or written here.

    :param facility_ref: public id (``F-7K2Q9X``) or database id.
    :raises RecordNotFound: no such facility, or nothing to report.
    """
    facility = get_facility(session, facility_ref)
    data = report_data.facility_report(session, facility, settings=settings, catalog=catalog,
                                       language=language, public=public, period=period)
    return reports.build(data, fmt=fmt)


def _output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--out, --format, --public and --lang, shared by the single-report commands."""
    for option in reversed([
        click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
                     help="File to write."),
        click.option("--format", "fmt", type=click.Choice(reports.FORMATS), default=None,
                     help="pdf or html (default: from the file name, else pdf)."),
        click.option("--public", is_flag=True,
                     help="Public edition: published visits only, nothing sensitive."),
        click.option("--lang", "language", default="en", show_default=True,
                     help="Language of the report: one the standards catalogue is written in."),
    ]):
        command = option(command)
    return command


def _format_of(out: Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    return "html" if out.suffix.lower() in (".html", ".htm") else "pdf"


def _check_output(out: Path) -> None:
    if out.is_dir():
        raise click.ClickException(f"{out} is a folder; give a file name with --out.")
    if not out.parent.exists():
        raise click.ClickException(f"The folder {out.parent} does not exist; create it first "
                                   "or choose another --out.")


def _write(session: Session, data: Any, out: Path, fmt: str) -> BuiltReport:
    built = reports.build(data, fmt=fmt)
    try:
        built.write(out, fmt)
    except OSError as error:
        raise click.ClickException(f"Cannot write {out}: {error.strerror}.") from None
    report_data.record_generation(session, data, fmt=fmt)
    return built


def _done(what: str, out: Path, built: BuiltReport) -> None:
    pages = f", {built.pages} pages" if built.pages else ""
    click.echo(f"{what} written to {out}{pages}.")


@click.group("report")
def report() -> None:
    """Write reports as PDF or HTML from the stored results."""


@report.command("visit")
@click.argument("visit_id", type=int)
@_output_options
@pass_context
def visit(ctx: Context, visit_id: int, out: Path, fmt: str | None, public: bool,
          language: str) -> None:
    """The report of visit VISIT_ID (internal and CONFIDENTIAL unless --public)."""
    fmt = _format_of(out, fmt)
    _check_output(out)
    with ctx.session() as session:
        data = report_data.visit_report(session, require_visit(session, visit_id),
                                        settings=ctx.settings, catalog=ctx.catalog,
                                        language=language, public=public)
        built = _write(session, data, out, fmt)
    _done("Visit report", out, built)


@report.command("facility")
@click.argument("facility_ref", metavar="ID")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only visits from this day (YYYY-MM-DD).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only visits up to this day (YYYY-MM-DD).")
@_output_options
@pass_context
def facility(ctx: Context, facility_ref: str, start: datetime | None, end: datetime | None,
             out: Path, fmt: str | None, public: bool, language: str) -> None:
    """The compliance report of facility ID (public id such as F-7K2Q9X, or database id)."""
    fmt = _format_of(out, fmt)
    _check_output(out)
    period = Period(_day(start), _day(end))
    with ctx.session() as session:
        data = report_data.facility_report(
            session, get_facility(session, facility_ref), settings=ctx.settings,
            catalog=ctx.catalog, language=language, public=public, period=period)
        built = _write(session, data, out, fmt)
    _done("Facility report", out, built)


@report.command("thematic")
@click.argument("theme")
@click.option("--country", required=True, help="ISO 3166-1 alpha-3 code, e.g. MEX.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="Last day of the period (YYYY-MM-DD).")
@_output_options
@pass_context
def thematic(ctx: Context, theme: str, country: str, start: datetime, end: datetime,
             out: Path, fmt: str | None, public: bool, language: str) -> None:
    """A THEME across the facilities of a country and period.

    Themes (templates/reports/themes.yaml): children, legal_counsel, health,
    material_conditions.
    """
    fmt = _format_of(out, fmt)
    _check_output(out)
    with ctx.session() as session:
        data = report_data.thematic_report(
            session, theme, country=country, period=Period(_day(start), _day(end)),
            settings=ctx.settings, catalog=ctx.catalog, language=language, public=public)
        built = _write(session, data, out, fmt)
    _done("Thematic report", out, built)


@report.command("facilities")
@click.option("--country", default=None, help="Only facilities of this country (ISO3).")
@click.option("--public", is_flag=True,
              help="Public editions: published visits only, nothing sensitive.")
@click.option("--lang", "language", default="en", show_default=True,
              help="Language of the reports: one the standards catalogue is written in.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the PDFs into (created if missing).")
@pass_context
def facilities(ctx: Context, country: str | None, public: bool, language: str,
               out_dir: Path) -> None:
    """One PDF per facility with something to report, named after its public id."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise click.ClickException(f"Cannot create the folder {out_dir}: {error.strerror}.") \
            from None
    started, pages, failed = time.perf_counter(), 0, []
    with ctx.session() as session:
        ids = [(f.id, f.public_id) for f in report_data.reportable_facilities(
            session, settings=ctx.settings, public=public, country=country)]
        with progress(ids, label="Writing facility reports", length=len(ids)) as bar:
            for facility_id, public_id in bar:
                try:
                    data = report_data.facility_report(
                        session, get_facility(session, facility_id), settings=ctx.settings,
                        catalog=ctx.catalog, language=language, public=public)
                    pages += _write(session, data, out_dir / f"{public_id}.pdf", "pdf").pages or 0
                except MonitorError as error:
                    failed.append(f"{public_id}: {error}")
                # One facility's rows are not needed for the next: keep memory flat.
                session.flush()
                session.expunge_all()
    seconds = time.perf_counter() - started
    click.echo(f"{len(ids) - len(failed)} facility report(s) written to {out_dir} "
               f"({pages} pages, {seconds:.1f} s).")
    if failed:
        raise click.ClickException(f"{len(failed)} report(s) failed: " + "; ".join(failed))


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


COMMANDS = [report]
