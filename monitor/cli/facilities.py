"""`monitor facilities …`: the registry."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from monitor.cli.common import Context, pass_context
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


COMMANDS = [group]
