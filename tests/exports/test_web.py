"""The Exports page: internal downloads for admins and coordinators only."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.core.crypto import Vault
from monitor.db.models import AuditEvent
from monitor.services.facilities import FacilityData, create_facility
from tests.conftest import login
from tests.exports.support import make_visit


@pytest.fixture
def visits_of_two_organisations(app, db, make_user):
    catalog = app.extensions["monitor.catalog"]
    vault = app.extensions["monitor.vault"]
    assert isinstance(vault, Vault)
    ours, theirs = make_user("monitor", org="Ours"), make_user("monitor", org="Theirs")
    place = create_facility(db, FacilityData(name="Centro Norte", country="MEX",
                                             latitude=19.4, longitude=-99.1))
    mine = make_visit(db, catalog, vault, by=ours, facility=place, checklist_id="core",
                      answers={"visit_took_place": "yes", "access_notes": "SECRET-OURS"})
    other = make_visit(db, catalog, vault, by=theirs, facility=place, checklist_id="core",
                       answers={"visit_took_place": "yes", "access_notes": "SECRET-THEIRS"})
    db.commit()
    return mine.id, other.id


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_exporters_see_the_page_and_its_downloads(client, make_user, role):
    login(client, make_user(role).email)
    page = client.get("/exports", follow_redirects=True)
    text = page.get_data(as_text=True)

    assert page.status_code == 200
    for link in ("/exports/facilities?format=geojson", "/exports/visits?format=xlsx&amp;shape=long",
                 "/exports/findings?format=csv", "/exports/recommendations?format=xlsx",
                 "/exports/visits/dictionary"):
        assert link in text


@pytest.mark.parametrize("role", ["monitor", "viewer"])
def test_other_roles_are_refused(client, make_user, role):
    login(client, make_user(role).email)
    assert client.get("/exports/").status_code == 403
    assert client.get("/exports/visits?format=csv").status_code == 403
    assert client.get("/exports/visits/dictionary").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in ("/exports/", "/exports/facilities?format=csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_visits_download_holds_only_the_organisation_s_visits(client, make_user, db, app,
                                                               visits_of_two_organisations):
    mine, _other = visits_of_two_organisations
    coordinator = make_user("coordinator", org="Ours")
    login(client, coordinator.email)
    response = client.get("/exports/visits?format=csv&shape=wide")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response)
    assert [int(r[0]) for r in rows[1:]] == [mine]
    assert rows[1][rows[0].index("access_notes")] == "SECRET-OURS"  # internal: decrypted
    assert "SECRET-THEIRS" not in response.get_data(as_text=True)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "export.visits")).one()
    assert event.user_id == coordinator.id
    assert event.summary == {"rows": 1, "public": False, "format": "csv", "shape": "wide"}
    assert not list(_scratch(app).iterdir()), "temporary files remain"


def _scratch(app) -> Path:
    return Path(app.instance_path) / "exports-tmp"


def test_long_xlsx_and_dictionary_downloads(client, make_user, visits_of_two_organisations):
    from openpyxl import load_workbook

    mine, _ = visits_of_two_organisations
    login(client, make_user("admin", org="Ours").email)
    response = client.get("/exports/visits?format=xlsx&shape=long")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["visit_id", "facility", "question_id", "value"]
    assert {r[0] for r in rows[1:]} == {mine}
    dictionary = _rows(client.get("/exports/visits/dictionary"))
    assert dictionary[0][:3] == ["column", "label", "type"]
    assert "access_notes" in {r[0] for r in dictionary[1:]}


def test_facilities_geojson_download(client, make_user, visits_of_two_organisations):
    login(client, make_user("coordinator").email)
    response = client.get("/exports/facilities?format=geojson")
    document = json.loads(response.get_data())

    assert response.mimetype == "application/geo+json"
    assert [f["properties"]["name"] for f in document["features"]] == ["Centro Norte"]
    assert document["features"][0]["geometry"]["coordinates"] == [-99.1, 19.4]


@pytest.mark.parametrize(("url", "status"), [
    ("/exports/visits?format=geojson", 422),
    ("/exports/people?format=csv", 422),
    ("/exports/visits?format=csv&shape=tall", 422),
    ("/exports/visits?format=csv&checklist=kore", 422),
])
def test_impossible_downloads_are_explained(client, make_user, app, url, status):
    login(client, make_user("coordinator").email)
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert not _scratch(app).exists() or not list(_scratch(app).iterdir())
