"""The long answers export streams: memory stays flat as the number of answers grows."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from monitor.core import paths
from monitor.core.crypto import Vault, generate_key
from monitor.db.models import Answer, Facility, Organisation, Visit
from monitor.db.session import make_session_factory
from monitor.services.catalog import load_catalog
from monitor.services.exports import write_answers_long
from tests.conftest import fresh_sqlite, make_settings
from tests.exports.support import read_csv


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(paths.CHECKLISTS)


def fill(url: str, catalog, vault: Vault, answers: int) -> None:
    """Insert *answers* answers (one in seven to a sensitive question) in bulk."""
    questions = [q for q in catalog.get("core").questions() if not q.is_computed]
    secret = vault.encrypt("a confidential note")
    now = datetime.now(UTC)
    visits = -(-answers // len(questions))
    factory = make_session_factory(url)
    with factory() as session:
        session.execute(insert(Organisation), [{"id": 1, "name": "Org"}])
        session.execute(insert(Facility), [{"id": 1, "public_id": "F-ABCDEF", "name": "Place",
                                            "country": "MEX", "type": "prison",
                                            "search_text": ""}])
        session.execute(insert(Visit), [
            {"id": n + 1, "facility_id": 1, "organisation_id": 1, "start_date": date(2024, 1, 1),
             "end_date": date(2024, 1, 1), "scope": "full", "checklist_id": "core",
             "checklist_version": 1, "checklist_digest": "x", "state": "published",
             "submitted_at": now, "published_at": now, "lock_version": 1}
            for n in range(visits)])
        rows = []
        for n in range(answers):
            question = questions[n % len(questions)]
            visit = n // len(questions) + 1
            if question.sensitive:
                rows.append({"visit_id": visit, "question_id": question.id, "value": None,
                             "secret": secret})
            else:
                rows.append({"visit_id": visit, "question_id": question.id,
                             "value": n % 40 if question.type.value == "integer" else "yes"})
        session.execute(insert(Answer), rows)
        session.commit()
    factory.kw["bind"].dispose()


def peak_of_export(url: str, catalog, vault: Vault, settings, out: Path) -> tuple[int, int]:
    factory = make_session_factory(url)
    with factory() as session:
        tracemalloc.start()
        try:
            count = write_answers_long(session, out, catalog=catalog, vault=vault,
                                       settings=settings)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    factory.kw["bind"].dispose()
    return count, peak


def test_memory_does_not_grow_with_the_number_of_answers(sqlite_template, tmp_path, catalog):
    vault = Vault([generate_key()])
    peaks = {}
    for answers in (5_000, 50_000):
        folder = tmp_path / str(answers)
        folder.mkdir()
        url = fresh_sqlite(sqlite_template, folder)
        fill(url, catalog, vault, answers)
        out = folder / "answers.csv"
        count, peaks[answers] = peak_of_export(url, catalog, vault,
                                               make_settings(folder, url), out)
        assert count == answers == len(read_csv(out)) - 1
        assert "a confidential note" in out.read_text(encoding="utf-8-sig")

    # Ten times the rows, about the same peak: the rows are never all held at once.
    assert peaks[50_000] < peaks[5_000] * 1.5 + 256 * 1024, peaks
