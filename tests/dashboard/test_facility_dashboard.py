"""One facility's dashboard, and the internal map pages."""

from __future__ import annotations

import re
from datetime import date, timedelta

from monitor.core.clock import today
from monitor.db.models import Recommendation, RecommendationStatus, VisitState
from monitor.db.models.recommendation import Priority
from monitor.services import facilities as registry
from tests.conftest import login
from tests.dashboard import factory


def _facility_with_history(db, make_user):
    reader = make_user("monitor", org="Org A")
    org_a, org_b = factory.organisation(db, "Org A"), factory.organisation(db, "Org B")
    [fid] = factory.add_facilities(db, 1, prefix="D")
    first = factory.add_visit(db, fid, org_a, day=date(2024, 3, 1),
                              figures={"population": 90, "children": 4})
    second = factory.add_visit(db, fid, org_a, day=date(2025, 3, 1), state=VisitState.SUBMITTED,
                               figures={"population": 180, "children": 12,
                                        "unaccompanied_children": 3, "m2_per_person": 2.5},
                               flags=("children_detained", "living_space_below_minimum"),
                               areas={"proc": 0.2, "health": 0.9})
    other_public = factory.add_visit(db, fid, org_b, day=date(2024, 9, 1))
    other_hidden = factory.add_visit(db, fid, org_b, day=date(2026, 1, 1),
                                     state=VisitState.REVIEWED, flags=("death_in_custody",))
    mine = Recommendation(facility_id=fid, visit_id=first.id, text="Release all children now",
                          standards=["crc-a37b"], priority=Priority.URGENT,
                          status=RecommendationStatus.NOT_IMPLEMENTED,
                          issued_on=today() - timedelta(days=400),
                          due_date=today() - timedelta(days=100))
    theirs = Recommendation(facility_id=fid, visit_id=other_hidden.id,
                            text="Org B private advice", standards=[], priority=Priority.LOW,
                            status=RecommendationStatus.NOT_IMPLEMENTED, issued_on=today())
    db.add_all([mine, theirs])
    db.commit()
    return reader, fid, first, second, other_public, other_hidden


def test_facility_dashboard_shows_latest_status_trends_and_open_recommendations(
        client, db, make_user):
    reader, _, first, second, other_public, other_hidden = _facility_with_history(db, make_user)
    public_id = f"F-D{0:05d}"
    login(client, reader.email)
    response = client.get(f"/dashboard/facilities/{public_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("dm-chart-line") == 6
    # Latest visible visit is the submitted one of 2025: its red flags and area ratings.
    assert "Children detained" in html and "Less than 4 m²" in html
    assert "Death in custody" not in html  # Org B's unpublished visit
    assert re.search(r"Detention and immigration procedures.*?20%", html, re.DOTALL)
    # Visit history: own visits link to results; Org B's published one is listed, unlinked.
    assert f'href="/visits/{second.id}/results"' in html
    assert f'href="/visits/{first.id}/results"' in html
    assert f'href="/visits/{other_public.id}/results"' not in html
    assert "Sep 1, 2024" in html
    assert f"/visits/{other_hidden.id}/" not in html and "Jan 1, 2026" not in html
    # Open recommendations with their age; Org B's are not shown.
    assert "Release all children now" in html and "400 days old" in html
    assert "overdue" in html
    assert "Org B private advice" not in html
    # The people-held chart carries the facility's capacity as its reference line.
    assert "Reference line: Official capacity" in html


def test_a_merged_facility_redirects_to_the_record_kept(client, db, make_user):
    reader = make_user("viewer")
    keep = registry.create_facility(db, registry.FacilityData(name="Kept", country="ESP"))
    dup = registry.create_facility(db, registry.FacilityData(name="Dup", country="ESP"))
    registry.merge_facilities(db, dup, keep)
    db.commit()
    login(client, reader.email)
    response = client.get(f"/dashboard/facilities/{dup.public_id}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/dashboard/facilities/{keep.public_id}")
    assert client.get("/dashboard/facilities/F-NOSUCH").status_code == 404


def test_internal_map_frame_has_its_own_policy_and_shows_only_visible_visits(
        client, db, make_user):
    reader, *_ = _facility_with_history(db, make_user)
    login(client, reader.email)
    page = client.get("/dashboard/map?colour=red_flags")
    assert page.status_code == 200
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    assert 'src="/dashboard/map/frame?colour=red_flags"' in page.get_data(as_text=True)
    frame = client.get("/dashboard/map/frame?colour=red_flags")
    policy = frame.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "http" not in policy  # no other host, anywhere in the policy
    [row] = factory.map_rows(frame.get_data(as_text=True))
    assert row["name"] == "Centro D 00000" and row["url"] == "/dashboard/facilities/F-D00000"
    assert "2 red flags" in row["label"]  # the latest visible visit, not Org B's unpublished one
    assert row["colour"] == 2  # the "2–3" class of the red-flag legend
    assert client.get("/dashboard/map/frame?colour=shoe_size").status_code == 422


def test_the_facility_page_draws_the_country_around_the_point(client, db, make_user):
    reader = make_user("viewer")
    place = registry.create_facility(db, registry.FacilityData(
        name="Estación Migratoria Tenosique", country="MEX", latitude=17.47, longitude=-91.42))
    db.commit()
    login(client, reader.email)
    html = client.get(f"/facilities/{place.public_id}").get_data(as_text=True)
    sketch = html[html.index('class="location-sketch"'):]
    sketch = sketch[:sketch.index("</svg>")]
    assert 'class="mm-country"' in sketch and 'class="mm-land"' in sketch  # Mexico, neighbours
    assert 'class="mm-point"' in sketch
    assert "Location of Estación Migratoria Tenosique in Mexico" in html
    assert "<script" not in sketch
