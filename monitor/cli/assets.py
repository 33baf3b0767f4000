"""`monitor assets …`: put the npm-installed front-end files where the app serves them."""

from __future__ import annotations

import click

from monitor.core import assets


@click.group("assets")
def group() -> None:
    """Front-end files and boundary data (installed from npm, never from a CDN)."""


@group.command("collect")
def collect() -> None:
    """Copy Leaflet, its cluster plugin, jQuery and country boundaries from node_modules."""
    count = assets.collect()
    click.echo(f"{count} asset files in place.")


COMMANDS = [group]
