"""Operating a server: `monitor backup|restore`, `monitor keys …`, `monitor audit export`, and
account management added to `monitor users`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from monitor.cli.common import Context, pass_context, progress
from monitor.cli.users import group as users_group
from monitor.db.models import Role

# -- backup and restore -------------------------------------------------------------------------


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def backup(ctx: Context, file: Path) -> None:
    """Write a consistent, verified backup of the database to FILE (a zip).

    Safe while the application runs. Encrypted answers and notes stay encrypted in the backup:
    back up the data key file separately, or the backup cannot be read.
    """
    from monitor.services import backup as service

    total = service.count_rows(ctx.settings.database_url)
    with progress(range(total), label="Backing up", length=total) as bar:
        result = service.create_backup(ctx.settings.database_url, file, on_progress=bar.update)
    click.echo(f"Backup written and verified: {result.path} ({result.manifest.total_rows} rows in "
               f"{len(result.manifest.tables)} tables, schema {result.manifest.schema_revision}, "
               f"{result.size_bytes / 1e6:.1f} MB).")
    click.echo("Remember: the data key file is not in the backup; keep a copy of it apart.")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True,
              help="Delete everything in a non-empty database first (in the same transaction).")
@pass_context
def restore(ctx: Context, file: Path, force: bool) -> None:
    """Restore the backup FILE into the (empty) database, checking every table as it loads."""
    from monitor.services import backup as service

    manifest = service.read_manifest(file)
    total = manifest.total_rows
    with progress(range(total), label="Restoring", length=total) as bar:
        result = service.restore_backup(ctx.settings.database_url, file, force=force,
                                        on_progress=bar.update)
    wiped = " (the previous content was deleted)" if result.wiped else ""
    click.echo(f"Restored {sum(result.rows.values())} rows in {len(result.rows)} tables from "
               f"{file}{wiped}; every table matches the backup.")


# -- keys ---------------------------------------------------------------------------------------


@click.group("keys")
def keys() -> None:
    """Data encryption keys (interview notes and answers to sensitive questions)."""


@keys.command("generate")
@click.option("--add", is_flag=True,
              help="Put the new key first in the key file instead of printing it.")
@pass_context
def keys_generate(ctx: Context, add: bool) -> None:
    """Print a new key, or with --add put it first in the key file.

    After --add, restart the application so that it encrypts with the new key, then run
    `monitor keys rotate --keep-key` to re-encrypt older data without downtime.
    """
    from monitor.core.crypto import generate_key
    from monitor.services import keys as service

    if not add:
        click.echo(generate_key())
        return
    key_file = _key_file(ctx)
    service.add_new_key(key_file)
    count = len(service.keys_in_use((), key_file))
    click.echo(f"Added a new key first in {key_file} ({count} keys). Restart the application, "
               "then run `monitor keys rotate --keep-key`.")


@keys.command("rotate")
@click.option("--keep-key", is_flag=True,
              help="Do not add a key: re-encrypt with the newest key already configured.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="Rows re-encrypted per transaction.")
@pass_context
def keys_rotate(ctx: Context, keep_key: bool, batch_size: int) -> None:
    """Add a new key first in the key file and re-encrypt every sealed value with it.

    Old keys stay in the file, so data stays readable throughout. A running application only
    knows the keys it started with: for rotation without downtime, use `monitor keys generate
    --add`, restart, then `monitor keys rotate --keep-key`.
    """
    from monitor.services import keys as service

    settings = ctx.settings
    if settings.data_keys and not keep_key:
        raise click.ClickException(
            "The keys come from MONITOR_DATA_KEYS, so no key can be added to a file. Put a new "
            "key (from `monitor keys generate`) first in MONITOR_DATA_KEYS, keep the old ones "
            "after it, and run `monitor keys rotate --keep-key`.")
    if not keep_key:
        service.add_new_key(_key_file(ctx))
    keys_now = service.keys_in_use(settings.data_keys, settings.data_key_file)
    with ctx.session() as session:
        total = service.count_sealed(session)
    with progress(range(total), label="Re-encrypting", length=total) as bar:
        result = service.rotate_sealed(ctx.sessions, keys_now, batch_size=batch_size,
                                       on_progress=bar.update)
    click.echo(f"Key rotation done: {result.summary()}.")
    if not keep_key:
        click.echo("Restart the application so that it uses the new key.")


def _key_file(ctx: Context) -> Path:
    key_file = ctx.settings.data_key_file
    if key_file is None:
        raise click.ClickException("No key file is configured: set MONITOR_DATA_KEY_FILE.")
    return key_file


# -- audit log ----------------------------------------------------------------------------------


@click.group("audit")
def audit_group() -> None:
    """The audit log (append-only)."""


@audit_group.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV file to write.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day (YYYY-MM-DD), inclusive.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day (YYYY-MM-DD), inclusive.")
@click.option("--action", default=None, help="Only this action, or actions starting with it "
                                              "(for example `visit.` or `user.login`).")
@pass_context
def audit_export(ctx: Context, out: Path, start: datetime | None, end: datetime | None,
                 action: str | None) -> None:
    """Write the audit log (or a date range of it) to a CSV file. The export is audited too."""
    from monitor.services import audit_log

    filters = audit_log.AuditFilter(action=action, start=start.date() if start else None,
                                    end=end.date() if end else None)
    with ctx.session() as session:
        count = audit_log.export_csv(session, out, filters, by=None)
    click.echo(f"{count} audit events written to {out}")


# -- accounts (added to the `monitor users` group) ----------------------------------------------


@users_group.command("list")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None)
@click.option("--inactive", is_flag=True, help="Only deactivated accounts.")
@pass_context
def users_list(ctx: Context, role: str | None, inactive: bool) -> None:
    """List accounts: email, role, organisation, active, last sign-in."""
    from monitor.services import users as service

    with ctx.session() as session:
        rows = service.list_users(session, by=None, filters=service.UserFilter(
            role=role, active=False if inactive else None))
        for user in rows:
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
            state = "active" if user.is_active else "inactive"
            click.echo(f"{user.email:36} {user.role.value:12} {state:9} {last:17} "
                       f"{user.organisation.name}")
    click.echo(f"{len(rows)} account(s).", err=True)


@users_group.command("deactivate")
@click.argument("email")
@pass_context
def users_deactivate(ctx: Context, email: str) -> None:
    """Deactivate an account: the person is signed out and cannot sign in; their work stays."""
    from monitor.services import users as service

    with ctx.session() as session:
        user = service.get_user(session, email)
        changed = service.set_active(session, user, False, by=None)
    click.echo(f"Deactivated {user.email}." if changed else f"{user.email} was already inactive.")


@users_group.command("activate")
@click.argument("email")
@pass_context
def users_activate(ctx: Context, email: str) -> None:
    """Reactivate a deactivated account (and lift a lockout)."""
    from monitor.services import users as service

    with ctx.session() as session:
        user = service.get_user(session, email)
        changed = service.set_active(session, user, True, by=None)
    click.echo(f"Reactivated {user.email}." if changed else f"{user.email} was already active.")


@users_group.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@pass_context
def users_set_role(ctx: Context, email: str, role: str) -> None:
    """Give an account another role."""
    from monitor.services import users as service

    with ctx.session() as session:
        user = service.get_user(session, email)
        changed = service.set_role(session, user, role, by=None)
    click.echo(f"{user.email} is now {role}." if changed else f"{user.email} already was {role}.")


COMMANDS = [backup, restore, keys, audit_group]
