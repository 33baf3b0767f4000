"""Kept page bodies: invalidated by any write the database sees, never shared across viewers."""

from __future__ import annotations

from datetime import date

import pytest
from markupsafe import Markup
from sqlalchemy import func, inspect, select, text, update

from monitor.db.models import Answer, Facility, Visit, VisitState, VisitSummary
from monitor.db.models.state import TRACKED_TABLES, data_version
from monitor.web.pagecache import PageCache
from tests.conftest import csrf_token, login
from tests.dashboard import factory

# --- The data version ---------------------------------------------------------------------------


def _triggers(db) -> set[str]:
    if db.get_bind().dialect.name == "sqlite":
        return set(db.scalars(text("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                                   "AND name LIKE '%_bump_%'")))
    return set(db.scalars(text("SELECT DISTINCT event_object_table FROM "
                               "information_schema.triggers WHERE trigger_name LIKE '%_bump'")))


def test_every_tracked_table_has_its_trigger(db):
    assert _triggers(db) == set(TRACKED_TABLES)
    assert set(TRACKED_TABLES) <= set(inspect(db.get_bind()).get_table_names())


def test_version_moves_on_at_commit_of_a_tracked_write_and_not_for_answers(db, make_user):
    org = factory.organisation(db, "Org A")
    [fid] = factory.add_facilities(db, 1)
    visit = factory.add_visit(db, fid, org, day=date(2025, 3, 1), state=VisitState.DRAFT)
    db.commit()
    before = data_version(db)
    db.add(Answer(visit_id=visit.id, question_id="q_any", value="yes"))
    db.commit()
    assert data_version(db) == before  # a draft's working answers show on no kept page
    db.execute(update(Visit).where(Visit.id == visit.id)
               .values(lock_version=Visit.lock_version + 1, updated_at=func.now()))
    db.commit()
    assert data_version(db) == before  # nor does an autosave's stamp on its visit
    db.execute(update(Facility).where(Facility.id == fid).values(name="Renamed centre"))
    db.execute(update(Visit).where(Visit.id == visit.id).values(start_date=date(2025, 2, 28)))
    db.commit()
    after = data_version(db)
    assert after > before


def test_readers_see_the_new_version_only_with_the_committed_data(db, settings):
    from monitor.db.session import make_session_factory

    [fid] = factory.add_facilities(db, 1)
    db.commit()
    other = make_session_factory(settings.database_url)()
    try:
        before = data_version(other)
        other.rollback()
        db.execute(update(Facility).where(Facility.id == fid).values(capacity=999))
        db.flush()  # written, not committed
        assert data_version(other) == before
        other.rollback()
        db.commit()
        assert data_version(other) > before
        assert other.scalar(select(Facility.capacity).where(Facility.id == fid)) == 999
    finally:
        other.close()


# --- The cache itself -------------------------------------------------------------------------


def _body(size: int) -> dict[str, Markup]:
    return {"title": Markup("t"), "content": Markup("x" * size)}


def test_a_new_version_empties_the_cache_and_a_body_of_an_old_one_is_not_kept():
    cache = PageCache(10_000)
    assert cache.get(1, "a") is None
    cache.put(1, "a", _body(100))
    assert cache.get(1, "a")["content"] == "x" * 100
    assert cache.get(2, "a") is None and len(cache) == 0
    cache.put(1, "b", _body(100))  # built while version 1 was current, arriving late
    assert len(cache) == 0
    assert cache.get(1, "a") is None  # back to an older version (a restore): nothing kept


def test_the_cache_stays_within_its_bytes_dropping_the_least_recently_used():
    cache = PageCache(1_000)
    cache.get(1, "warm")
    for key in "abcd":
        cache.put(1, key, _body(200))
    cache.get(1, "a")  # a is used again: b is now the oldest
    cache.put(1, "e", _body(200))
    cache.put(1, "f", _body(200))
    assert cache.get(1, "b") is None and cache.get(1, "c") is None
    assert all(cache.get(1, k) is not None for k in "adef")
    cache.put(1, "huge", _body(600))  # over a quarter of the whole: never kept
    assert cache.get(1, "huge") is None


# --- Pages ----------------------------------------------------------------------------------------


@pytest.fixture
def published(db):
    org = factory.organisation(db, "Org A")
    [fid] = factory.add_facilities(db, 1, prefix="K")
    visit = factory.add_visit(db, fid, org, day=date(2025, 5, 20), flags=("children_detained",))
    db.commit()
    return db.get(Facility, fid), visit


def test_a_kept_public_profile_follows_an_unpublish_at_once(client, db, published):
    place, visit = published
    url = f"/facilities/{place.public_id}/profile"
    assert "Children detained" in client.get(url).get_data(as_text=True)
    assert "Children detained" in client.get(url).get_data(as_text=True)  # kept
    db.execute(update(Visit).where(Visit.id == visit.id).values(state=VisitState.REVIEWED,
                                                                published_at=None))
    db.execute(update(VisitSummary).where(VisitSummary.visit_id == visit.id)
               .values(is_published=False, published_at=None))
    db.commit()
    assert "Children detained" not in client.get(url).get_data(as_text=True)


def test_a_kept_dashboard_is_never_shown_to_another_organisation(app, db, make_user, published):
    place, _ = published
    org_b = factory.organisation(db, "Org B")
    factory.add_visit(db, place.id, org_b, day=date(2026, 2, 2), state=VisitState.SUBMITTED,
                      flags=("death_in_custody",))
    db.commit()
    insider = make_user("viewer", org="Org B")
    outsider = make_user("viewer", org="Org C")
    url = f"/dashboard/facilities/{place.public_id}"
    first = app.test_client()
    login(first, insider.email)
    assert "Death in custody" in first.get(url).get_data(as_text=True)
    second = app.test_client()
    login(second, outsider.email)
    html = second.get(url).get_data(as_text=True)
    assert "Death in custody" not in html  # Org B's unpublished visit
    assert "Children detained" in html  # the published one


def test_the_page_frame_is_built_for_each_reader(app, published):
    place, _ = published
    url = f"/facilities/{place.public_id}/profile"
    pages = [app.test_client().get(url).get_data(as_text=True) for _ in range(2)]
    assert pages[0].count(place.name) == pages[1].count(place.name) >= 2  # title and heading
    assert csrf_token(pages[0]) != csrf_token(pages[1])


def test_a_name_with_markup_is_escaped_in_the_kept_title(client, db, published):
    place, _ = published
    db.execute(update(Facility).where(Facility.id == place.id)
               .values(name="Centro <script>alert(1)</script>"))
    db.commit()
    html = client.get(f"/facilities/{place.public_id}/profile").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "Centro &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_cache_can_be_turned_off(settings, published):
    from dataclasses import replace

    from monitor.web.app import create_app

    app = create_app(replace(settings, page_cache_mb=0))
    place, _ = published
    client = app.test_client()
    for _ in range(2):
        assert client.get(f"/facilities/{place.public_id}/profile").status_code == 200
    assert len(app.extensions["monitor.pagecache"]) == 0


def test_threads_missing_the_same_body_at_once_build_it_once():
    """After a write every thread misses together; one builds, the others wait for its body."""
    import threading
    import time

    cache = PageCache(1024 * 1024)
    builds, started = [], threading.Event()

    def build():
        builds.append(threading.get_ident())
        started.set()
        time.sleep(0.2)  # a slow overview: the other threads arrive while it is being built
        return {"content": Markup("<p>overview</p>")}

    results = []
    threads = [threading.Thread(target=lambda: results.append(
        cache.get_or_build(7, "overview", build))) for _ in range(4)]
    threads[0].start()
    started.wait(5)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(builds) == 1 and len(results) == 4
    assert all(r == {"content": Markup("<p>overview</p>")} for r in results)
    # Another version is another body: built again, once.
    assert cache.get_or_build(8, "overview", build) == results[0] and len(builds) == 2
    # A build that fails lets the next thread build.
    def failing():
        raise RuntimeError("database gone")
    with pytest.raises(RuntimeError):
        cache.get_or_build(9, "map", failing)
    assert cache.get_or_build(9, "map", build) and len(builds) == 3
