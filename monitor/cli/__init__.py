"""The `monitor` command: run the web app and manage checklists, data and reports.

Errors reach people as one sentence on stderr (exit 1; 2 for wrong usage); a traceback only
with ``--debug``.
"""

from __future__ import annotations

import logging
import sys

import click

from monitor import __version__
from monitor.cli import (
    assets,
    bench,
    checklists,
    database,
    demo,
    exports,
    facilities,
    interop,
    maps,
    ops,
    reports,
    serve,
    users,
)
from monitor.cli.common import Context
from monitor.core.errors import ChecklistError, MonitorError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
@click.option("--debug", is_flag=True, help="Show full tracebacks and debug logging.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Detention Monitor: monitor immigration detention against international standards.

    Reads the database from DATABASE_URL (default: SQLite under instance/).
    """
    ctx.obj = Context(debug=debug)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


for _module in (bench, demo, serve, database, users, facilities, checklists, exports, assets, ops,
                maps, interop, reports):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """Console entry point: run the command, turning known errors into one plain sentence."""
    debug = "--debug" in sys.argv[1:]
    try:
        result = cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except ChecklistError as error:
        if debug:
            raise
        click.echo(str(error), err=True)
        sys.exit(1)
    except MonitorError as error:
        if debug:
            raise
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    except Exception as error:  # a bug or an environment failure: say so plainly
        if debug:
            raise
        click.echo(f"Error: {type(error).__name__}: {error}. Run again with --debug for details.",
                   err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
