"""Visit capture through the real web forms: create, fill in, autosave, submit, review, print.

Pages are read with a small HTML form reader that posts what a browser would post (checked
boxes only, disabled inputs left out), so every value goes through the markup the app renders.
"""

from __future__ import annotations

import json
import re
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from monitor.core import paths
from monitor.db.models import (
    Answer,
    AuditEvent,
    Recommendation,
    RecommendationStatus,
    Visit,
    VisitState,
)
from monitor.services import facilities as registry
from monitor.services import visits as visit_service
from monitor.services.facilities import FacilityData
from tests.conftest import csrf_token, login, make_settings

DATA = Path(__file__).resolve().parent.parent / "data" / "checklists" / "valid"


# -- a browser's view of a form -------------------------------------------------------------------


class FormReader(HTMLParser):
    """Collect the controls of one form (by id) as a browser would submit them."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.action: str | None = None
        self.controls: list[dict] = []
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside, self.action = True, attrs.get("action")
            return
        if not self.inside:
            return
        if tag == "input":
            self.controls.append(
                {
                    "name": attrs.get("name"),
                    "type": attrs.get("type", "text"),
                    "value": attrs.get("value", ""),
                    "checked": "checked" in attrs,
                    "disabled": "disabled" in attrs,
                }
            )
        elif tag == "textarea":
            self._textarea = {
                "name": attrs.get("name"),
                "type": "textarea",
                "value": "",
                "checked": False,
                "disabled": "disabled" in attrs,
            }
            self.controls.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            if self._textarea is not None and self._textarea["value"].startswith("\n"):
                self._textarea["value"] = self._textarea["value"][1:]
            self._textarea = None
        elif tag == "form":
            self.inside = False


class Page:
    """A section page: fill answers as a person would, then post them."""

    def __init__(self, html: str, form_id: str = "visit-form") -> None:
        self.html = html
        reader = FormReader(form_id)
        reader.feed(html)
        self.action = unescape(reader.action or "")
        self.controls = reader.controls

    def value(self, name: str) -> str:
        return next(c["value"] for c in self.controls if c["name"] == name)

    def fill(self, question_id: str, value) -> Page:
        """Type text, choose a radio, or tick exactly the codes in a list."""
        name = "q_" + question_id
        found = [c for c in self.controls if c["name"] == name]
        assert found, f"{question_id} is not on the page"
        for control in found:
            if control["type"] == "radio":
                control["checked"] = control["value"] == value
            elif control["type"] == "checkbox":
                control["checked"] = control["value"] in value
            else:
                control["value"] = value
        return self

    def data(self, action: str = "save") -> MultiDict:
        posted = []
        for c in self.controls:
            if not c["name"] or c["disabled"]:
                continue
            if c["type"] in ("radio", "checkbox") and not c["checked"]:
                continue
            posted.append((c["name"], c["value"]))
        return MultiDict(posted + [("action", action)])

    def question_ids(self) -> set[str]:
        return {c["value"] for c in self.controls if c["name"] == "present"}


def open_section(client, visit_id: int, section_id: str) -> Page:
    response = client.get(f"/visits/{visit_id}/sections/{section_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return Page(response.get_data(as_text=True))


def post(client, page: Page, action: str = "save"):
    return client.post(page.action, data=page.data(action))


def autosave(client, page: Page):
    token = page.value("csrf_token")
    return client.post(
        page.action + "/autosave",
        data=page.data(),
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


# -- set-up ---------------------------------------------------------------------------------------


def make_facility(db, name="Estación Migratoria Siglo XXI"):
    facility = registry.create_facility(
        db, FacilityData(name=name, country="MEX", type="immigration_detention_centre")
    )
    db.commit()
    return facility


def open_visit(client, facility, **fields) -> int:
    page = client.get(f"/visits/new?facility={facility.public_id}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "facility": facility.public_id,
        "start_date": "2024-03-18",
        "end_date": "2024-03-19",
        "announced": "no",
        "scope": "full",
        **fields,
    }
    if "checklist" not in data:
        data["checklist"] = re.search(r'name="checklist"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/visits/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def stored(db, visit_id: int, vault) -> dict:
    db.rollback()  # a new transaction sees what the app committed
    return visit_service.current_answers(db.get(Visit, visit_id), vault)


@pytest.fixture
def vault(app):
    return app.extensions["monitor.vault"]


@pytest.fixture
def monitor(make_user):
    return make_user("monitor", org="Colectivo Frontera")


@pytest.fixture
def visit_id(client, db, monitor):
    login(client, monitor.email)
    return open_visit(client, make_facility(db))


@pytest.fixture
def basics(tmp_path, database_url):
    """An app whose only checklist is the small one with every question type."""
    from monitor.web.app import create_app

    folder = tmp_path / "basics-checklists"
    folder.mkdir()
    for name in ("standards.yaml", "areas.yaml"):
        shutil.copy(paths.CHECKLISTS / name, folder / name)
    shutil.copytree(DATA / "visit_basics", folder / "visit_basics")
    application = create_app(make_settings(tmp_path / "basics", database_url, checklist_dir=folder))
    application.config.update(TESTING=True)
    return application


def answer_access(client, visit_id: int, took_place: str = "yes") -> None:
    page = open_section(client, visit_id, "access").fill("visit_took_place", took_place)
    assert post(client, page).status_code == 302


# -- creating a visit -----------------------------------------------------------------------------


def test_new_visit_from_the_facility_link_opens_a_draft_with_its_team(
    client, db, make_user, monitor, vault
):
    colleague = make_user("monitor", org="Colectivo Frontera")
    stranger = make_user("monitor", org="Another group")
    facility = make_facility(db)
    login(client, monitor.email)
    form = client.get(f"/visits/new?facility={facility.public_id}").get_data(as_text=True)
    assert f'value="{facility.public_id}"' in form and facility.name in form
    assert colleague.name in form and stranger.name not in form
    visit_id = open_visit(client, facility, team=str(colleague.id), announced="yes")
    visit = db.get(Visit, visit_id)
    assert visit.state is VisitState.DRAFT and visit.announced
    assert {m.user_id for m in visit.members} == {monitor.id, colleague.id}
    assert (visit.checklist_id, visit.checklist_version) == ("core", 1)
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "Access to the facility" in page and f"/visits/{visit_id}/sections/access" in page


def test_thematic_visit_needs_sections_and_gets_the_sections_it_depends_on(client, db, monitor):
    facility = make_facility(db)
    login(client, monitor.email)
    page = client.get(f"/visits/new?facility={facility.public_id}").get_data(as_text=True)
    base = {
        "csrf_token": csrf_token(page),
        "facility": facility.public_id,
        "start_date": "2024-03-18",
        "scope": "thematic",
        "checklist": "core@1",
        "announced": "no",
    }
    refused = client.post("/visits/new", data=base)
    assert refused.status_code == 422
    assert "Choose at least one section for a thematic visit." in refused.get_data(as_text=True)
    visit_id = open_visit(client, facility, scope="thematic", sections="health", checklist="core@1")
    visit = db.get(Visit, visit_id)
    # Every health question depends on "did the visit take place?", asked in access.
    assert visit.sections == ["access", "health"]
    overview = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "/sections/health" in overview and "/sections/treatment" not in overview
    assert client.get(f"/visits/{visit_id}/sections/treatment").status_code == 404


def test_dates_out_of_order_are_refused_with_the_typed_values_kept(client, db, monitor):
    facility = make_facility(db)
    login(client, monitor.email)
    page = client.get(f"/visits/new?facility={facility.public_id}").get_data(as_text=True)
    response = client.post(
        "/visits/new",
        data={
            "csrf_token": csrf_token(page),
            "facility": facility.public_id,
            "start_date": "2024-03-18",
            "end_date": "2024-03-10",
            "scope": "full",
            "checklist": "core@1",
            "announced": "no",
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The visit cannot end before it starts." in text and 'value="2024-03-10"' in text


def test_a_follow_up_visit_lists_the_open_recommendations_of_the_facility(client, db, monitor):
    facility = make_facility(db)
    login(client, monitor.email)
    earlier = open_visit(client, facility)
    db.add_all(
        [
            Recommendation(
                facility_id=facility.id,
                visit_id=earlier,
                text="Install shade in the yard",
                status=RecommendationStatus.NOT_IMPLEMENTED,
            ),
            Recommendation(
                facility_id=facility.id,
                visit_id=earlier,
                text="Publish the house rules",
                status=RecommendationStatus.IMPLEMENTED,
            ),
        ]
    )
    db.commit()
    follow_up = open_visit(
        client, facility, scope="follow_up", start_date="2024-09-02", end_date="2024-09-02"
    )
    text = client.get(f"/visits/{follow_up}").get_data(as_text=True)
    assert "Open recommendations to follow up" in text
    assert "Install shade in the yard" in text and "Publish the house rules" not in text


# -- every question type through the form ---------------------------------------------------------


def test_every_question_type_round_trips_through_the_form(basics, db, make_user):
    client = basics.test_client()
    vault = basics.extensions["monitor.vault"]
    user = make_user("monitor")
    login(client, user.email)
    visit_id = open_visit(client, make_facility(db))
    snapshot = open_section(client, visit_id, "snapshot")
    snapshot.fill("visit_date", "2024-03-18").fill("population", "1 234").fill("children_held", "0")
    assert post(client, snapshot).status_code == 302
    conditions = open_section(client, visit_id, "conditions")
    (
        conditions.fill("dorm_floor_area_m2", "45,5")
        .fill("dorm_occupants", "10")
        .fill("hours_outdoors", "1.5")
        .fill("shower_frequency", "weekly")
        .fill("problems_seen", ["damp", "vermin"])
        .fill("conditions_notes", "Walls wet.\nNo heating.")
    )
    assert post(client, conditions).status_code == 302
    legal = open_section(client, visit_id, "legal")
    legal.fill("lawyers_visit", "yes").fill("lawyer_visits_private", "partly")
    legal.fill("interview_notes", "Said the food  is rotten")
    assert post(client, legal).status_code == 302

    assert stored(db, visit_id, vault) == {
        "visit_date": "2024-03-18",
        "population": 1234,
        "children_held": 0,
        "dorm_floor_area_m2": 45.5,
        "dorm_occupants": 10,
        "hours_outdoors": 1.5,
        "shower_frequency": "weekly",
        "problems_seen": ["damp", "vermin"],
        "conditions_notes": "Walls wet.\nNo heating.",
        "lawyers_visit": "yes",
        "lawyer_visits_private": "partly",
        "interview_notes": "Said the food is rotten",
    }
    secret = db.scalar(
        select(Answer).where(Answer.visit_id == visit_id, Answer.question_id == "interview_notes")
    )
    assert secret.value is None and b"rotten" not in secret.secret
    # Read back: the form shows every stored value, and the computed one read-only.
    again = open_section(client, visit_id, "conditions")
    assert again.value("q_dorm_floor_area_m2") == "45.5"
    assert [
        c["value"] for c in again.controls if c["name"] == "q_problems_seen" and c["checked"]
    ] == ["damp", "vermin"]
    assert again.value("q_conditions_notes") == "Walls wet.\nNo heating."
    assert re.search(r'data-computed="m2_per_person"[^>]*>4\.55<', again.html)
    legal_again = open_section(client, visit_id, "legal")
    assert "Confidential: never published" in legal_again.html
    assert legal_again.value("q_interview_notes") == "Said the food is rotten"


def test_answers_can_be_cleared(client, db, visit_id, vault):
    answer_access(client, visit_id)
    page = open_section(client, visit_id, "access").fill("entry_delay_minutes", "20")
    post(client, page)
    assert stored(db, visit_id, vault)["entry_delay_minutes"] == 20
    post(client, open_section(client, visit_id, "access").fill("entry_delay_minutes", ""))
    assert stored(db, visit_id, vault).get("entry_delay_minutes") is None


# -- skip logic and constraints on the server -----------------------------------------------------


def test_an_answer_to_a_question_that_is_not_asked_is_not_stored(client, db, visit_id, vault):
    answer_access(client, visit_id)
    page = open_section(client, visit_id, "treatment")
    assert "solitary_max_consecutive_days" in page.question_ids()
    page.fill("isolation_used", "no").fill("solitary_max_consecutive_days", "30")
    assert post(client, page).status_code == 302
    values = stored(db, visit_id, vault)
    assert values["isolation_used"] == "no" and "solitary_max_consecutive_days" not in values
    # Asked once isolation is used: the same answer is kept then.
    page = open_section(client, visit_id, "treatment")
    page.fill("isolation_used", "yes").fill("solitary_max_consecutive_days", "30")
    post(client, page)
    assert stored(db, visit_id, vault)["solitary_max_consecutive_days"] == 30


def test_questions_not_asked_are_greyed_with_their_condition_in_words(client, visit_id):
    answer_access(client, visit_id)
    html = open_section(client, visit_id, "treatment").html
    block = re.search(
        r'<div class="question[^"]*"\s+id="q-isolation_register_exists".*?</fieldset>', html, re.S
    ).group(0)
    assert "is-skipped" in block and 'data-relevant="false"' in block
    assert "Answer only if" in block and "is Yes" in block


def test_a_visit_that_did_not_take_place_is_submitted_with_only_the_access_section(
    client, db, visit_id
):
    page = open_section(client, visit_id, "access")
    page.fill("visit_took_place", "no").fill("visit_not_held_reason", "entry_refused")
    assert post(client, page).status_code == 302
    overview = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert overview.count(">skipped<") == 7
    token = csrf_token(overview)
    response = client.post(f"/visits/{visit_id}/submit", data={"csrf_token": token})
    assert response.status_code == 302
    db.rollback()  # a new transaction sees what the app committed
    assert db.get(Visit, visit_id).state is VisitState.SUBMITTED


def test_a_constraint_refuses_the_value_and_says_why_next_to_the_field(client, db, visit_id, vault):
    answer_access(client, visit_id)
    page = open_section(client, visit_id, "access")
    page.fill("entry_delay_minutes", "5000").fill("entry_initially_refused", "no")
    response = post(client, page)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    message = "Enter a number of minutes between 0 and 1440 (one day)."
    assert re.search(r'id="q-entry_delay_minutes-error"[^>]*>' + re.escape(message), html)
    assert Page(html).value("q_entry_delay_minutes") == "5000"  # kept as typed
    values = stored(db, visit_id, vault)
    assert "entry_delay_minutes" not in values and values["entry_initially_refused"] == "no"


def test_text_that_is_not_a_number_is_refused_and_kept(client, db, visit_id, vault):
    answer_access(client, visit_id)
    page = open_section(client, visit_id, "access").fill("entry_delay_minutes", "twenty")
    response = post(client, page)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "&#39;twenty&#39; is not a number." in html and 'value="twenty"' in html
    assert "entry_delay_minutes" not in stored(db, visit_id, vault)


# -- submit ---------------------------------------------------------------------------------------


def test_a_failed_submit_lists_what_is_missing_and_keeps_the_draft(client, db, visit_id, vault):
    answer_access(client, visit_id)
    page = open_section(client, visit_id, "access").fill("entry_delay_minutes", "15")
    post(client, page)
    overview = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    response = client.post(f"/visits/{visit_id}/submit", data={"csrf_token": csrf_token(overview)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The visit cannot be submitted yet" in html
    assert f'href="/visits/{visit_id}/sections/access#q-entry_initially_refused"' in html
    assert f'href="/visits/{visit_id}/sections/treatment#q-isolation_used"' in html
    db.rollback()  # a new transaction sees what the app committed
    assert db.get(Visit, visit_id).state is VisitState.DRAFT
    assert stored(db, visit_id, vault) == {"visit_took_place": "yes", "entry_delay_minutes": 15}


# -- autosave -------------------------------------------------------------------------------------


def test_autosave_answers_with_skip_logic_computed_values_and_errors(client, db, visit_id, vault):
    answer_access(client, visit_id)
    page = open_section(client, visit_id, "treatment")
    version = int(page.value("lock_version"))
    response = autosave(client, page.fill("isolation_used", "yes"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["saved"] == ["isolation_used"] and body["errors"] == {}
    assert "solitary_max_consecutive_days" in body["relevant"]
    assert body["version"] > version and body["base"]["isolation_used"] == "yes"
    assert set(body["progress"]) >= {"answered", "required", "required_answered"}
    # The page script sends the new version and base next time.
    page.controls = [dict(c) for c in page.controls]
    for control in page.controls:
        if control["name"] == "lock_version":
            control["value"] = str(body["version"])
        if control["name"] == "base":
            control["value"] = json.dumps(body["base"])
    refused = autosave(client, page.fill("solitary_max_consecutive_days", "-3")).get_json()
    assert refused["errors"] == {
        "solitary_max_consecutive_days": "Enter a whole number of days between 0 and 3650."
    }
    assert "solitary_max_consecutive_days" not in stored(db, visit_id, vault)
    no_more = autosave(client, page.fill("isolation_used", "no")).get_json()
    assert "solitary_max_consecutive_days" not in no_more["relevant"]


def test_autosave_computes_values_for_the_page(basics, db, make_user):
    client = basics.test_client()
    login(client, make_user("monitor").email)
    visit_id = open_visit(client, make_facility(db))
    page = open_section(client, visit_id, "conditions")
    body = autosave(
        client, page.fill("dorm_floor_area_m2", "30").fill("dorm_occupants", "12")
    ).get_json()
    assert body["values_computed"] == {"m2_per_person": "2.5"}


def test_autosave_after_the_session_expired_is_refused_without_losing_the_page(client, visit_id):
    page = open_section(client, visit_id, "access")
    client.post("/logout", data={"csrf_token": page.value("csrf_token")})
    response = autosave(client, page.fill("visit_took_place", "yes"))
    assert response.status_code in (400, 401)
    assert response.is_json and response.get_json()["error"]


# -- two people editing at once -------------------------------------------------------------------


def test_two_people_changing_the_same_answer_get_the_conflict_view(app, db, make_user, vault):
    alba, bruno = (make_user("monitor", org="Colectivo Frontera") for _ in range(2))
    first, second = app.test_client(), app.test_client()
    login(first, alba.email)
    visit_id = open_visit(first, make_facility(db), team=str(bruno.id))
    answer_access(first, visit_id)
    login(second, bruno.email)
    page_a = open_section(first, visit_id, "access")
    page_b = open_section(second, visit_id, "access")
    assert post(first, page_a.fill("entry_initially_refused", "yes")).status_code == 302
    clash = post(
        second, page_b.fill("entry_initially_refused", "no").fill("entry_delay_minutes", "45")
    )
    html = clash.get_data(as_text=True)
    assert clash.status_code == 409
    assert "Someone else changed the same answers" in html
    assert "Keep their answer" in html and "Keep my answer" in html
    assert stored(db, visit_id, vault)["entry_initially_refused"] == "yes"  # nothing overwritten
    assert "entry_delay_minutes" not in stored(db, visit_id, vault)
    form = re.search(
        r'<form method="post" action="([^"]+)" class="conflicts".*?</form>', html, re.S
    )
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
    fields = {k: unescape(v) for k, v in fields.items()}
    resolved = second.post(
        unescape(form.group(1)), data={**fields, "keep_entry_initially_refused": "mine"}
    )
    assert resolved.status_code == 302
    values = stored(db, visit_id, vault)
    assert values["entry_initially_refused"] == "no" and values["entry_delay_minutes"] == 45


def test_changes_to_different_questions_merge_without_a_conflict(app, db, make_user, vault):
    alba, bruno = (make_user("monitor", org="Colectivo Frontera") for _ in range(2))
    first, second = app.test_client(), app.test_client()
    login(first, alba.email)
    visit_id = open_visit(first, make_facility(db), team=str(bruno.id))
    answer_access(first, visit_id)
    login(second, bruno.email)
    page_a = open_section(first, visit_id, "access")
    page_b = open_section(second, visit_id, "access")
    post(first, page_a.fill("entry_initially_refused", "yes"))
    assert post(second, page_b.fill("entry_delay_minutes", "45")).status_code == 302
    values = stored(db, visit_id, vault)
    assert values["entry_initially_refused"] == "yes" and values["entry_delay_minutes"] == 45


def test_autosave_reports_a_conflict_as_409_with_the_questions(app, db, make_user):
    alba, bruno = (make_user("monitor", org="Colectivo Frontera") for _ in range(2))
    first, second = app.test_client(), app.test_client()
    login(first, alba.email)
    visit_id = open_visit(first, make_facility(db), team=str(bruno.id))
    login(second, bruno.email)
    page_a, page_b = (
        open_section(first, visit_id, "access"),
        open_section(second, visit_id, "access"),
    )
    assert autosave(first, page_a.fill("visit_took_place", "yes")).status_code == 200
    response = autosave(second, page_b.fill("visit_took_place", "no"))
    assert response.status_code == 409 and response.get_json()["conflicts"] == ["visit_took_place"]


# -- who may do what ------------------------------------------------------------------------------


def test_a_monitor_of_another_organisation_gets_404(app, db, visit_id, make_user):
    outsider = make_user("monitor", org="Another group")
    other = app.test_client()
    login(other, outsider.email)
    assert other.get(f"/visits/{visit_id}").status_code == 404
    assert other.get(f"/visits/{visit_id}/sections/access").status_code == 404
    assert other.get(f"/visits/{visit_id}/interviews/").status_code == 404


def test_a_viewer_sees_the_answers_read_only_and_cannot_save(app, db, visit_id, make_user):
    viewer = make_user("viewer", org="Colectivo Frontera")
    reader = app.test_client()
    login(reader, viewer.email)
    page = open_section(reader, visit_id, "access")
    assert "data-autosave-url" not in page.html
    assert all(c["disabled"] for c in page.controls if c["name"] and c["name"].startswith("q_"))
    data = page.data()
    data.add("present", "visit_took_place")
    data.add("q_visit_took_place", "yes")
    response = reader.post(page.action, data=data)
    assert response.status_code == 403


def _submit_access_only(client, visit_id):
    page = open_section(client, visit_id, "access")
    post(
        client, page.fill("visit_took_place", "no").fill("visit_not_held_reason", "facility_closed")
    )
    overview = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert (
        client.post(
            f"/visits/{visit_id}/submit", data={"csrf_token": csrf_token(overview)}
        ).status_code
        == 302
    )


def test_the_author_cannot_accept_their_own_visit_but_another_coordinator_can(app, db, make_user):
    author, reviewer = (make_user("coordinator", org="Colectivo Frontera") for _ in range(2))
    own, other = app.test_client(), app.test_client()
    login(own, author.email)
    visit_id = open_visit(own, make_facility(db))
    _submit_access_only(own, visit_id)
    overview = own.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "Another coordinator must review this visit" in overview
    refused = own.post(f"/visits/{visit_id}/accept", data={"csrf_token": csrf_token(overview)})
    assert refused.status_code == 403
    login(other, reviewer.email)
    page = other.get(f"/visits/{visit_id}").get_data(as_text=True)
    token = csrf_token(page)
    assert (
        other.post(f"/visits/{visit_id}/accept", data={"accept-csrf_token": token}).status_code
        == 302
    )
    db.rollback()  # a new transaction sees what the app committed
    assert db.get(Visit, visit_id).state is VisitState.REVIEWED
    assert other.post(f"/visits/{visit_id}/publish", data={"csrf_token": token}).status_code == 302
    db.rollback()  # a new transaction sees what the app committed
    assert db.get(Visit, visit_id).state is VisitState.PUBLISHED
    assert (
        own.post(
            f"/visits/{visit_id}/unpublish", data={"csrf_token": csrf_token(overview)}
        ).status_code
        == 302
    )
    db.rollback()  # a new transaction sees what the app committed
    assert db.get(Visit, visit_id).state is VisitState.REVIEWED


def test_a_returned_visit_shows_the_comments_and_can_be_edited_again(
    app, client, db, monitor, make_user, vault
):
    reviewer = make_user("coordinator", org="Colectivo Frontera")
    login(client, monitor.email)
    visit_id = open_visit(client, make_facility(db))
    _submit_access_only(client, visit_id)
    locked = open_section(client, visit_id, "access")
    assert "data-autosave-url" not in locked.html
    coordinator = app.test_client()
    login(coordinator, reviewer.email)
    token = csrf_token(coordinator.get(f"/visits/{visit_id}").get_data(as_text=True))
    empty = coordinator.post(
        f"/visits/{visit_id}/return", data={"return-csrf_token": token, "return-comment": " "}
    )
    assert empty.status_code == 422
    coordinator.post(
        f"/visits/{visit_id}/return",
        data={"return-csrf_token": token, "return-comment": "Say who refused entry, and when."},
    )
    overview = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "Returned by the reviewer" in overview and "Say who refused entry, and when." in overview
    page = open_section(client, visit_id, "access").fill("visit_not_held_reason", "entry_refused")
    assert post(client, page).status_code == 302
    assert stored(db, visit_id, vault)["visit_not_held_reason"] == "entry_refused"


def test_saving_answers_leaves_no_answer_values_in_the_audit_log(client, db, visit_id):
    answer_access(client, visit_id)
    page = open_section(client, visit_id, "access").fill(
        "access_notes", "Guard captain Ramírez refused"
    )
    post(client, page)
    summaries = json.dumps([e.summary for e in db.scalars(select(AuditEvent))])
    assert "Ramírez" not in summaries and "visit.answers" in {
        e.action for e in db.scalars(select(AuditEvent))
    }


# -- the paper form -------------------------------------------------------------------------------


def test_the_printable_checklist_has_every_question_and_its_skip_instruction(client, monitor):
    login(client, monitor.email)
    response = client.get("/checklists/core/1/print")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert html.count('class="pq-num"') == 287  # 296 questions, 9 of them computed
    assert re.search(
        r"Answer only if 'In the last 12 months, was anyone kept apart[^']*' "
        r"\(question \d+\) is Yes\.",
        html,
    )
    assert "Otherwise skip this whole part." in html
    assert "The answer must meet: the answer is between 0 and 1440." in html
    assert "@media print" in Path(paths.STATIC / "css" / "app.css").read_text(encoding="utf-8")
    assert client.get("/checklists/core/99/print").status_code == 404


def test_the_visit_page_shows_dates_and_the_list_of_visits_links_to_it(client, visit_id):
    text = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "Mar 18, 2024 – Mar 19, 2024" in text and "unannounced" in text
    listing = client.get("/visits/").get_data(as_text=True)
    assert f'href="/visits/{visit_id}"' in listing


def test_a_section_in_spanish_shows_labels_and_skip_instructions_in_spanish(client, visit_id):
    answer_access(client, visit_id)
    page = client.get(f"/visits/{visit_id}/sections/treatment?lang=es")
    html = unescape(page.get_data(as_text=True))
    assert "Trato y salvaguardas" in html
    assert re.search(r"Responda solo si «En los últimos 12 meses, ¿se mantuvo[^»]*» es Sí\.", html)
