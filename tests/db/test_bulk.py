"""Rows written in bulk (COPY on PostgreSQL) read back exactly as rows inserted one by one."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from monitor.db.bulk import insert_rows
from monitor.db.models import AreaScore, Finding, FindingStatus
from monitor.db.models.finding import Severity
from tests.dashboard import factory

#: Text that COPY's own format must escape: tabs, new lines, backslashes, quotes, non-ASCII.
AWKWARD = 'Tab\there, line\nbreak, back\\slash, "quoted", \\N, señal, 拘留, \u2028 and \x7f'


def _finding_rows(visit_id: int, prefix: str) -> list[dict]:
    return [{
        "visit_id": visit_id, "standard_id": f"{prefix}.{n}", "area_id": "proc",
        "status": list(FindingStatus)[n % len(FindingStatus)],
        "severity": list(Severity)[n % len(Severity)],
        "evidence": [{"question": f"q{n}", "answer": AWKWARD if n % 2 else n * 1.5,
                      "list": ["a", None, True], "nested": {"x": None}}] if n % 3 else [],
    } for n in range(12)]


def _read(db, visit_id: int, prefix: str) -> list[tuple]:
    return [(f.standard_id.split(".", 1)[1], f.area_id, f.status, f.severity, f.evidence)
            for f in db.scalars(select(Finding).where(Finding.visit_id == visit_id,
                                                      Finding.standard_id.startswith(prefix))
                                .order_by(Finding.id))]


def test_bulk_rows_read_back_as_rows_inserted_one_statement_each(db):
    org = factory.organisation(db, "Org A")
    fid = factory.add_facilities(db, 1, prefix="B")[0]
    visit = factory.add_visit(db, fid, org, day=date(2025, 1, 1))
    insert_rows(db, Finding.__table__, _finding_rows(visit.id, "bulk"))
    db.execute(insert(Finding.__table__), _finding_rows(visit.id, "plain"))
    areas = [{"visit_id": visit.id, "area_id": f"x.{n}", "score": None if n == 0 else n / 7,
              "assessed_share": 0.5, "standards_assessed": n, "standards_total": 9,
              "rating": None if n == 1 else n + 1, "rating_rule": {"en": AWKWARD, "es": "regla"}}
             for n in range(3)]
    insert_rows(db, AreaScore.__table__, areas)
    insert_rows(db, AreaScore.__table__, [])  # nothing to write is not an error
    db.commit()
    db.expire_all()

    bulk, plain = _read(db, visit.id, "bulk"), _read(db, visit.id, "plain")
    assert len(bulk) == 12 and bulk == plain
    assert any(item["answer"] == AWKWARD for row in bulk for item in row[4])
    stored = db.scalars(select(AreaScore).where(AreaScore.visit_id == visit.id,
                                                AreaScore.area_id.startswith("x."))
                        .order_by(AreaScore.area_id)).all()
    assert [(a.score, a.rating, a.rating_rule["en"]) for a in stored] == [
        (None, 1, AWKWARD), (1 / 7, None, AWKWARD), (2 / 7, 3, AWKWARD)]


def test_a_refused_row_raises_what_a_plain_insert_raises(db):
    org = factory.organisation(db, "Org A")
    fid = factory.add_facilities(db, 1, prefix="R")[0]
    visit = factory.add_visit(db, fid, org, day=date(2025, 1, 1))
    db.commit()
    row = {"visit_id": visit.id, "area_id": "x.bad", "score": 0.5, "assessed_share": 1.0,
           "standards_assessed": 1, "standards_total": 1, "rating": 9, "rating_rule": {}}
    with pytest.raises(IntegrityError):  # the rating scale is 1-4
        insert_rows(db, AreaScore.__table__, [row])
    db.rollback()
    assert db.scalar(select(func.count()).select_from(AreaScore).where(
        AreaScore.area_id == "x.bad")) == 0


def test_a_column_left_out_takes_its_python_default(db):
    org = factory.organisation(db, "Org A")
    fid = factory.add_facilities(db, 1, prefix="D")[0]
    visit = factory.add_visit(db, fid, org, day=date(2025, 1, 1))
    rows = [{key: value for key, value in row.items() if key != "evidence"}
            for row in _finding_rows(visit.id, "nodefault")]
    insert_rows(db, Finding.__table__, rows)
    db.commit()
    db.expire_all()
    stored = _read(db, visit.id, "nodefault")
    assert len(stored) == 12 and all(row[4] == [] for row in stored)
