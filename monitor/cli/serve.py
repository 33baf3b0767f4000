"""`monitor serve`: run the web application."""

from __future__ import annotations

import click

from monitor.cli.common import Context, pass_context


def run_server(ctx: Context, host: str, port: int) -> None:
    """Serve the app with Werkzeug's threaded server (use gunicorn for many users)."""
    from werkzeug.serving import run_simple

    from monitor.web.app import create_app

    app = create_app(ctx.settings)
    click.echo(f"Serving on http://{host}:{port}/ — press Ctrl+C to stop.")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@pass_context
def serve(ctx: Context, host: str, port: int) -> None:
    """Serve the web application.

    For a shared server run several workers with gunicorn instead:
    gunicorn -w 4 -b 0.0.0.0:8000 'monitor.web.app:create_app()'
    """
    run_server(ctx, host, port)


COMMANDS = [serve]
