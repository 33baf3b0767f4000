"""Portable logical backups: one zip that restores on SQLite or PostgreSQL.

Layout of a backup file::

    manifest.json              format, schema revision, and per table: columns, rows, SHA-256
    tables/001_organisations.jsonl
    tables/002_users.jsonl     one JSON array per row, columns in manifest order
    ...

Tables come in dependency order (parents before children) and rows in primary-key order, so
a backup of the same data is byte-for-byte the same file content whichever database it came
from. Values are written in one canonical form: binary columns as base64, times as ISO 8601
in UTC, dates as ISO dates, enumerations as their stored text, JSON columns as JSON.

The backup is read inside one transaction (REPEATABLE READ on PostgreSQL, a read transaction
on SQLite in WAL mode), so it is consistent while the application keeps running. Encrypted
columns are copied as they are stored: a backup is useless without the data key file, and the
key file is not in it. Keep the key file backed up separately.

A restore goes into an empty database at the same schema revision (or wipes a non-empty one
when forced, in the same transaction as the load), then reads every table back and checks the
row counts and hashes against the manifest before it commits.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import logging
import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    LargeBinary,
    Table,
    bindparam,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

import monitor
from monitor.core.clock import utcnow
from monitor.core.errors import InputError
from monitor.db import models  # noqa: F401  (registers every table on the metadata)
from monitor.db.base import Base
from monitor.db.migrate import head_revision, upgrade_to_head
from monitor.db.models.state import DataState
from monitor.db.session import make_engine
from monitor.services import audit

logger = logging.getLogger(__name__)

FORMAT = "detention-monitor-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Rows read or written per round trip.
CHUNK = 2000
ENCRYPTED_COLUMNS = ("answers.secret", "interviews.notes_secret", "visits.notes_secret")

Progress = Callable[[int], None]


# -- what a backup holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class TableEntry:
    """One table in a backup: its file, columns, row count and the SHA-256 of its file."""

    name: str
    file: str
    columns: tuple[str, ...]
    rows: int
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "columns": list(self.columns),
                "rows": self.rows, "sha256": self.sha256}


@dataclass
class Manifest:
    """The table of contents of a backup file."""

    schema_revision: str | None
    source_database: str
    created_at: str
    app_version: str
    tables: list[TableEntry] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "schema_revision": self.schema_revision, "source_database": self.source_database,
            "created_at": self.created_at, "app_version": self.app_version,
            "encrypted_columns": list(ENCRYPTED_COLUMNS),
            "note": "Encrypted columns are copied sealed. Restoring needs the data key file, "
                    "which is not part of this backup.",
            "tables": [t.as_json() for t in self.tables],
        }

    @classmethod
    def parse(cls, raw: bytes, where: Path) -> Manifest:
        """:raises InputError: the manifest is not one this version can read."""
        try:
            data = json.loads(raw.decode("utf-8"))
            if data.get("format") != FORMAT:
                raise InputError(f"{where} is not a Detention Monitor backup (its manifest has "
                                 f"format {data.get('format')!r}).")
            if data.get("format_version") != FORMAT_VERSION:
                raise InputError(f"{where} has backup format version {data.get('format_version')}; "
                                 f"this version of the application reads version {FORMAT_VERSION}.")
            tables = [TableEntry(t["name"], t["file"], tuple(t["columns"]), int(t["rows"]),
                                 str(t["sha256"])) for t in data["tables"]]
            return cls(data.get("schema_revision"), str(data.get("source_database")),
                       str(data.get("created_at")), str(data.get("app_version")), tables)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InputError(f"{where}: {MANIFEST} is damaged ({error}); use another backup.") from None


def model_tables() -> list[Table]:
    """Every table of records, parents before children.

    The data version (``data_state``) is not a record: it belongs to the database it counts
    changes in, is never backed up, and moves on when a restore replaces the data.
    """
    return [t for t in Base.metadata.sorted_tables if t.name != DataState.__tablename__]


# -- canonical values ---------------------------------------------------------------------------


def _encode(column_type: Any, value: Any) -> Any:
    """A stored value in its canonical JSON form (see the module docstring)."""
    if value is None:
        return None
    if isinstance(column_type, LargeBinary):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(column_type, DateTime):
        if column_type.timezone:
            # SQLite hands back naive times; the application only ever stores UTC.
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.isoformat()
    if isinstance(column_type, Date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(column_type, Boolean):
        return bool(value)
    return value


def _decode(column_type: Any, value: Any) -> Any:
    """The inverse of :func:`_encode`: a value ready to insert."""
    if value is None:
        return None
    if isinstance(column_type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column_type, DateTime):
        parsed = datetime.fromisoformat(value)
        if column_type.timezone and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    return value


def _line(table: Table, row: Sequence[Any]) -> bytes:
    values = [_encode(column.type, value) for column, value in zip(table.columns, row, strict=True)]
    return (json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                       allow_nan=False) + "\n").encode("utf-8")


def _table_lines(connection: Connection, table: Table) -> Iterator[bytes]:
    """Every row of *table* in canonical form, in primary-key order, streamed."""
    statement = (select(*table.columns).order_by(*table.primary_key.columns)
                 .execution_options(stream_results=True, yield_per=CHUNK))
    result = connection.execute(statement)
    for row in result:
        yield _line(table, row)


# -- backup -------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    manifest: Manifest
    size_bytes: int


def create_backup(database_url: str, path: Path, *, on_progress: Progress | None = None) -> BackupResult:
    """Write a consistent, verified backup of the database at *database_url* to *path*.

    The file is written beside *path* under a temporary name, read back and checked, and only
    then renamed to *path*; a failed backup never leaves a file that looks complete.

    :raises InputError: the database has no schema, or the file cannot be written.
    :raises BackupDamaged: the file read back does not match what was written.
    """
    path = Path(path)
    engine = make_engine(database_url)
    partial = path.with_name(path.name + ".partial")
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    connection.execute(text("SET TRANSACTION READ ONLY"))
                revision = MigrationContext.configure(connection).get_current_revision()
                if revision is None:
                    raise InputError("The database has no schema yet: there is nothing to back up. "
                                     "Check DATABASE_URL.")
                manifest = Manifest(revision, engine.dialect.name, utcnow().isoformat(),
                                    monitor.__version__)
                try:
                    handle = _create_private(partial)
                except OSError as error:
                    raise InputError(f"Cannot write {partial}: {error.strerror}.") from error
                with handle, zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED,
                                             allowZip64=True) as archive:
                    for number, table in enumerate(model_tables(), start=1):
                        manifest.tables.append(
                            _write_table(archive, connection, table, number, on_progress))
                    archive.writestr(MANIFEST, json.dumps(manifest.as_json(), indent=2,
                                                          ensure_ascii=False))
        verify_backup(partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    _record(database_url, "backup.create", {"tables": len(manifest.tables),
                                            "rows": manifest.total_rows, "file": path.name})
    logger.info("backup: %d rows in %d tables written", manifest.total_rows, len(manifest.tables))
    return BackupResult(path, manifest, path.stat().st_size)


def count_rows(database_url: str) -> int:
    """How many rows a backup of the database would hold (for a progress bar)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return sum(connection.scalar(select(func.count()).select_from(t)) or 0
                       for t in model_tables())
    finally:
        engine.dispose()


