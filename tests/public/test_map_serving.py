"""Serving the map cheaply: a small document, country shapes from one cached address, the
document kept by the worker under a digest of the gate's rows, and 304s for browsers that hold
the same map already."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from monitor.db.models import VisitState
from monitor.services import visits as visit_service
from monitor.web.views.maps import DocumentCache, document_cache
from tests.conftest import login
from tests.dashboard import factory

FETCH = re.compile(r'fetch\("([^"]+)"\)')


def _published_world(db, count: int = 200) -> None:
    org = factory.organisation(db, "Org S")
    ids = factory.add_facilities(db, count, prefix="S")
    factory.add_bulk_visits(db, ids, org, visited_share=0.9)
    db.commit()


def _reviewed_visit(db, make_user):
    coordinator = make_user("coordinator", org="Org S")
    org = factory.organisation(db, "Org S")
    [fid] = factory.add_facilities(db, 1, prefix="R", countries=("MEX",))
    visit = factory.add_visit(db, fid, org, day=date(2025, 6, 14), state=VisitState.REVIEWED,
                              figures={"population": 4321, "children": 0})
    db.commit()
    return coordinator, visit


def _outlines_url(html: str) -> str:
    found = FETCH.search(html)
    assert found, "the map does not fetch its country shapes"
    return found.group(1)


# --- the document -----------------------------------------------------------------------------


def test_the_served_map_carries_no_polygon_and_each_facility_costs_under_150_bytes(client, db):
    _published_world(db, 200)
    full = client.get("/map/frame")
    empty = client.get("/map/frame?country=ATA")  # a map with no facility: what any map costs
    html = full.get_data(as_text=True)

    assert full.status_code == 200 and len(factory.map_rows(html)) == 200
    assert '"coordinates"' not in html and "FeatureCollection" not in html
    assert _outlines_url(html).startswith("/map/outlines.json?v=")
    per_facility = (len(full.get_data()) - len(empty.get_data())) / 200
    assert per_facility <= 150, f"{per_facility:.1f} bytes per facility"
    assert len(full.get_data()) < 60_000
    # Leaflet and the cluster plug-in are linked from this site (the browser keeps them).
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in html
    assert "Leaflet 1.9" not in html


def test_a_browser_holding_the_same_map_gets_a_304(client, db):
    _published_world(db, 20)
    first = client.get("/map/frame")
    etag = first.headers["ETag"]

    again = client.get("/map/frame", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert first.headers["Cache-Control"] == "no-cache"  # kept, but asked about every time
    assert "Accept-Language" in first.headers["Vary"]
    assert "frame-ancestors *" in again.headers["Content-Security-Policy"]
    # Another colour or language is another document, with another ETag.
    other = client.get("/map/frame?colour=population", headers={"If-None-Match": etag})
    spanish = client.get("/map/frame?lang=es", headers={"If-None-Match": etag})
    assert other.status_code == spanish.status_code == 200
    assert len({etag, other.headers["ETag"], spanish.headers["ETag"]}) == 3
    assert "Abrir la ficha del centro" in spanish.get_data(as_text=True)


def test_a_repeated_request_is_answered_from_the_worker_without_drawing_again(app, client, db):
    _published_world(db, 20)
    first = client.get("/map/frame").get_data()
    with app.app_context():
        cache = document_cache()
    drawn = cache.misses
    kept_before = app.extensions["monitor.pagecache"].stats.hits
    for _ in range(3):
        assert client.get("/map/frame").get_data() == first
    # Same data version: not drawn again, and not even asked of the gate (the page cache).
    assert cache.misses == drawn
    assert app.extensions["monitor.pagecache"].stats.hits == kept_before + 3
    client.get("/map/frame?colour=children")
    assert cache.misses == drawn + 1 and len(cache) == 2


def test_publishing_and_unpublishing_change_the_served_map_at_once(client, db, make_user):
    coordinator, visit = _reviewed_visit(db, make_user)
    before = client.get("/map/frame?colour=population")
    [row] = factory.map_rows(before.get_data(as_text=True))
    assert row["label"] == "No published visit yet"

    visit_service.publish_visit(db, visit, by=coordinator)
    db.commit()
    shown = client.get("/map/frame?colour=population",
                       headers={"If-None-Match": before.headers["ETag"]})
    assert shown.status_code == 200 and shown.headers["ETag"] != before.headers["ETag"]
    [row] = factory.map_rows(shown.get_data(as_text=True))
    assert "4,321" in row["label"]

    visit_service.unpublish_visit(db, visit, by=coordinator, reason="a correction")
    db.commit()
    after = client.get("/map/frame?colour=population",
                       headers={"If-None-Match": shown.headers["ETag"]})
    assert after.status_code == 200
    assert "4,321" not in after.get_data(as_text=True)
    [row] = factory.map_rows(after.get_data(as_text=True))
    assert row["label"] == "No published visit yet"


def test_the_internal_map_links_the_same_shapes_and_stays_out_of_caches(client, db, make_user):
    reader = make_user("monitor", org="Org S")
    _published_world(db, 10)
    login(client, reader.email)
    frame = client.get("/dashboard/map/frame")

    html = frame.get_data(as_text=True)
    assert frame.status_code == 200 and '"coordinates"' not in html
    assert _outlines_url(html).startswith("/map/outlines.json?v=")
    assert frame.headers["Cache-Control"] == "no-store"
    assert client.get("/dashboard/map/frame",
                      headers={"If-None-Match": frame.headers["ETag"]}).status_code == 304


# --- the country shapes -----------------------------------------------------------------------


def test_the_outlines_are_one_file_kept_for_a_year_with_every_country(client, db):
    url = _outlines_url(client.get("/map/frame").get_data(as_text=True))
    shapes = client.get(url)

    assert shapes.status_code == 200 and shapes.mimetype == "application/geo+json"
    assert shapes.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert shapes.headers["Access-Control-Allow-Origin"] == "*"  # sandboxed embeds fetch it too
    data = json.loads(shapes.get_data())
    ids = {f["id"] for f in data["features"]}
    assert len(data["features"]) == 177 and {"MEX", "ESP", "FRA", "GTM", "USA"} <= ids
    assert all(set(f["properties"]) <= {"name"} for f in data["features"])

    again = client.get(url, headers={"If-None-Match": shapes.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    unversioned = client.get("/map/outlines.json")
    assert unversioned.headers["Cache-Control"] == "public, no-cache"  # an old ?v= revalidates
    assert unversioned.get_data() == shapes.get_data()


# --- the worker's store -----------------------------------------------------------------------


def test_the_document_store_is_bounded_in_count_and_bytes():
    cache = DocumentCache(entries=3, max_bytes=100)
    for key in "abc":
        cache.put(key, b"x" * 10)
    assert cache.get("a") == b"x" * 10  # "a" is now the most recently used
    cache.put("d", b"y" * 10)
    assert len(cache) == 3 and cache.get("b") is None and cache.get("a") is not None
    cache.put("e", b"z" * 24)  # 24 bytes: under a quarter of the store, kept...
    cache.put("f", b"z" * 26)  # ...26: over a quarter, not kept (it would push out the rest)
    assert cache.get("e") is not None and cache.get("f") is None
    for key in "ghij":
        cache.put(key, b"w" * 25)
    assert len(cache) == 3 and sum(len(cache.get(k) or b"") for k in "acdeghij") == 75


@pytest.mark.parametrize("colour", ["compliance", "red_flags"])
def test_a_map_without_facilities_still_links_its_shapes(client, db, colour):
    html = client.get(f"/map/frame?colour={colour}").get_data(as_text=True)
    assert factory.map_rows(html) == []
    assert '"coordinates"' not in html and _outlines_url(html)
