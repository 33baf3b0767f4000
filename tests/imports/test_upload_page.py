"""The facility import page: upload, dry run row by row, confirm exactly that plan."""

from __future__ import annotations

import html
import io
import os
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.core.errors import InputError
from monitor.db.models import AuditEvent, Facility, FacilitySource
from monitor.services import facility_import
from monitor.services.facilities import FacilityData, create_facility
from tests.conftest import DATA, csrf_token, login, make_settings

FILES = DATA / "imports"


# --- helpers ---------------------------------------------------------------------------------


def upload(client, name: str, content: bytes | None = None, **fields: str):
    """Post a file to the upload form as a browser would (CSRF token included)."""
    token = csrf_token(client.get("/facilities/import").get_data(as_text=True))
    body = content if content is not None else (FILES / name).read_bytes()
    data = {"csrf_token": token, "source": fields.get("source", ""),
            "country": fields.get("country", ""), "file": (io.BytesIO(body), name)}
    return client.post("/facilities/import", data=data, content_type="multipart/form-data")


def plan_rows(response) -> dict[int, tuple[str, str, list[str]]]:
    """Row number → (action, changed fields, problems) as the plan table shows them."""
    page = response.get_data(as_text=True)
    rows = {}
    for action, number, body in re.findall(
            r'<tr class="action-(\w+)" data-row="(\d+)">(.*?)</tr>', page, flags=re.DOTALL):
        cells = re.findall(r"<td>(.*?)</td>", body, flags=re.DOTALL)
        problems = [_text(p) for p in re.findall(r"<p[^>]*>(.*?)</p>", cells[4], flags=re.DOTALL)]
        rows[int(number)] = (action, _text(cells[3]), problems)
    return rows


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def confirm(client, response):
    page = response.get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    return client.post("/facilities/import/confirm",
                       data={"csrf_token": csrf_token(page), "token": token})


def waiting(settings) -> list[Path]:
    folder = Path(settings.instance_dir) / "imports"
    return sorted(folder.rglob("*")) if folder.exists() else []


def count_facilities(db) -> int:
    db.rollback()  # end the test's read transaction: see what the app committed since
    return db.scalar(select(func.count(Facility.id)))


@pytest.fixture
def coordinator(client, make_user):
    user = make_user("coordinator")
    login(client, user.email)
    return user


# --- who may use it --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_importers_see_the_form(client, make_user, role):
    login(client, make_user(role).email)
    page = client.get("/facilities/import")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)


@pytest.mark.parametrize("role", ["monitor", "viewer"])
def test_other_roles_are_refused(client, make_user, role):
    login(client, make_user(role).email)
    assert client.get("/facilities/import").status_code == 403
    token = csrf_token(client.get("/facilities/").get_data(as_text=True))
    for url in ("/facilities/import", "/facilities/import/confirm", "/facilities/import/cancel"):
        assert client.post(url, data={"csrf_token": token}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/facilities/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the documented results, row by row ------------------------------------------------------

#: Row → (what the import does, the one problem the row has, if any).
MEXICO = {
    4: ("create", None),
    5: ("create", "row 5, column Capacidad: capacity 'approx. 40' is approximate; taken as 40"),
    6: ("reject", ("row 6, column Latitud: latitude -94.9147 and longitude 17.9497 look "
                   "swapped: a latitude lies between -90 and 90; exchange the two values")),
    7: ("create", "row 7: no location; the facility is imported without coordinates"),
    8: ("reject", ("row 8, column Nombre del centro: duplicate of row 4 (same name 'ESTACIÓN "
                   "MIGRATORIA Siglo XXI' and country MEX); the later row is skipped — merge "
                   "the two rows, or give each its id or locality if they are different "
                   "facilities")),
    9: ("reject", "row 9, column País: unknown country 'Mexco'; did you mean Mexico (MEX)?"),
    10: ("reject", ("row 10, column Longitud: the latitude is given but the longitude is "
                    "missing; give both or neither")),
    12: ("create", None),
    13: ("reject", ("row 13, column Capacidad: capacity -5 is negative; give the number of "
                    "places (0 or more)")),
    14: ("create", ("row 14, column Tipo: 'Centro de día' is not a type this import "
                    "recognises; recorded as 'other' (recognised: immigration_detention_centre, "
                    "prison, police_station, transit_zone, border_post, closed_reception_centre, "
                    "children_shelter)")),
}


def test_mexican_list_dry_run_then_confirm(client, coordinator, db, settings):
    checked = upload(client, "inm_mexico_bom_semicolon.csv")
    page = checked.get_data(as_text=True)

    assert checked.status_code == 200
    assert {n: (a, p) for n, (a, _, p) in plan_rows(checked).items()} == {
        n: (action, [problem] if problem else []) for n, (action, problem) in MEXICO.items()}
    assert "Dry run: created 5, updated 0, unchanged 0, rejected 5" in page
    assert "row 3, column Dirección: not a facility field; the column is ignored" in page
    assert count_facilities(db) == 0, "a dry run writes nothing"
    assert [p.name for p in waiting(settings) if p.is_file()] == ["inm_mexico_bom_semicolon.csv"]

    applied = confirm(client, checked)

    assert applied.status_code == 302
    done = client.get(applied.headers["Location"]).get_data(as_text=True)
    assert "Import finished: created 5, updated 0, unchanged 0, rejected 5." in done
    db.rollback()
    names = set(db.scalars(select(Facility.name)))
    assert names == {"Estación Migratoria Siglo XXI", "Estancia Provisional Tenosique",
                     "Albergue Temporal para Niños DIF & Casa Hogar",
                     "Estancia Provisional Palenque", "Centro de detención sin nombre conocido"}
    assert waiting(settings) == [], "the uploaded file is deleted once applied"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "facility.import")).one()
    assert event.user_id == coordinator.id
    assert event.summary["result"] == "created 5, updated 0, unchanged 0, rejected 5"

    again = upload(client, "inm_mexico_bom_semicolon.csv")
    assert {n: a for n, (a, _, _) in plan_rows(again).items()} == {
        n: ("unchanged" if a == "create" else a) for n, (a, _) in MEXICO.items()}
    assert re.search(r"<button[^>]*disabled", again.get_data(as_text=True))


