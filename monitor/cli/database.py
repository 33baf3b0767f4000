"""`monitor db …`: schema migrations."""

from __future__ import annotations

import click

from monitor.cli.common import Context, pass_context
from monitor.db.migrate import current_revision, head_revision, upgrade_to_head
from monitor.db.session import make_engine


@click.group("db")
def group() -> None:
    """Create or upgrade the database schema."""


@group.command("upgrade")
@pass_context
def upgrade(ctx: Context) -> None:
    """Apply every migration not yet applied (safe to run again)."""
    upgrade_to_head(ctx.settings.database_url)
    click.echo(f"Database schema is at revision {head_revision()}.")


@group.command("status")
@pass_context
def status(ctx: Context) -> None:
    """Say which schema revision the database is at, and whether it is the newest."""
    engine = make_engine(ctx.settings.database_url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    click.echo(f"database: {current or 'empty'}; newest: {head}")
    if current != head:
        raise click.ClickException("The database needs `monitor db upgrade`.")


COMMANDS = [group]
