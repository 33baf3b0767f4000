"""`monitor backup` and `monitor restore`: consistent, verified, portable between SQLite and
PostgreSQL; a restore loads everything or nothing."""

from __future__ import annotations

import enum
import hashlib
import json
import os
import stat
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from monitor.core import paths
from monitor.core.crypto import Vault, generate_key
from monitor.core.errors import InputError
from monitor.db.migrate import head_revision
from monitor.db.models import Facility, Interview, Visit
from monitor.db.session import make_session_factory
from monitor.services import backup, demo, interviews
from monitor.services import facilities as registry
from monitor.services.catalog import load_catalog
from tests.conftest import fresh_postgres, fresh_sqlite

KEY = generate_key()


# -- a realistic source database, built once ------------------------------------------------------


@pytest.fixture(scope="module")
def demo_sqlite(sqlite_template, tmp_path_factory) -> str:
    """The demo data plus what the demo lacks: interview notes, visit notes, a merge forward."""
    url = fresh_sqlite(sqlite_template, tmp_path_factory.mktemp("demo"))
    vault = Vault([KEY])
    factory = make_session_factory(url)
    with factory() as db:
        demo.load(db, catalog=load_catalog(paths.CHECKLISTS), vault=vault)
        db.commit()
        visits = db.scalars(select(Visit).order_by(Visit.id).limit(3)).all()
        for number, visit in enumerate(visits):
            author = visit.created_by
            interviews.create_interview(db, visit, interviews.InterviewData(
                consent_interview=True, notes=f"Interview notes {number}: ñandú, 日本語."),
                by=author, vault=vault)
            visit.notes_secret = vault.encrypt(f"Team notes {number}")
        first, last = db.scalars(select(Facility).order_by(Facility.id)).all()[::16][:2]
        registry.merge_facilities(db, first, last)  # points at a row with a higher id
        db.commit()
    factory.kw["bind"].dispose()
    return url


