"""`monitor demo`: schema, fictional demo data, and (unless told not to) the web server."""

from __future__ import annotations

import click

from monitor.cli.common import Context, pass_context
from monitor.cli.serve import run_server
from monitor.db.migrate import upgrade_to_head
from monitor.services import demo as demo_service


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="Only load the data; do not start the server.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@pass_context
def demo(ctx: Context, no_serve: bool, host: str, port: int) -> None:
    """Create or upgrade the schema, load the fictional demo data (idempotent), then serve."""
    upgrade_to_head(ctx.settings.database_url)
    with ctx.session() as session:
        result = demo_service.load(session, catalog=ctx.catalog, vault=ctx.vault)
    click.echo(
        f"Demo data ready (fictional): {result.facilities_created} facilities, "
        f"{result.users_created} accounts and {result.visits_created} visits added."
    )
    click.echo("Demo accounts (email / role / password):")
    for email, role, password in demo_service.demo_accounts():
        click.echo(f"  {email:32} {role:12} {password}")
    if not no_serve:
        run_server(ctx, host, port)


COMMANDS = [demo]
