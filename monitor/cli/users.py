"""`monitor users …`: accounts."""

from __future__ import annotations

import sys

import click

from monitor.cli.common import Context, pass_context
from monitor.db.models import Role
from monitor.services import accounts


@click.group("users")
def group() -> None:
    """Manage accounts."""


@group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]),
              help="What the person may do.")
@click.option("--org", "organisation", default="Default organisation", show_default=True,
              help="The organisation the account belongs to (created if new).")
@click.option("--name", default=None, help="Display name (default: the part of the email before @).")
@pass_context
def create(ctx: Context, email: str, role: str, organisation: str, name: str | None) -> None:
    """Create an account. The password is read from standard input when it is not a terminal,
    otherwise asked for twice; it is never an argument (arguments end up in shell history).
    """
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("No password on standard input.")
    with ctx.session() as session:
        user = accounts.create_user(session, email, password, role=role,
                                    organisation=organisation, name=name)
        click.echo(f"Created {user.email} ({user.role.value}, {organisation}).")


COMMANDS = [group]