@pytest.mark.parametrize(("name", "expected"), [
    ("cra_france_cp1252.csv", {2: "create", 3: "create", 4: "reject", 5: "create",
                               6: "create", 7: "reject"}),
    ("abrigos_brasil_utf16.txt", {2: "create", 3: "create", 4: "create"}),
    ("legacy_facilities.xls", {4: "create", 5: "create", 6: "create", 7: "reject",
                               8: "create"}),
    ("facilities.geojson", {1: "create", 2: "create", 3: "create", 4: "reject"}),
])
def test_messy_lists_row_by_row(client, coordinator, name, expected):
    checked = upload(client, name)
    rows = plan_rows(checked)

    assert {n: a for n, (a, _, _) in rows.items()} == expected
    for number, (action, _, problems) in rows.items():
        if action == "reject":
            assert problems and all(p.startswith(f"row {number}") for p in problems)


def test_french_swapped_coordinates_are_named(client, coordinator):
    rows = plan_rows(upload(client, "cra_france_cp1252.csv"))
    assert rows[4][2] == [(
        "row 4, column Latitude: latitude 5.0814 and longitude 45.7256 look swapped: the point "
        "lies outside FRA but the swapped point lies inside; exchange the two values")]


def test_updates_show_their_changed_fields(client, coordinator, db):
    known = create_facility(db, FacilityData(name="Centro Sur", country="MEX", capacity=10))
    db.commit()
    text = (f"id,name,country,capacity,locality\n{known.public_id},Centro Sur,MEX,25,Tapachula\n"
            "F-2Z2Z2Z,Centro Nuevo,MEX,,\n").encode()
    rows = plan_rows(upload(client, "update.csv", text))

    assert rows[2][0] == "update" and set(rows[2][1].split(", ")) == {"capacity", "locality"}
    assert rows[3][0] == "create"


def test_default_country_and_source_name(client, coordinator, db):
    text = "nombre;municipio\nEstación Migratoria Acayucan;Acayucan\n".encode()
    checked = upload(client, "acayucan.csv", text, country="MEX", source="INM 2024")
    assert plan_rows(checked)[2][0] == "create"
    assert confirm(client, checked).status_code == 302
    db.rollback()
    facility = db.scalars(select(Facility)).one()
    assert (facility.country, facility.locality) == ("MEX", "Acayucan")
    assert db.scalars(select(FacilitySource.source)).one() == "INM 2024"


# --- confirming exactly what was shown -------------------------------------------------------


