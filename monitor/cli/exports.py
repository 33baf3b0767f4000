"""`monitor export …`: data files for analysis and open data."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from monitor.cli.common import Context, pass_context, progress
from monitor.db.models import Visit
from monitor.services import findings
from monitor.services.exports import FORMATS, SHAPES, ExportRequest, run_export

KINDS = tuple(FORMATS)


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "geojson"]), default="csv",
              show_default=True, help="geojson is for facilities only.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@click.option("--public", is_flag=True,
              help="Only what may be published: published visits, no sensitive or free-text "
                   "answers, no team or notes, small counts suppressed, dates as months.")
@click.option("--shape", type=click.Choice(SHAPES), default=None,
              help="For visits: one row per visit, one column per question (wide, the "
                   "default) or one row per answer (long).")
@click.option("--checklist", "checklist_id", default=None, metavar="ID",
              help="For visits: only visits answered with this checklist (columns are then "
                   "bare question ids).")
@pass_context
def export(ctx: Context, kind: str, fmt: str, out: Path, public: bool, shape: str | None,
           checklist_id: str | None) -> None:
    """Export KIND (facilities, visits, findings, recommendations) as CSV, XLSX or GeoJSON.

    Internal exports hold everything, answers to sensitive questions decrypted: keep them
    inside the organisation. --public exports only what may be published.

    Visits, wide: one column per question, named by its id, in the checklist's order; when
    the visits used several checklists, each has its own block of columns named
    CHECKLIST.QUESTION (or choose one with --checklist). The data dictionary (label, type,
    section, area, unit, choices of each column) is a second sheet, or NAME.dictionary.csv
    beside a CSV. Visits, long: visit_id, facility, question_id, value.
    """
    if fmt not in FORMATS[kind]:
        raise click.UsageError(f"{kind} can be exported as {', '.join(FORMATS[kind])}; "
                               f"GeoJSON is only for facilities.")
    if kind != "visits" and (shape or checklist_id):
        raise click.UsageError("--shape and --checklist apply to visits only.")
    request = ExportRequest(kind=kind, fmt=fmt, public=public, shape=shape or "wide",
                            checklist_id=checklist_id)
    with ctx.session() as session:
        result = run_export(session, request, out, catalog=ctx.catalog,
                            vault=None if public else ctx.vault, settings=ctx.settings)
    what = "answers" if kind == "visits" and request.shape == "long" else kind
    click.echo(f"{result.rows} {what} written to {out}")
    for extra in result.files[1:]:
        click.echo(f"data dictionary written to {extra}")


@click.group("compliance")
def compliance() -> None:
    """Stored findings."""


@compliance.command("recompute")
@click.option("--visit", "visit_ids", type=int, multiple=True, help="Only this visit (repeatable).")
@pass_context
def recompute(ctx: Context, visit_ids: tuple[int, ...]) -> None:
    """Recompute stored findings after a change of rules or catalogue."""
    with ctx.session() as session:
        total = len(visit_ids) if visit_ids else session.scalar(select(func.count(Visit.id)))
        with progress(range(total), label="Recomputing findings", length=total) as bar:
            count = findings.recompute(session, ctx.catalog, ctx.vault,
                                       visit_ids=visit_ids or None, on_progress=bar.update)
    click.echo(f"Recomputed findings for {count} visit(s).")


COMMANDS = [export, compliance]