def normalise(value):
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC))
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, ordered by key, with values made comparable across databases."""
    engine = create_engine(url)
    found = {}
    with engine.connect() as connection:
        for table in backup.model_tables():  # every table of records (not the data version)
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            found[table.name] = [tuple(normalise(v) for v in row) for row in rows]
    engine.dispose()
    return found


def assert_identical(source: str, target: str) -> None:
    before, after = every_row(source), every_row(target)
    assert set(before) == set(after)
    for name in before:
        assert after[name] == before[name], f"table {name} differs after restore"


@pytest.fixture
def backup_file(demo_sqlite, tmp_path) -> Path:
    return backup.create_backup(demo_sqlite, tmp_path / "demo.zip").path


@pytest.fixture
def empty_sqlite(sqlite_template, tmp_path) -> str:
    folder = tmp_path / "target"
    folder.mkdir()
    return fresh_sqlite(sqlite_template, folder)


@pytest.fixture
def empty_postgres(postgres_admin_url, postgres_template) -> str:
    return fresh_postgres(postgres_admin_url, postgres_template)


# -- round trips ----------------------------------------------------------------------------------


def test_sqlite_to_sqlite(demo_sqlite, backup_file, empty_sqlite):
    manifest = backup.read_manifest(backup_file)
    assert manifest.schema_revision == head_revision()
    counts = {t.name: t.rows for t in manifest.tables}
    assert counts["visits"] == 68 and counts["answers"] > 10_000 and counts["interviews"] == 3
    result = backup.restore_backup(empty_sqlite, backup_file)
    assert not result.wiped and result.rows == counts
    restored = every_row(empty_sqlite)
    restored["audit_events"] = restored["audit_events"][:-1]  # the restore records itself
    source = every_row(demo_sqlite)
    source["audit_events"] = [r for r in source["audit_events"] if r[4] != "backup.create"]
    for name in source:
        assert restored[name] == source[name], name
    assert "data_state" not in counts  # the data version belongs to each database, not a backup


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_restore_moves_the_data_version_on(request, demo_sqlite, backup_file, database):
    from monitor.db.models.state import data_version
    from monitor.db.session import make_session_factory

    target = request.getfixturevalue(f"empty_{'postgres' if database == 'postgresql' else database}")
    sessions = make_session_factory(target)
    with sessions() as session:
        before = data_version(session)
    backup.restore_backup(target, backup_file)
    with sessions() as session:
        assert data_version(session) > before  # pages kept before the restore are stale
    sessions.kw["bind"].dispose()


@pytest.mark.postgres
def test_sqlite_to_postgresql_to_postgresql(demo_sqlite, tmp_path, empty_postgres,
                                            postgres_admin_url, postgres_template):
    first = backup.create_backup(demo_sqlite, tmp_path / "from-sqlite.zip")
    backup.restore_backup(empty_postgres, first.path)
    compare_without_own_events(demo_sqlite, empty_postgres)
    second = backup.create_backup(empty_postgres, tmp_path / "from-postgresql.zip")
    # The same data gives the same table files, whichever database it was read from.
    by_name = {t.name: t.sha256 for t in second.manifest.tables}
    for entry in first.manifest.tables:
        if entry.name != "audit_events":
            assert by_name[entry.name] == entry.sha256, entry.name
    target = fresh_postgres(postgres_admin_url, postgres_template)
    backup.restore_backup(target, second.path)
    compare_without_own_events(empty_postgres, target)
    check_usable_after_restore(target)


def compare_without_own_events(source: str, target: str) -> None:
    before, after = every_row(source), every_row(target)
    own = ("backup.create", "backup.restore")
    for name in before:
        if name == "audit_events":
            keep_before = [r for r in before[name] if r[4] not in own]
            keep_after = [r for r in after[name] if r[4] not in own]
            assert keep_after == keep_before
        else:
            assert after[name] == before[name], name


def check_usable_after_restore(url: str) -> None:
    """Sealed values open with the same key, and new rows get new ids (sequences reset)."""
    factory = make_session_factory(url)
    with factory() as db:
        notes = sorted(interviews.read_notes(i, Vault([KEY]))
                       for i in db.scalars(select(Interview)))
        assert notes[0].startswith("Interview notes 0")
        highest = db.scalar(select(func.max(Facility.id)))
        created = registry.create_facility(db, registry.FacilityData(name="After", country="MEX"))
        db.commit()
        assert created.id == highest + 1
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text("DELETE FROM audit_events"))
        db.rollback()
    factory.kw["bind"].dispose()


def test_restored_sqlite_is_usable(backup_file, empty_sqlite):
    backup.restore_backup(empty_sqlite, backup_file)
    check_usable_after_restore(empty_sqlite)


def test_sealed_columns_stay_sealed_in_the_backup(backup_file):
    with zipfile.ZipFile(backup_file) as archive:
        content = b"".join(archive.read(n) for n in archive.namelist())
    assert b"Interview notes" not in content and b"Team notes" not in content
    manifest = json.loads(zipfile.ZipFile(backup_file).read("manifest.json"))
    assert "key file" in manifest["note"] and "answers.secret" in manifest["encrypted_columns"]


def test_the_backup_file_is_private(backup_file):
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600


# -- refusing, wiping, verifying ------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request, sqlite_template, tmp_path):
    if request.param == "sqlite":
        folder = tmp_path / "t"
        folder.mkdir()
        return fresh_sqlite(sqlite_template, folder)
    return fresh_postgres(request.getfixturevalue("postgres_admin_url"),
                          request.getfixturevalue("postgres_template"))


def small_database(url: str, name: str) -> None:
    factory = make_session_factory(url)
    with factory() as db:
        registry.create_facility(db, registry.FacilityData(name=name, country="PER"))
        db.commit()
    factory.kw["bind"].dispose()


def test_a_non_empty_database_is_refused_unless_forced(backup_file, target):
    small_database(target, "Already here")
    before = every_row(target)
    with pytest.raises(backup.DatabaseNotEmpty, match="--force"):
        backup.restore_backup(target, backup_file)
    assert every_row(target) == before
    result = backup.restore_backup(target, backup_file, force=True)
    assert result.wiped
    names = [r[2] for r in every_row(target)["facilities"]]
    assert "Already here" not in names and len(names) == 17
    check_usable_after_restore(target)  # the append-only triggers came back after the wipe


def test_a_damaged_backup_is_refused_before_anything_is_touched(backup_file, tmp_path, target):
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(backup_file) as source, zipfile.ZipFile(damaged, "w") as copy:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("_facilities.jsonl"):
                data = data.replace(b"MEX", b"GTM", 1)
            copy.writestr(item, data)
    with pytest.raises(backup.BackupDamaged, match="_facilities.jsonl does not match"):
        backup.verify_backup(damaged)
    small_database(target, "Untouched")
    before = every_row(target)
    with pytest.raises(backup.BackupDamaged):
        backup.restore_backup(target, damaged, force=True)
    assert every_row(target) == before


def rewrite(backup_file: Path, out: Path, change_manifest=None, change_table=None) -> Path:
    """Copy a backup, changing its manifest or one table, with hashes made to match again."""
    with zipfile.ZipFile(backup_file) as source:
        manifest = json.loads(source.read("manifest.json"))
        files = {n: source.read(n) for n in source.namelist() if n != "manifest.json"}
    if change_table:
        name, change = change_table
        entry = next(t for t in manifest["tables"] if t["name"] == name)
        files[entry["file"]] = change(files[entry["file"]])
        entry["sha256"] = hashlib.sha256(files[entry["file"]]).hexdigest()
    if change_manifest:
        change_manifest(manifest)
    with zipfile.ZipFile(out, "w") as copy:
        for name, data in files.items():
            copy.writestr(name, data)
        copy.writestr("manifest.json", json.dumps(manifest))
    return out


def test_a_failure_while_loading_leaves_the_database_as_it_was(backup_file, tmp_path, target):
    # A row the database refuses (a lower-case country breaks a CHECK constraint), late in the
    # load: everything before it must be rolled back too.
    broken = rewrite(backup_file, tmp_path / "broken.zip",
                     change_table=("facilities", lambda b: b.replace(b'"MEX"', b'"mex"')))
    small_database(target, "Still here")
    before = every_row(target)
    with pytest.raises(DBAPIError):
        backup.restore_backup(target, broken, force=True)
    assert every_row(target) == before


def test_another_schema_revision_is_refused(backup_file, tmp_path, empty_sqlite):
    older = rewrite(backup_file, tmp_path / "old.zip",
                    change_manifest=lambda m: m.update(schema_revision="0001"))
    with pytest.raises(InputError, match="schema revision 0001"):
        backup.restore_backup(empty_sqlite, older)


def test_not_a_backup(tmp_path, empty_sqlite):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK not really a zip")
    with pytest.raises(InputError, match="not a backup file"):
        backup.restore_backup(empty_sqlite, junk)
    with pytest.raises(InputError, match="no backup file"):
        backup.restore_backup(empty_sqlite, tmp_path / "missing.zip")


def test_a_fresh_database_without_a_schema_gets_one(backup_file, tmp_path, demo_sqlite):
    url = f"sqlite:///{tmp_path / 'brand-new.sqlite3'}"
    backup.restore_backup(url, backup_file)
    assert every_row(url)["visits"] == every_row(demo_sqlite)["visits"]


# -- consistency while the application writes -----------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_backup_is_one_consistent_snapshot(kind, backup_file, tmp_path, request,
                                               sqlite_template):
    if kind == "sqlite":
        folder = tmp_path / "live"
        folder.mkdir()
        url = fresh_sqlite(sqlite_template, folder)
    else:
        url = fresh_postgres(request.getfixturevalue("postgres_admin_url"),
                             request.getfixturevalue("postgres_template"))
    backup.restore_backup(url, backup_file)
    before = every_row(url)
    factory = make_session_factory(url)
    writes = []

    def write_meanwhile(_rows: int) -> None:
        if writes:
            return
        # Called after the first table was read: another connection adds rows to tables
        # already read and not yet read, and commits.
        with factory() as db:
            registry.create_facility(db, registry.FacilityData(name="During backup", country="MEX"))
            db.commit()
        writes.append(1)

    result = backup.create_backup(url, tmp_path / "live.zip", on_progress=write_meanwhile)
    assert writes
    counts = {t.name: t.rows for t in result.manifest.tables}
    assert counts["facilities"] == len(before["facilities"])
    assert counts["audit_events"] == len(before["audit_events"])  # read later, still the snapshot
    factory.kw["bind"].dispose()


# -- the commands ---------------------------------------------------------------------------------


def test_backup_and_restore_commands(demo_sqlite, tmp_path, empty_sqlite, monkeypatch):
    from click.testing import CliRunner

    from monitor.cli import cli

    runner = CliRunner()
    monkeypatch.setenv("MONITOR_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", demo_sqlite)
    out = tmp_path / "cli.zip"
    made = runner.invoke(cli, ["backup", str(out)])
    assert made.exit_code == 0, made.output
    assert "written and verified" in made.output and "key file" in made.output
    monkeypatch.setenv("DATABASE_URL", empty_sqlite)
    restored = runner.invoke(cli, ["restore", str(out)])
    assert restored.exit_code == 0, restored.output
    assert "every table matches the backup" in restored.output
    forced = runner.invoke(cli, ["restore", str(out), "--force"])
    assert forced.exit_code == 0 and "previous content was deleted" in forced.output

    # Refusals, as an operator sees them: a real process, one sentence, no traceback.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=empty_sqlite, MONITOR_INSTANCE=str(tmp_path / "instance"))
    again = subprocess.run([sys.executable, "-m", "monitor", "restore", str(out)], env=env,
                           capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 1 and "--force" in again.stderr
    assert "Traceback" not in again.stderr and len(again.stderr.strip().splitlines()) == 1
    missing = runner.invoke(cli, ["restore", str(tmp_path / "nope.zip")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
