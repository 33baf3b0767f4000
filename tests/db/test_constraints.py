"""Invariants live in the database: a bad row is refused whatever code writes it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from monitor.db.models import (
    Answer,
    Facility,
    FacilityType,
    Organisation,
    Visit,
    VisitScope,
)


def _facility(**overrides) -> Facility:
    values = dict(public_id="F-TEST01", name="Test", country="MEX", type=FacilityType.PRISON,
                  latitude=10.0, longitude=10.0)
    values.update(overrides)
    return Facility(**values)


@pytest.mark.parametrize("overrides", [
    {"latitude": 91.0},
    {"latitude": -90.5},
    {"longitude": 180.5},
    {"latitude": None},              # one coordinate without the other
    {"country": "MX"},               # not ISO3
    {"country": "mex"},              # not upper case
    {"capacity": -1},
])
def test_facility_rows_that_break_an_invariant_are_refused(db, overrides):
    db.add(_facility(**overrides))
    with pytest.raises(IntegrityError):
        db.flush()


def test_facility_type_is_a_checked_value(db):
    db.add(_facility())
    db.flush()
    with pytest.raises((IntegrityError, StatementError)):
        db.execute(Facility.__table__.update().values(type="hotel"))
        db.flush()


def _visit(db) -> Visit:
    org = Organisation(name="Org")
    facility = _facility()
    db.add_all([org, facility])
    db.flush()
    visit = Visit(facility_id=facility.id, organisation_id=org.id, start_date=date(2024, 1, 2),
                  end_date=date(2024, 1, 2), scope=VisitScope.FULL, checklist_id="core",
                  checklist_version=1, checklist_digest="x")
    db.add(visit)
    db.flush()
    return visit


def test_one_answer_per_question_per_visit(db):
    visit = _visit(db)
    db.add_all([Answer(visit_id=visit.id, question_id="q", value=1),
                Answer(visit_id=visit.id, question_id="q", value=2)])
    with pytest.raises(IntegrityError):
        db.flush()


def test_visit_cannot_end_before_it_starts(db):
    visit = _visit(db)
    visit.end_date = date(2023, 12, 31)
    with pytest.raises(IntegrityError):
        db.flush()


def test_answer_is_plain_or_secret_never_both(db):
    visit = _visit(db)
    db.add(Answer(visit_id=visit.id, question_id="q", value="x", secret=b"sealed"))
    with pytest.raises(IntegrityError):
        db.flush()


def test_concurrent_edits_of_a_visit_are_detected(db, settings):
    from sqlalchemy.orm.exc import StaleDataError

    from monitor.db.session import make_session_factory

    visit = _visit(db)
    db.commit()
    other = make_session_factory(settings.database_url)()
    theirs = other.get(Visit, visit.id)
    theirs.announced = True
    other.commit()
    other.close()
    visit.announced = False
    visit.end_date = date(2024, 1, 3)
    with pytest.raises(StaleDataError):
        db.flush()
