"""No lost work: concurrent edits of a visit conflict or merge, never overwrite; multi-row writes
(facility import, stored findings) happen in one transaction. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from monitor.db.models import AreaScore, AuditEvent, Facility, Finding, Visit
from monitor.db.session import make_session_factory, session_scope
from monitor.services import facilities as registry
from monitor.services import facility_import, findings
from monitor.services import visits as visit_service
from monitor.services.facilities import FacilityData
from monitor.services.visits import AnswerConflict


@pytest.fixture
def catalog(app):
    return app.extensions["monitor.catalog"]


@pytest.fixture
def vault(app):
    return app.extensions["monitor.vault"]


@pytest.fixture
def sessions(settings):
    factory = make_session_factory(settings.database_url)
    yield factory
    factory.kw["bind"].dispose()


def questions(checklist, kind: str, *, sensitive: bool = False, count: int = 2) -> list[str]:
    found = [q.id for q in checklist.questions() if q.type.value == kind and not q.is_computed
             and q.sensitive is sensitive]
    assert len(found) >= count
    return found[:count]


@pytest.fixture
def draft(db, make_user, catalog, vault):
    """A draft visit with one integer answer saved, and its team of two monitors."""
    first = make_user("monitor", org="Org")
    second = make_user("monitor", org="Org")
    checklist = catalog.get("core")
    facility = registry.create_facility(db, FacilityData(name="Centro", country="MEX"))
    visit = visit_service.create_visit(db, facility=facility, by=first, checklist=checklist,
                                       start_date=date(2024, 3, 18), team=[second])
    q1, q2 = questions(checklist, "integer")
    visit_service.save_answers(db, visit, {q1: 10}, by=first, vault=vault, checklist=checklist)
    db.commit()
    return visit.id, first.id, second.id, checklist, q1, q2


def load(session, visit_id, user_id):
    from monitor.db.models import User

    return session.get(Visit, visit_id), session.get(User, user_id)


def stored(sessions, visit_id, vault):
    with sessions() as session:
        return visit_service.current_answers(session.get(Visit, visit_id), vault)


def test_the_same_question_changed_twice_is_a_conflict_and_nothing_is_overwritten(
        sessions, draft, vault):
    visit_id, first_id, second_id, checklist, q1, q2 = draft
    with sessions() as opened:  # both people open the form at the same version
        version = opened.get(Visit, visit_id).lock_version
        base = visit_service.current_answers(opened.get(Visit, visit_id), vault)
    with sessions() as mine:  # the first person saves
        visit, user = load(mine, visit_id, first_id)
        visit_service.save_answers(mine, visit, {q1: 20}, by=user, vault=vault,
                                   checklist=checklist, expected_version=version, base=base)
        mine.commit()
    with sessions() as theirs:  # the second person saves a different value for the same question
        visit, user = load(theirs, visit_id, second_id)
        with pytest.raises(AnswerConflict) as raised:
            visit_service.save_answers(theirs, visit, {q1: 30, q2: 5}, by=user, vault=vault,
                                       checklist=checklist, expected_version=version, base=base)
        theirs.rollback()
    conflict = raised.value
    assert [(c.question_id, c.theirs, c.yours) for c in conflict.conflicts] == [(q1, 20, 30)]
    assert conflict.version > version and q1 in str(conflict)
    assert stored(sessions, visit_id, vault) == {q1: 20}  # nothing of the refused save, not even q2


def test_edits_of_different_questions_merge(sessions, draft, vault):
    visit_id, first_id, second_id, checklist, q1, q2 = draft
    with sessions() as opened:
        version = opened.get(Visit, visit_id).lock_version
        base = visit_service.current_answers(opened.get(Visit, visit_id), vault)
    with sessions() as mine:
        visit, user = load(mine, visit_id, first_id)
        visit_service.save_answers(mine, visit, {q1: 20}, by=user, vault=vault,
                                   checklist=checklist, expected_version=version, base=base)
        mine.commit()
    with sessions() as theirs:
        visit, user = load(theirs, visit_id, second_id)
        # Only what differs from the form's base is sent (monitor.web.capture filters it).
        result = visit_service.save_answers(theirs, visit, {q2: 7}, by=user, vault=vault,
                                            checklist=checklist, expected_version=version,
                                            base=base)
        theirs.commit()
    assert result.changed == [q2]
    assert stored(sessions, visit_id, vault) == {q1: 20, q2: 7}


def test_a_conflict_on_a_sensitive_answer_shows_both_values_decrypted(sessions, draft, vault):
    visit_id, first_id, second_id, checklist, _q1, _q2 = draft
    secret = questions(checklist, "long_text", sensitive=True, count=1)[0]
    with sessions() as opened:
        version = opened.get(Visit, visit_id).lock_version
    for user_id, value, expect_conflict in ((first_id, "mine", False), (second_id, "yours", True)):
        with sessions() as session:
            visit, user = load(session, visit_id, user_id)
            try:
                visit_service.save_answers(session, visit, {secret: value}, by=user, vault=vault,
                                           checklist=checklist, expected_version=version, base={})
            except AnswerConflict as conflict:
                assert expect_conflict
                assert [(c.theirs, c.yours) for c in conflict.conflicts] == [("mine", "yours")]
            else:
                assert not expect_conflict
                session.commit()
    assert stored(sessions, visit_id, vault)[secret] == "mine"


def test_a_save_racing_another_is_refused_whole_and_the_retry_sees_the_conflict(
        sessions, draft, vault):
    """The second writer read the visit before the first committed (a true race)."""
    visit_id, first_id, second_id, checklist, q1, q2 = draft
    late = sessions()
    visit_late, user_late = load(late, visit_id, second_id)
    version = visit_late.lock_version
    base = visit_service.current_answers(visit_late, vault)
    with sessions() as early:
        visit, user = load(early, visit_id, first_id)
        visit_service.save_answers(early, visit, {q1: 20}, by=user, vault=vault,
                                   checklist=checklist, expected_version=version, base=base)
        early.commit()
    # PostgreSQL: the version check in the UPDATE matches no row (StaleDataError). SQLite: the
    # reader's snapshot is older than the last commit, so it may not write (OperationalError).
    with pytest.raises((StaleDataError, OperationalError)):
        visit_service.save_answers(late, visit_late, {q1: 30, q2: 3}, by=user_late, vault=vault,
                                   checklist=checklist, expected_version=version, base=base)
        late.flush()
    late.rollback()
    late.close()
    assert stored(sessions, visit_id, vault) == {q1: 20}
    with sessions() as retry:  # what the web layer does: start again from what is stored
        visit, user = load(retry, visit_id, second_id)
        with pytest.raises(AnswerConflict):
            visit_service.save_answers(retry, visit, {q1: 30, q2: 3}, by=user, vault=vault,
                                       checklist=checklist, expected_version=version, base=base)


# -- one transaction for multi-row writes ---------------------------------------------------------


class Stop(Exception):
    pass


def import_plan(session, tmp_path: Path):
    csv_file = tmp_path / "list.csv"
    rows = "\n".join(f"Centro {n},MEX,Chiapas" for n in range(6))
    csv_file.write_text("name,country,admin_area\n" + rows + "\n", encoding="utf-8")
    result = facility_import.read_and_clean(csv_file)
    return facility_import.plan_import(session, result, source="test list")


def counts(sessions):
    with sessions() as session:
        return (session.scalar(select(func.count(Facility.id))),
                session.scalar(select(func.count(AuditEvent.id))))


def test_a_facility_import_that_fails_midway_leaves_nothing(sessions, tmp_path):
    before = counts(sessions)
    seen = []

    def fail_at_the_fourth_row(_step: int) -> None:
        seen.append(1)
        if len(seen) == 4:
            raise Stop("the disk filled up")

    with pytest.raises(Stop), session_scope(sessions) as session:
        plan = import_plan(session, tmp_path)
        assert plan.summary().startswith("created 6")
        facility_import.apply_import(session, plan, on_progress=fail_at_the_fourth_row)
    assert counts(sessions) == before  # not the three facilities before the failure, no audit
    with session_scope(sessions) as session:
        facility_import.apply_import(session, import_plan(session, tmp_path))
    facilities, events = counts(sessions)
    assert facilities == before[0] + 6 and events == before[1] + 7  # 6 creations + the import


def test_storing_findings_that_fails_midway_keeps_the_previous_findings(sessions, draft, catalog,
                                                                        vault):
    visit_id = draft[0]
    with session_scope(sessions) as session:
        visit = session.get(Visit, visit_id)
        findings.store_evaluation(session, visit, findings.evaluate_visit(visit, catalog, vault),
                                  catalog)

    def snapshot():
        with sessions() as session:
            return (session.scalar(select(func.count(Finding.id)).where(Finding.visit_id == visit_id)),
                    session.scalar(select(func.count(AreaScore.id))
                                   .where(AreaScore.visit_id == visit_id)))

    before = snapshot()
    assert before[0] > 50 and before[1] > 5
    with pytest.raises(DBAPIError), session_scope(sessions) as session:
        visit = session.get(Visit, visit_id)
        evaluation = findings.evaluate_visit(visit, catalog, vault)
        # The last area gets a rating the database refuses (1-4 only): the failure comes
        # after the old rows were deleted and the new findings written.
        areas = list(evaluation.areas)
        areas[-1] = dataclasses.replace(areas[-1], rating=9)
        broken = dataclasses.replace(evaluation, areas=tuple(areas))
        findings.store_evaluation(session, visit, broken, catalog)
    assert snapshot() == before
