"""`monitor facilities …`: the registry."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select

from monitor.cli.common import Context, pass_context, progress
from monitor.db.models import Facility


@click.group("facilities")
def group() -> None:
    """List and import facilities."""


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--country", default=None, help="Only this country (ISO3).")
@pass_context
def list_(ctx: Context, as_json: bool, country: str | None) -> None:
    """List the facilities of the registry (merged duplicates left out)."""
    with ctx.session() as session:
        query = select(Facility).where(Facility.merged_into_id.is_(None))
        if country:
            query = query.where(Facility.country == country.upper())
        rows = session.scalars(query.order_by(Facility.country, Facility.name)).all()
        records = [
            {"id": f.public_id, "name": f.name, "country": f.country, "latitude": f.latitude,
             "longitude": f.longitude, "type": f.type.value, "status": f.status.value,
             "operator": f.operator_name, "capacity": f.capacity}
            for f in rows
        ]
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    for r in records:
        click.echo(f"{r['id']}  {r['country']}  {r['type']:<30} {r['name']}")
    click.echo(f"{len(records)} facilities")


@group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would happen; change nothing.")
@click.option("--source", default=None, help="Name of the source (default: the file name).")
@click.option("--country", "default_country", default=None,
              help="Country (ISO3 or name) for rows that give none, e.g. a list from one country.")
@pass_context
def import_(ctx: Context, path: Path, dry_run: bool, source: str | None,
            default_country: str | None) -> None:
    """Import facilities from CSV, TSV, XLSX, XLS or GeoJSON.

    Each problem is printed as `row R, column C: sentence`; the last line says how many
    facilities were created, updated, left unchanged and rejected. Rows with errors are
    rejected and the others imported; re-importing the same file updates instead of duplicating.
    """
    from monitor.services import facility_import

    result = facility_import.read_and_clean(path, default_country=default_country)
    with ctx.session() as session:
        plan = facility_import.plan_import(session, result, source=source or path.name)
        for problem in plan.problems:
            click.echo(str(problem), err=True)
        if dry_run:
            for planned in plan.rows:
                if planned.action.value in ("create", "update"):
                    name = planned.record.name if planned.record else ""
                    extra = f" ({', '.join(planned.changes)})" if planned.changes else ""
                    click.echo(f"row {planned.row}: would {planned.action.value} {name}{extra}")
            click.echo(f"dry run: {plan.summary()}")
            session.rollback()
            return
        with progress(plan.rows, label="Importing facilities") as bar:
            facility_import.apply_import(session, plan, on_progress=lambda n: bar.update(n))
    click.echo(plan.summary())


COMMANDS = [group]
