"""Encryption at rest: sensitive answers and notes never reach the database file in clear, and
`monitor keys rotate` re-encrypts them with a new key while they stay readable."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from monitor.core.crypto import Vault, generate_key, read_key_file
from monitor.core.errors import ConfigError
from monitor.db.models import Answer, AuditEvent, Interview, Visit
from monitor.db.session import make_session_factory
from monitor.services import facilities as registry
from monitor.services import interviews, keys
from monitor.services import visits as visit_service
from monitor.services.facilities import FacilityData


def text_questions(checklist, *, sensitive: bool):
    found = [q for q in checklist.questions() if q.sensitive is sensitive and not q.is_computed
             and q.type.value in ("text", "long_text")]
    assert len(found) >= 5, "the core checklist should have sensitive free-text questions"
    return found


def seed(db, catalog, vault, user, *, markers: dict[str, str], plain_marker: str | None = None):
    """A visit with sealed answers, interview notes and visit notes holding *markers*.

    *plain_marker* goes into the facility's name, which is stored in clear: a control showing
    that the scan would see a marker if one were there.
    """
    checklist = catalog.get("core")
    name = plain_marker or f"Centro {uuid.uuid4().hex[:6]}"
    facility = registry.create_facility(db, FacilityData(name=name, country="MEX"))
    visit = visit_service.create_visit(db, facility=facility, by=user, checklist=checklist,
                                       start_date=date(2024, 3, 18))
    sensitive = text_questions(checklist, sensitive=True)
    changes = {q.id: markers[f"answer{i}"] for i, q in enumerate(sensitive)
               if f"answer{i}" in markers}
    visit_service.save_answers(db, visit, changes, by=user, vault=vault, checklist=checklist)
    for name, marker in markers.items():
        if name.startswith("interview"):
            interviews.create_interview(db, visit, interviews.InterviewData(
                consent_interview=True, notes=marker), by=user, vault=vault)
    if "visit_notes" in markers:
        visit.notes_secret = vault.encrypt(markers["visit_notes"])
    db.commit()
    return visit


def new_markers(count_answers: int = 3) -> dict[str, str]:
    found = {f"answer{i}": f"SECRET-ANSWER-{i}-{uuid.uuid4().hex}" for i in range(count_answers)}
    found.update(interview0=f"SECRET-NOTES-{uuid.uuid4().hex}",
                 interview1=f"SECRET-NOTES-{uuid.uuid4().hex}",
                 visit_notes=f"SECRET-VISIT-{uuid.uuid4().hex}")
    return found


def every_stored_text_postgresql(url: str) -> str:
    """Every text, binary and JSON value of every table, cast to text, as one string."""
    engine = create_engine(url)
    parts = []
    with engine.connect() as connection:
        columns = connection.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'bytea', 'json', 'jsonb', 'character')")).all()
        assert len(columns) > 40
        for table, column in columns:
            for (value,) in connection.execute(text(
                    f'SELECT encode("{column}", \'escape\') FROM "{table}"' if column in
                    ("secret", "notes_secret") else f'SELECT "{column}"::text FROM "{table}"')):
                parts.append(value or "")
    engine.dispose()
    return "\n".join(parts)


def every_stored_byte_sqlite(url: str) -> bytes:
    database = Path(make_url(url).database)
    files = [database, database.with_name(database.name + "-wal")]
    assert files[1].exists(), "WAL mode is expected: recent writes sit in the -wal file"
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_sensitive_values_never_reach_the_database_in_clear(app, db, settings, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    catalog, vault = app.extensions["monitor.catalog"], app.extensions["monitor.vault"]
    user = make_user("monitor")
    markers = new_markers()
    plain = f"PLAIN-CONTROL-{uuid.uuid4().hex}"
    visit = seed(db, catalog, vault, user, markers=markers, plain_marker=plain)
    if settings.is_sqlite:
        stored = every_stored_byte_sqlite(settings.database_url)
        assert plain.encode() in stored  # the scan does see what is stored in clear
        for marker in markers.values():
            assert marker.encode() not in stored
    else:
        stored = every_stored_text_postgresql(settings.database_url)
        assert plain in stored
        for marker in markers.values():
            assert marker not in stored
    for marker in [*markers.values(), plain]:
        assert marker not in caplog.text  # nor in the logs
    db.expire_all()
    values = visit_service.current_answers(db.get(Visit, visit.id), vault)
    assert {markers[f"answer{i}"] for i in range(3)} <= set(values.values())


# -- key rotation ---------------------------------------------------------------------------------


def sealed_tokens(factory) -> list[bytes]:
    with factory() as db:
        tokens = list(db.scalars(select(Answer.secret).where(Answer.secret.is_not(None))))
        tokens += list(db.scalars(select(Interview.notes_secret).where(Interview.notes_secret.is_not(None))))
        tokens += list(db.scalars(select(Visit.notes_secret).where(Visit.notes_secret.is_not(None))))
    return [bytes(t) for t in tokens]


def test_rotation_re_encrypts_everything_and_data_stays_readable(app, db, settings, make_user,
                                                                 tmp_path):
    catalog = app.extensions["monitor.catalog"]
    key_file = tmp_path / "data.key"
    read_key_file(key_file, create=True)
    old_vault = Vault(read_key_file(key_file, create=False))
    user = make_user("monitor")
    markers = new_markers(5)
    seed(db, catalog, old_vault, user, markers=markers)
    seed(db, catalog, old_vault, user, markers=new_markers(2))
    expected = sorted(old_vault.decrypt(t) for t in sealed_tokens(lambda: make_session_factory(
        settings.database_url)()))
    assert len(expected) == 13

    new_key = keys.add_new_key(key_file)
    all_keys = read_key_file(key_file, create=False)
    assert all_keys[0] == new_key and len(all_keys) == 2
    factory = make_session_factory(settings.database_url)
    seen_during = []

    def read_everything(batch: int) -> None:
        both = Vault(all_keys)
        seen_during.append(sorted(both.decrypt(t) for t in sealed_tokens(factory)))

    result = keys.rotate_sealed(factory, all_keys, batch_size=2, after_batch=read_everything)
    assert result.total_rotated == 13 and result.batches >= 7
    assert all(values == expected for values in seen_during)  # readable halfway through
    newest = Fernet(new_key.encode())
    for token in sealed_tokens(factory):
        newest.decrypt(token)  # every value now opens with the new key alone
        with pytest.raises(ConfigError):
            old_vault.decrypt(token)
    assert sorted(Vault(all_keys).decrypt(t) for t in sealed_tokens(factory)) == expected

    again = keys.rotate_sealed(factory, all_keys)
    assert again.total_rotated == 0 and sum(again.already_current.values()) == 13
    with factory() as check:
        events = check.scalars(select(AuditEvent).where(AuditEvent.action == "keys.rotate")).all()
        assert [e.summary["rotated"] for e in events] == [13, 0]
    factory.kw["bind"].dispose()


def test_rotation_never_overwrites_a_value_saved_meanwhile(settings, db, app, make_user):
    vault = app.extensions["monitor.vault"]
    seed(db, app.extensions["monitor.catalog"], vault, make_user("monitor"),
         markers={"answer0": "first"})
    answer = db.scalar(select(Answer).where(Answer.secret.is_not(None)))
    table, pk, column = keys.SEALED_COLUMNS[0]
    stale = {"b_id": answer.id, "b_old": b"not what is stored", "b_new": vault.encrypt("stale")}
    assert keys._write_batch(db, table, pk, column, [stale]) == 0
    db.commit()
    db.expire_all()
    assert vault.decrypt(db.get(Answer, answer.id).secret) == "first"


def test_a_value_no_key_opens_stops_the_rotation_with_a_clear_message(settings, db, app, make_user):
    seed(db, app.extensions["monitor.catalog"], Vault([generate_key()]), make_user("monitor"),
         markers={"answer0": "sealed with a key that is then lost"})
    factory = make_session_factory(settings.database_url)
    with pytest.raises(ConfigError, match="cannot be opened with any configured key"):
        keys.rotate_sealed(factory, [generate_key()])
    factory.kw["bind"].dispose()


def test_the_keys_commands(sqlite_url, tmp_path, monkeypatch, app, make_user):
    from monitor.cli import cli

    key_file = tmp_path / "instance" / "data.key"
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MONITOR_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("MONITOR_DATA_KEY_FILE", str(key_file))
    runner = CliRunner()
    printed = runner.invoke(cli, ["keys", "generate"])
    assert printed.exit_code == 0
    Fernet(printed.output.strip().encode())  # a usable key
    assert not key_file.exists()  # printing a key writes nothing

    factory = make_session_factory(sqlite_url)
    with factory() as db:
        from monitor.services import accounts

        user = accounts.create_user(db, "k@test.example", "correct horse battery", role="monitor",
                                    organisation="O")
        first = Vault(read_key_file(key_file, create=True))
        seed(db, app.extensions["monitor.catalog"], first, user, markers=new_markers(2))
    rotated = runner.invoke(cli, ["keys", "rotate", "--batch-size", "2"])
    assert rotated.exit_code == 0, rotated.output
    assert "re-encrypted 5" in rotated.output
    now = read_key_file(key_file, create=False)
    assert len(now) == 2
    for token in sealed_tokens(factory):
        Fernet(now[0].encode()).decrypt(token)
    added = runner.invoke(cli, ["keys", "generate", "--add"])
    assert added.exit_code == 0 and len(read_key_file(key_file, create=False)) == 3
    kept = runner.invoke(cli, ["keys", "rotate", "--keep-key"])
    assert kept.exit_code == 0 and "re-encrypted 5" in kept.output
    assert len(read_key_file(key_file, create=False)) == 3
    monkeypatch.setenv("MONITOR_DATA_KEYS", generate_key())
    refused = runner.invoke(cli, ["keys", "rotate"])
    assert refused.exit_code != 0 and "MONITOR_DATA_KEYS" in refused.output
    factory.kw["bind"].dispose()