def test_a_changed_registry_means_a_new_plan_not_a_surprise(client, coordinator, db):
    checked = upload(client, "abrigos_brasil_utf16.txt")
    create_facility(db, FacilityData(name="Abrigo Rondon 3", country="BRA"))
    db.commit()

    refused = confirm(client, checked)

    assert refused.status_code == 409
    assert "Nothing was imported" in refused.get_data(as_text=True)
    assert plan_rows(refused)[4][0] == "update"  # was "create" when checked
    assert count_facilities(db) == 1
    assert confirm(client, refused).status_code == 302
    assert count_facilities(db) == 3


def test_a_failed_import_loses_nothing(client, coordinator, db, settings, monkeypatch):
    checked = upload(client, "abrigos_brasil_utf16.txt")
    real = facility_import.apply_import

    def fail_half_way(session, plan, **options):
        real(session, plan, **options)  # writes everything, then the commit never happens
        raise InputError("the registry refused a row.")

    monkeypatch.setattr(facility_import, "apply_import", fail_half_way)
    failed = confirm(client, checked)

    assert failed.status_code == 422
    assert "Nothing was imported: the registry refused a row." in failed.get_data(as_text=True)
    assert count_facilities(db) == 0
    assert any(p.name == "abrigos_brasil_utf16.txt" for p in waiting(settings))
    monkeypatch.setattr(facility_import, "apply_import", real)
    assert confirm(client, failed).status_code == 302
    assert count_facilities(db) == 3 and waiting(settings) == []


def test_cancel_deletes_the_upload(client, coordinator, db, settings):
    checked = upload(client, "facilities.geojson")
    assert waiting(settings)
    response = client.post("/facilities/import/cancel",
                           data={"csrf_token": csrf_token(checked.get_data(as_text=True))})
    assert response.status_code == 302
    assert waiting(settings) == [] and count_facilities(db) == 0
    assert confirm(client, checked).status_code == 302  # nothing waits any more
    assert count_facilities(db) == 0


def test_another_person_cannot_confirm_my_upload(app, client, coordinator, make_user, db):
    checked = upload(client, "facilities.geojson")
    other = app.test_client()
    login(other, make_user("admin").email)
    page = other.get("/facilities/import").get_data(as_text=True)
    token = re.search(r'name="token" value="([0-9a-f]{32})"', checked.get_data(as_text=True))
    response = other.post("/facilities/import/confirm",
                          data={"csrf_token": csrf_token(page), "token": token.group(1)})
    assert response.status_code == 302 and count_facilities(db) == 0


def test_uploads_left_waiting_for_a_day_are_removed(client, coordinator, settings):
    old = Path(settings.instance_dir) / "imports" / ("0" * 32)
    old.mkdir(parents=True)
    (old / "forgotten.csv").write_text("name\nx\n")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    upload(client, "facilities.geojson")
    assert not old.exists()


# --- files the page cannot take --------------------------------------------------------------


def test_unreadable_list_is_explained_with_its_own_name(client, coordinator, settings):
    response = upload(client, "list.csv", "País;Latitud\nMéxico;14.9\n".encode())
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "cannot import list.csv: no column holds facility names" in text
    assert waiting(settings) == []


def test_other_kinds_of_file_are_refused(client, coordinator, settings):
    response = upload(client, "report.pdf", b"%PDF-1.4")
    assert response.status_code == 422
    assert "report.pdf is not a list this page can read" in html.unescape(
        response.get_data(as_text=True))
    assert waiting(settings) == []


@pytest.fixture
def small_limit_client(tmp_path, database_url):
    from monitor.web.app import create_app

    application = create_app(make_settings(tmp_path, database_url, max_upload_mb=1))
    application.config.update(TESTING=True)
    return application.test_client()


def test_a_file_over_the_limit_gets_a_friendly_page(small_limit_client, make_user, settings):
    login(small_limit_client, make_user("coordinator").email)
    big = b"name,country\n" + b"Centro grande,MEX\n" * 70_000  # about 1.2 MB
    response = upload(small_limit_client, "big.csv", big)
    text = response.get_data(as_text=True)

    assert response.status_code == 413
    assert "larger than the 1 MB this server accepts" in text
    assert 'type="file"' in text
    assert waiting(settings) == []


def test_strangers_over_the_limit_see_no_form(small_limit_client, settings):
    big = io.BytesIO(b"name\n" + b"x\n" * 600_000)
    response = small_limit_client.post("/facilities/import", data={"file": (big, "big.csv")},
                                       content_type="multipart/form-data")
    assert response.status_code == 413
    assert 'type="file"' not in response.get_data(as_text=True)
    assert waiting(settings) == []