def _create_private(path: Path) -> IO[bytes]:
    """Open *path* for writing, readable by its owner only (it holds password hashes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(descriptor, "wb")


def _write_table(archive: zipfile.ZipFile, connection: Connection, table: Table, number: int,
                 on_progress: Progress | None) -> TableEntry:
    name = f"tables/{number:03d}_{table.name}.jsonl"
    digest = hashlib.sha256()
    rows = 0
    with archive.open(name, "w", force_zip64=True) as member:
        for line in _table_lines(connection, table):
            member.write(line)
            digest.update(line)
            rows += 1
            if on_progress and rows % CHUNK == 0:
                on_progress(CHUNK)
    if on_progress and rows % CHUNK:
        on_progress(rows % CHUNK)
    return TableEntry(table.name, name, tuple(c.name for c in table.columns), rows, digest.hexdigest())


class BackupDamaged(InputError):
    """A backup file does not match its own manifest."""


def read_manifest(path: Path) -> Manifest:
    """Return the manifest of the backup at *path*.

    :raises InputError: not a readable backup file.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return Manifest.parse(archive.read(MANIFEST), path)
    except FileNotFoundError:
        raise InputError(f"There is no backup file {path}.") from None
    except KeyError:
        raise InputError(f"{path} is not a Detention Monitor backup: it has no {MANIFEST}.") from None
    except zipfile.BadZipFile:
        raise InputError(f"{path} is not a backup file (not a zip archive), or it is "
                         "truncated.") from None


