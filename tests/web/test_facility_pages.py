"""The facility registry in the browser-less web client: list, create, edit, merge."""

from __future__ import annotations

from monitor.services import facilities as registry
from monitor.services.facilities import FacilityData
from tests.conftest import csrf_token, login


def _form(client, url):
    return csrf_token(client.get(url).get_data(as_text=True))


def test_monitor_creates_a_facility_and_sees_its_page(client, make_user, db):
    user = make_user("monitor")
    login(client, user.email)
    token = _form(client, "/facilities/new")
    response = client.post("/facilities/new", data={
        "csrf_token": token, "name": "Estación Migratoria El Ceibo", "country": "MEX",
        "latitude": "17.25", "longitude": "-90.98", "type": "immigration_detention_centre",
        "operator_kind": "public", "status": "in_use", "capacity": "120",
        "other_names": "EM Ceibo\nCeibo station"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert "Estación Migratoria El Ceibo" in text and "EM Ceibo" in text and "Mexico" in text


def test_invalid_facility_keeps_what_was_typed(client, make_user):
    user = make_user("monitor")
    login(client, user.email)
    token = _form(client, "/facilities/new")
    response = client.post("/facilities/new", data={
        "csrf_token": token, "name": "Centro Temporal Ñuñoa", "country": "CHL",
        "latitude": "95", "longitude": "", "type": "other", "operator_kind": "unknown",
        "status": "in_use"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Centro Temporal Ñuñoa"' in text
    assert "Latitude must be between -90 and 90." in text


def test_viewer_cannot_create_facilities(client, make_user):
    user = make_user("viewer")
    login(client, user.email)
    assert client.get("/facilities/new").status_code == 403


def test_search_is_accent_insensitive_and_includes_aliases(client, make_user, db):
    registry.create_facility(db, FacilityData(name="Centre de rétention de Saint-Éloi", country="FRA",
                                              other_names=["CRA Saint-Eloi"]))
    registry.create_facility(db, FacilityData(name="Harbourside IRC", country="GBR"))
    db.commit()
    user = make_user("viewer")
    login(client, user.email)
    text = client.get("/facilities/?q=retention").get_data(as_text=True)
    assert "Saint-Éloi" in text and "Harbourside" not in text
    assert "Harbourside" in client.get("/facilities/?country=GBR").get_data(as_text=True)


def test_merged_identifier_redirects_to_the_record_kept(client, make_user, db):
    keep = registry.create_facility(db, FacilityData(name="Keep", country="ESP"))
    dup = registry.create_facility(db, FacilityData(name="Duplicate", country="ESP"))
    db.commit()
    user = make_user("coordinator")
    login(client, user.email)
    token = _form(client, f"/facilities/{dup.public_id}")
    response = client.post(f"/facilities/{dup.public_id}/merge",
                           data={"csrf_token": token, "keep": keep.public_id})
    assert response.status_code == 302
    redirect = client.get(f"/facilities/{dup.public_id}")
    assert redirect.status_code == 301 and redirect.headers["Location"].endswith(keep.public_id)
