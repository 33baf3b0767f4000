"""`monitor map`: a standalone facility map, one HTML file that opens from disk with no network."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import click

from monitor.cli.common import Context, pass_context
from monitor.services import audit, dashboards
from monitor.services import public as gate
from monitor.services.facilities import is_country


@click.command("map")
@click.option("--public", is_flag=True,
              help="Only published visits, through the public gate (small counts suppressed).")
@click.option("--colour-by", "colour", type=click.Choice(dashboards.COLOUR_CHOICES),
              default="compliance", show_default=True, help="What colours the markers.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="HTML file to write.")
@click.option("--country", metavar="ISO3", help="Only the facilities of this country.")
@click.option("--language", type=click.Choice(["en", "es"]), default="en", show_default=True,
              help="Language of the map's words.")
@click.option("--base-url", metavar="URL",
              help="Address of the site (https://…): facility popups then link to their pages.")
@pass_context
def map_command(ctx: Context, public: bool, colour: str, out: Path, country: str | None,
                language: str, base_url: str | None) -> None:
    """Write a map of the facilities to OUT, with Leaflet inside the file (works offline).

    Without --public the map shows every organisation's submitted visits: keep it internal.
    """
    from monitor.outputs import maps

    if not out.parent.exists():
        raise click.ClickException(f"The folder {out.parent} does not exist: create it first "
                                   "or choose another --out.")
    code = country.strip().upper() if country else None
    if code and not is_country(code):
        raise click.UsageError(f"--country {country!r} is not an ISO 3166-1 alpha-3 code "
                               "(for example MEX or ESP).")
    site = _base_url(base_url)
    started = time.perf_counter()
    settings = ctx.settings
    with ctx.session() as session:
        if public:
            found = gate.public_facilities(session, settings, gate.PublicFilter(country=code))
            places = [dashboards.MapFacility(
                public_id=f.public_id, name=f.name, country=f.country, type=f.type,
                latitude=f.latitude, longitude=f.longitude, figures=f.figures,
                month=f.last_visited,
                url=f"{site}/facilities/{f.public_id}/profile" if site else None)
                for f in found]
            minimum = settings.min_public_count
        else:
            statuses = dashboards.latest_statuses(
                session, None, dashboards.OverviewFilters(country=code), include_unvisited=True)
            places = [dashboards.MapFacility(
                public_id=s.public_id, name=s.name, country=s.country, type=s.type,
                latitude=s.latitude, longitude=s.longitude, figures=s.figures,
                month=s.visit_date.strftime("%Y-%m") if s.visit_date else None,
                url=f"{site}/dashboard/facilities/{s.public_id}" if site else None)
                for s in statuses]
            minimum = 1
        countries = gate.country_figures(places, minimum)
        fmap = dashboards.build_map(places, countries, colour=colour, public=public,
                                    minimum=minimum, language=language, inline_assets=True,
                                    link_target="_blank")
        maps.write_standalone(fmap, out)
        placed = sum(1 for p in places if p.latitude is not None and p.longitude is not None)
        if not public:  # unpublished results left the system: say so in the audit log
            audit.record(session, "export.map", summary={"facilities": len(places),
                                                          "colour": colour, "public": False})
    size_kb = out.stat().st_size / 1024
    seconds = time.perf_counter() - started
    click.echo(f"Map of {placed} facilities ({len(places) - placed} without a location) written "
               f"to {out} ({size_kb:,.0f} KB, {seconds:.1f} s).")


def _base_url(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise click.UsageError(f"--base-url {value!r} must be a web address such as "
                               "https://monitor.example.org.")
    return value.strip().rstrip("/")


COMMANDS = [map_command]
