"""`monitor export …`: data files for analysis and open data."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from monitor.cli.common import Context, pass_context, progress
from monitor.db.models import Visit
from monitor.outputs.tables import write_table
from monitor.services import audit, findings
from monitor.services.exports import FINDING_COLUMNS, finding_rows

KINDS = ("facilities", "visits", "findings", "recommendations")


@click.command("export")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "geojson"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@click.option("--public", is_flag=True, help="Only published data, sensitive fields removed.")
@click.option("--shape", type=click.Choice(["wide", "long"]), default="wide", show_default=True,
              help="For visits: one row per visit (wide) or per answer (long).")
@pass_context
def export(ctx: Context, kind: str, fmt: str, out: Path, public: bool, shape: str) -> None:
    """Export KIND as CSV, XLSX or (facilities) GeoJSON."""
    if kind != "findings":
        raise click.ClickException(f"Exporting {kind} is not available in this version.")
    if fmt == "geojson":
        raise click.UsageError("GeoJSON is only for facilities.")
    with ctx.session() as session:
        count = write_table(out, fmt, FINDING_COLUMNS,
                            finding_rows(session, ctx.catalog, ctx.settings, public=public))
        audit.record(session, "export.findings", summary={"rows": count, "public": public,
                                                          "format": fmt})
    click.echo(f"{count} findings written to {out}")


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
