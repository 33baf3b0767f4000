"""The gate reads publication live: publishing shows a visit, unpublishing removes it at once,
the publication delay holds it back, and nothing but the visit's state decides."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

from monitor.db.models import (
    Recommendation,
    RecommendationStatus,
    RecommendationUpdate,
    VisitState,
)
from monitor.db.models.recommendation import Priority
from monitor.services import visits as visit_service
from monitor.web.app import create_app
from tests.conftest import make_settings
from tests.dashboard import factory


def _everything_public(client, public_id: str) -> str:
    """Every public page and file that could show a facility's visit, as one text."""
    parts = [client.get(url).get_data(as_text=True) for url in (
        f"/facilities/{public_id}/profile", "/countries/MEX", "/countries/",
        "/map/frame?colour=population", "/data/facilities.csv", "/data/facilities.geojson",
        "/data/visit-summaries.csv", "/data/findings.csv")]
    return "\n".join(parts)


def _reviewed_visit(db, make_user, *, population: int = 4321):
    coordinator = make_user("coordinator", org="Org P")
    org = factory.organisation(db, "Org P")
    [fid] = factory.add_facilities(db, 1, prefix="P", countries=("MEX",))
    visit = factory.add_visit(db, fid, org, day=date(2025, 6, 14), state=VisitState.REVIEWED,
                              figures={"population": population, "children": 0})
    db.commit()
    return coordinator, visit


def test_publishing_shows_a_visit_and_unpublishing_removes_it_everywhere_at_once(
        client, db, make_user):
    coordinator, visit = _reviewed_visit(db, make_user)
    before = _everything_public(client, "F-P00000")
    assert "4,321" not in before and "4321" not in before
    assert "Centro P 00000" in before  # the registry is public from the start

    visit_service.publish_visit(db, visit, by=coordinator)
    db.commit()
    shown = _everything_public(client, "F-P00000")
    assert "4,321" in shown  # profile, country page and map label
    assert "2025-06" in shown and "2025-06-14" not in shown  # months, never days
    rows = list(csv.DictReader(io.StringIO(
        client.get("/data/visit-summaries.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["population"] for r in rows] == ["4321"]

    visit_service.unpublish_visit(db, visit, by=coordinator, reason="a correction")
    db.commit()
    after = _everything_public(client, "F-P00000")
    assert "4,321" not in after and "4321" not in after
    assert "No visit of this facility has been published yet." in after
    assert "Centro P 00000" in after


def test_a_stale_published_flag_on_the_summary_does_not_publish_a_visit(client, db, make_user):
    _, visit = _reviewed_visit(db, make_user, population=9876)
    visit.summary.is_published = True  # only the visit's own state may decide
    db.commit()
    assert "9,876" not in _everything_public(client, "F-P00000")
    assert "9876" not in _everything_public(client, "F-P00000")


def test_the_publication_delay_holds_a_visit_back(tmp_path, database_url, db, make_user):
    coordinator, visit = _reviewed_visit(db, make_user, population=2468)
    visit_service.publish_visit(db, visit, by=coordinator)
    db.commit()
    delayed = create_app(make_settings(tmp_path, database_url, publication_delay_days=30))
    delayed.config.update(TESTING=True)
    client = delayed.test_client()
    assert "2,468" not in _everything_public(client, "F-P00000")
    visit.published_at = datetime.now(UTC) - timedelta(days=31)
    db.commit()
    assert "2,468" in _everything_public(client, "F-P00000")


def test_public_pages_need_no_account_and_cite_stable_addresses(client, db, make_user):
    coordinator, visit = _reviewed_visit(db, make_user)
    visit_service.publish_visit(db, visit, by=coordinator)
    db.commit()
    lower = client.get("/facilities/f-p00000/profile")
    assert lower.status_code == 301
    assert lower.headers["Location"].endswith("/facilities/F-P00000/profile")
    page = client.get("/facilities/F-P00000/profile").get_data(as_text=True)
    assert "http://localhost/facilities/F-P00000/profile" in page  # the citation
    assert "Data as of" in page and "last visited 2025-06" in page
    assert client.get("/facilities/F-NOSUCH/profile").status_code == 404
    assert client.get("/countries/XXX").status_code == 404
    assert client.get("/data/secrets.csv").status_code == 404


def test_the_public_map_frame_may_be_embedded_but_loads_nothing_from_elsewhere(client, db,
                                                                              make_user):
    _reviewed_visit(db, make_user)
    frame = client.get("/map/frame")
    policy = frame.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src 'self' 'unsafe-inline'" in policy
    assert "http" not in policy
    html = frame.get_data(as_text=True)
    assert 'src="http' not in html and 'href="http' not in html.split("</head>")[0]
    page = client.get("/map").get_data(as_text=True)
    assert "&lt;iframe src=&#34;http://localhost/map/frame?colour=compliance" in page
    assert "script-src 'self';" in client.get("/map").headers["Content-Security-Policy"]
    rows = factory.map_rows(html)
    assert rows[0]["url"] == "/facilities/F-P00000/profile"
    assert rows[0]["label"] == "No published visit yet"


def test_a_recommendation_status_from_an_unpublished_follow_up_stays_internal(
        client, db, make_user):
    coordinator, first = _reviewed_visit(db, make_user)
    visit_service.publish_visit(db, first, by=coordinator)
    org = factory.organisation(db, "Org P")
    later = factory.add_visit(db, first.facility_id, org, day=date(2026, 2, 1),
                              state=VisitState.REVIEWED)
    rec = Recommendation(facility_id=first.facility_id, visit_id=first.id, text="internal words",
                         standards=["crc-a37b"], priority=Priority.HIGH,
                         status=RecommendationStatus.IMPLEMENTED, issued_on=date(2025, 6, 20))
    rec.updates = [
        RecommendationUpdate(status=RecommendationStatus.NOT_IMPLEMENTED, visit_id=first.id,
                             recorded_on=date(2025, 6, 20)),
        RecommendationUpdate(status=RecommendationStatus.IMPLEMENTED, visit_id=later.id,
                             recorded_on=date(2026, 2, 1)),
    ]
    db.add(rec)
    db.commit()
    badge = re.compile(r'<span class="badge">([^<]+)</span> high')
    page = client.get("/facilities/F-P00000/profile").get_data(as_text=True)
    assert badge.findall(page) == ["Not implemented"]
    assert "internal words" not in page
    visit_service.publish_visit(db, later, by=coordinator)
    db.commit()
    page = client.get("/facilities/F-P00000/profile").get_data(as_text=True)
    assert badge.findall(page) == ["Implemented"]
