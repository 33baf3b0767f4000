"""A page about one facility costs the same however long the rest of the history grows.

Work is counted as SQLite virtual-machine instructions (``set_progress_handler``), which is
deterministic: the same queries over the same rows count the same, whatever else the machine
is doing. Each page is measured, then the history of *other* facilities grows tenfold, then
the page is measured again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from monitor.core.settings import Settings
from monitor.db.models import Facility, VisitState
from monitor.services import dashboards
from monitor.services import public as gate
from tests.dashboard import factory

#: Instructions counted per call of the progress handler.
STEP = 100


@pytest.fixture
def db(sqlite_url):
    """SQLite only: the instruction count is SQLite's."""
    from monitor.db.session import make_session_factory

    factory_ = make_session_factory(sqlite_url)
    with factory_() as session:
        yield session
    factory_.kw["bind"].dispose()


def _work(session, action: Callable[[], object]) -> int:
    """SQLite instructions (in units of STEP) that *action* makes the database run."""
    connection = session.connection().connection.dbapi_connection
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0  # go on

    connection.set_progress_handler(tick, STEP)
    try:
        action()
    finally:
        connection.set_progress_handler(None, STEP)
    return count[0]


def _grow_others(session, org, others: list[int], visits_each: int) -> None:
    for n, fid in enumerate(others):
        for k in range(visits_each):
            factory.add_visit(session, fid, org, day=date(2019 + k % 6, 1 + (n + k) % 12, 3))
    session.commit()


def test_a_facility_page_does_not_cost_more_as_other_facilities_history_grows(db, make_user,
                                                                             tmp_path):
    reader = make_user("viewer", org="Org A")
    org = factory.organisation(db, "Org A")
    ids = factory.add_facilities(db, 30, prefix="C")
    target, others = ids[0], ids[1:]
    for month in (2, 5, 9):
        factory.add_visit(db, target, org, day=date(2025, month, 1))
    _grow_others(db, org, others, 2)
    settings = Settings(database_url=str(db.get_bind().url), secret_key="x" * 32,
                        instance_dir=tmp_path)
    facility = db.get(Facility, target)
    public_id = facility.public_id
    top = list(factory.TOP_AREAS)
    pages = {
        "public profile": lambda: gate.public_profile(db, settings, public_id),
        "public data date": lambda: gate.data_as_of(db, settings),
        "facility dashboard": lambda: dashboards.facility_dashboard(db, reader, facility, top),
    }
    before = {name: _work(db, page) for name, page in pages.items()}
    _grow_others(db, org, others, 20)  # ten times the history, none of it the target's
    db.expire_all()
    facility = db.get(Facility, target)
    after = {name: _work(db, page) for name, page in pages.items()}
    for name in pages:
        assert after[name] <= before[name] * 1.2 + 2, (name, before[name], after[name])


def test_the_latest_visits_cost_the_same_when_older_visits_pile_up(db, make_user):
    reader = make_user("viewer", org="Org A")
    org_a, org_b = factory.organisation(db, "Org A"), factory.organisation(db, "Org B")
    ids = factory.add_facilities(db, 40, prefix="O")
    for fid in ids:
        factory.add_visit(db, fid, org_a, day=date(2025, 6, 1))
        # Another organisation's newer work in progress, which the reader does not see.
        factory.add_visit(db, fid, org_b, day=date(2025, 7, 1), state=VisitState.REVIEWED)
    db.commit()
    filters = dashboards.OverviewFilters()

    def latest():
        dashboards.latest_statuses(db, reader, filters, include_unvisited=True)
        dashboards.area_scores_of_latest(db, reader, filters, list(factory.TOP_AREAS))

    before = _work(db, latest)
    for fid in ids:  # years of older visits under every facility
        for year in range(2015, 2025):
            factory.add_visit(db, fid, org_a, day=date(year, 3, 1))
    db.commit()
    after = _work(db, latest)
    assert after <= before * 1.2 + 2, (before, after)
    assert len(db.scalars(select(Facility.id)).all()) == 40