def verify_backup(path: Path) -> Manifest:
    """Read every table file back and check its row count and SHA-256 against the manifest.

    :raises BackupDamaged: a file is missing, or its rows or hash differ.
    """
    manifest = read_manifest(path)
    with zipfile.ZipFile(path) as archive:
        for entry in manifest.tables:
            digest = hashlib.sha256()
            rows = 0
            try:
                with archive.open(entry.file) as member:
                    for line in member:
                        digest.update(line)
                        rows += 1
            except KeyError:
                raise BackupDamaged(f"{path}: {entry.file} is missing; the backup is "
                                    "incomplete.") from None
            except (zipfile.BadZipFile, OSError) as error:
                raise BackupDamaged(f"{path}: {entry.file} cannot be read ({error}).") from None
            if rows != entry.rows or digest.hexdigest() != entry.sha256:
                raise BackupDamaged(
                    f"{path}: {entry.file} does not match the manifest ({rows} rows read, "
                    f"{entry.rows} expected; the SHA-256 differs). The file is damaged: use "
                    "another backup.")
    return manifest


# -- restore ------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    manifest: Manifest
    wiped: bool
    rows: dict[str, int]


class DatabaseNotEmpty(InputError):
    """The target database holds data and the restore was not forced."""


def restore_backup(database_url: str, path: Path, *, force: bool = False,
                   on_progress: Progress | None = None) -> RestoreResult:
    """Load the backup at *path* into the database at *database_url*.

    A database with no schema at all is first brought to the newest schema, when that is the
    backup's revision. Everything happens in one transaction: the wipe (when forced), the load,
    and the check that every table reads back with the manifest's row count and hash.

    :raises InputError: damaged backup, schema revision mismatch, unknown tables or columns.
    :raises DatabaseNotEmpty: the database has rows and *force* is false.
    """
    path = Path(path)
    manifest = verify_backup(path)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
            connection.rollback()
        if revision is None and not _has_tables(engine) and manifest.schema_revision == head_revision():
            upgrade_to_head(database_url)
            revision = manifest.schema_revision
        if revision != manifest.schema_revision:
            raise InputError(
                f"The backup is at schema revision {manifest.schema_revision} but the database is "
                f"at {revision or 'no revision'}. Restore into a database at the same revision "
                "(with the application version that made the backup), then run "
                "`monitor db upgrade`.")
        tables = _check_tables(manifest)
        with engine.connect() as connection, connection.begin():
            occupied = {t.name: n for t in tables.values()
                        if (n := connection.scalar(select(func.count()).select_from(t)))}
            if occupied and not force:
                listed = ", ".join(f"{name} {count}" for name, count in list(occupied.items())[:3])
                raise DatabaseNotEmpty(
                    f"The database is not empty ({sum(occupied.values())} rows in "
                    f"{len(occupied)} tables, such as {listed}). Restore into an empty database, "
                    "or add --force to delete everything in it first.")
            if occupied:
                _wipe(connection, list(tables.values()))
            rows = _load(connection, path, manifest, tables, on_progress)
            _check_loaded(connection, manifest, tables)
            # Every page kept under the old data version is stale now (PostgreSQL's TRUNCATE
            # fires no row trigger, so say it here rather than rely on the loads).
            connection.execute(update(DataState).where(DataState.id == 1)
                               .values(version=DataState.version + 1))
            if engine.dialect.name == "postgresql":
                _reset_sequences(connection, list(tables.values()))
            # The session joins the connection's transaction: the event commits with the load.
            with Session(bind=connection) as session:
                audit.record(session, "backup.restore",
                             summary={"rows": manifest.total_rows, "wiped": bool(occupied),
                                      "file": path.name})
                session.flush()
        return RestoreResult(manifest, bool(occupied), rows)
    finally:
        engine.dispose()


def _has_tables(engine: Any) -> bool:
    names = set(inspect(engine).get_table_names())
    return bool(names & {t.name for t in model_tables()})


def _check_tables(manifest: Manifest) -> dict[str, Table]:
    known = {t.name: t for t in model_tables()}
    found: dict[str, Table] = {}
    for entry in manifest.tables:
        table = known.get(entry.name)
        if table is None:
            raise InputError(f"The backup has a table '{entry.name}' this version does not know; "
                             "restore it with the application version that made it.")
        columns = tuple(c.name for c in table.columns)
        if columns != entry.columns:
            raise InputError(f"Table '{entry.name}' in the backup has columns {list(entry.columns)}; "
                             f"this version expects {list(columns)}.")
        found[entry.name] = table
    missing = set(known) - set(found)
    if missing:
        raise InputError(f"The backup lacks the table(s) {', '.join(sorted(missing))}.")
    return found


def _wipe(connection: Connection, tables: list[Table]) -> None:
    """Delete every row of every table, in the caller's transaction.

    The audit log refuses DELETE by trigger. PostgreSQL's TRUNCATE does not fire row triggers;
    on SQLite the triggers are dropped and re-created inside the same transaction, so they are
    never missing once it commits.
    """
    if connection.dialect.name == "postgresql":
        names = ", ".join(connection.dialect.identifier_preparer.quote(t.name) for t in tables)
        connection.execute(text(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE"))
        return
    triggers = connection.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL")).all()
    for name, _sql in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    for table in reversed(tables):
        connection.execute(table.delete())
    for _name, sql in triggers:
        connection.exec_driver_sql(sql)


def _load(connection: Connection, path: Path, manifest: Manifest, tables: dict[str, Table],
          on_progress: Progress | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path) as archive:
        for entry in manifest.tables:
            table = tables[entry.name]
            # A row may point at a row of its own table that comes later (a facility merged
            # into a newer one): such columns are filled in after the whole table is in.
            self_refs = [fk.parent for fk in table.foreign_keys if fk.column.table is table]
            later: list[dict[str, Any]] = []
            statement = _insert_statement(table)
            batch: list[dict[str, Any]] = []
            with archive.open(entry.file) as member:
                for line in member:
                    row = _row(table, json.loads(line))
                    if any(row[c.name] is not None for c in self_refs):
                        later.append(row)
                        row = {**row, **{c.name: None for c in self_refs}}
                    batch.append(row)
                    if len(batch) >= CHUNK:
                        connection.execute(statement, batch)
                        if on_progress:
                            on_progress(len(batch))
                        batch = []
            if batch:
                connection.execute(statement, batch)
                if on_progress:
                    on_progress(len(batch))
            if later:
                _fill_self_references(connection, table, self_refs, later)
            counts[entry.name] = entry.rows
    return counts


def _row(table: Table, values: list[Any]) -> dict[str, Any]:
    return {column.name: _decode(column.type, value)
            for column, value in zip(table.columns, values, strict=True)}


def _insert_statement(table: Table):
    # A nullable JSON column holding None means SQL NULL, not the JSON text 'null'.
    overrides = {c.name: bindparam(c.name, type_=JSON(none_as_null=True))
                 for c in table.columns if isinstance(c.type, JSON) and c.nullable}
    statement = insert(table)
    return statement.values(overrides) if overrides else statement


def _fill_self_references(connection: Connection, table: Table, columns: list[Any],
                          rows: list[dict[str, Any]]) -> None:
    keys = list(table.primary_key.columns)
    # Columns updated automatically on UPDATE (``updated_at``) are set back to their stored value.
    kept = [c for c in table.columns if c.onupdate is not None]
    values = {c.name: bindparam(f"v_{c.name}") for c in [*columns, *kept]}
    condition = [k == bindparam(f"k_{k.name}") for k in keys]
    statement = update(table).where(*condition).values(values)
    params = [{**{f"v_{c.name}": row[c.name] for c in [*columns, *kept]},
               **{f"k_{k.name}": row[k.name] for k in keys}} for row in rows]
    connection.execute(statement, params)


def _check_loaded(connection: Connection, manifest: Manifest, tables: dict[str, Table]) -> None:
    """Read every table back and compare it with the manifest (raises, so nothing commits)."""
    for entry in manifest.tables:
        digest = hashlib.sha256()
        rows = 0
        for line in _table_lines(connection, tables[entry.name]):
            digest.update(line)
            rows += 1
        if rows != entry.rows or digest.hexdigest() != entry.sha256:
            raise InputError(
                f"Table {entry.name} does not read back as it was backed up ({rows} rows, "
                f"{entry.rows} expected); nothing was restored.")


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Let new rows get ids after the restored ones (PostgreSQL keeps counters apart)."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not keys[0].autoincrement or keys[0].type.python_type is not int:
            continue
        column = keys[0].name
        connection.execute(
            text(f'SELECT setval(pg_get_serial_sequence(:table, :column), '
                 f'COALESCE((SELECT MAX("{column}") FROM "{table.name}"), 1), '
                 f'(SELECT MAX("{column}") FROM "{table.name}") IS NOT NULL)'),
            {"table": table.name, "column": column})


def _record(database_url: str, action: str, summary: dict[str, Any]) -> None:
    from monitor.db.session import make_session_factory, session_scope

    factory = make_session_factory(database_url)
    try:
        with session_scope(factory) as session:
            audit.record(session, action, summary=summary)
    finally:
        factory.kw["bind"].dispose()
