"""Suggested recommendations on the results page: drafted from the findings, decided by the team.

Nothing is stored for a suggestion until the team acts: confirming it makes a recommendation,
discarding it records the decision (and it can be brought back). A refused form keeps what was
typed.
"""

from __future__ import annotations

import html
import random
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from monitor.db.models import DismissedSuggestion, Finding, FindingStatus, Recommendation, Visit
from monitor.services import findings, recommendations, visits
from monitor.services.synthetic import AnswerGenerator, FacilityProfile
from tests.conftest import csrf_token, login
from tests.web.test_visits import make_facility


@pytest.fixture
def submitted(app, db, make_user):
    """A poorly run facility's visit, submitted by a monitor: (visit id, the monitor)."""
    author = make_user("monitor", org="Colectivo Frontera")
    catalog = app.extensions["monitor.catalog"]
    vault = app.extensions["monitor.vault"]
    checklist = catalog.get("core")
    facility = make_facility(db)
    visit = visits.create_visit(db, facility=facility, by=author, checklist=checklist,
                                start_date=date(2025, 5, 6))
    answers = AnswerGenerator(checklist, catalog.standards).answers(
        random.Random(11), FacilityProfile(capacity=80, facility_type="prison", quality=0.25))
    visits.save_answers(db, visit, answers, by=author, vault=vault, checklist=checklist)
    findings.submit_and_evaluate(db, visit, by=author, catalog=catalog, vault=vault)
    db.commit()
    return visit.id, author


def _unmet(db, visit_id) -> set[str]:
    return set(db.scalars(select(Finding.standard_id).where(
        Finding.visit_id == visit_id,
        Finding.status.in_([FindingStatus.NON_COMPLIANT, FindingStatus.PARTIALLY_COMPLIANT]))))


def _offered(page: str) -> list[str]:
    return re.findall(r'id="sugg-([^"]+)"', page)


def _post(client, visit_id, standard_id, **form):
    page = client.get(f"/visits/{visit_id}/results").get_data(as_text=True)
    return client.post(f"/visits/{visit_id}/suggestions/{standard_id}",
                       data={"csrf_token": csrf_token(page), **form})


def test_one_suggestion_per_unmet_standard_in_the_readers_language(client, db, submitted):
    visit_id, author = submitted
    login(client, author.email)
    english = client.get(f"/visits/{visit_id}/results").get_data(as_text=True)
    unmet = _unmet(db, visit_id)
    assert len(unmet) > 10
    assert sorted(_offered(english)) == sorted(unmet)
    assert "Bring practice into line with" in html.unescape(english)
    spanish = html.unescape(client.get(f"/visits/{visit_id}/results?lang=es").get_data(as_text=True))
    assert "Ajustar la práctica a" in spanish
    assert "Bring practice into line with" not in spanish
    # Findings' sentences are said on reading too, in the page's language.
    assert "No se cumple:" in spanish


def test_confirming_a_suggestion_with_edits_makes_a_recommendation(client, db, submitted):
    visit_id, author = submitted
    login(client, author.email)
    standard = sorted(_unmet(db, visit_id))[0]
    response = _post(client, visit_id, standard, action="confirm", text="Our own words.",
                     addressee="Instituto Nacional de Migración", priority="urgent",
                     due_date="2026-03-01")
    assert response.status_code == 302
    db.rollback()  # end the test session's read snapshot
    rec = db.scalars(select(Recommendation).where(Recommendation.visit_id == visit_id)).one()
    assert (rec.text, rec.standards, rec.status.value, rec.priority.value) == (
        "Our own words.", [standard], "not_implemented", "urgent")
    assert rec.addressee == "Instituto Nacional de Migración" and rec.due_date == date(2026, 3, 1)
    assert rec.issued_on is not None and [u.status.value for u in rec.updates] == ["not_implemented"]
    page = client.get(f"/visits/{visit_id}/results").get_data(as_text=True)
    assert standard not in _offered(page) and "Our own words." in page
    # A second click on the same form is refused, and nothing is duplicated.
    again = _post(client, visit_id, standard, action="confirm", text="Twice.")
    assert again.status_code == 302
    db.rollback()
    assert db.scalar(select(func.count(Recommendation.id)).where(
        Recommendation.visit_id == visit_id)) == 1


def test_a_refused_form_keeps_what_was_typed(client, db, submitted):
    visit_id, author = submitted
    login(client, author.email)
    standard = sorted(_unmet(db, visit_id))[-1]
    response = _post(client, visit_id, standard, action="confirm", text="   ",
                     addressee="La dirección que escribí", priority="low", due_date="2027-01-31")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A recommendation needs a text." in page
    assert 'value="La dirección que escribí"' in page and 'value="2027-01-31"' in page
    assert re.search(r'<option value="low" selected>', page)
    db.rollback()
    assert db.scalar(select(func.count(Recommendation.id)).where(
        Recommendation.visit_id == visit_id)) == 0


def test_a_discarded_suggestion_is_not_offered_again_until_brought_back(client, db, submitted):
    visit_id, author = submitted
    login(client, author.email)
    standard = sorted(_unmet(db, visit_id))[1]
    assert _post(client, visit_id, standard, action="discard").status_code == 302
    page = client.get(f"/visits/{visit_id}/results").get_data(as_text=True)
    assert standard not in _offered(page) and "Discarded suggestions (1)" in page
    db.rollback()
    assert db.scalar(select(func.count(DismissedSuggestion.id))) == 1
    assert _post(client, visit_id, standard, action="restore").status_code == 302
    assert standard in _offered(client.get(f"/visits/{visit_id}/results").get_data(as_text=True))
    db.rollback()
    assert db.scalar(select(func.count(DismissedSuggestion.id))) == 0


def test_suggestions_follow_the_findings_after_a_return_and_resubmit(app, db, submitted):
    """A returned visit suggests nothing; resubmitted, it suggests from its new findings."""
    visit_id, author = submitted
    catalog = app.extensions["monitor.catalog"]
    visit = db.get(Visit, visit_id)
    before = recommendations.suggestions(db, visit, catalog)
    assert before
    visit.state = visit.state.RETURNED
    db.flush()
    assert recommendations.suggestions(db, visit, catalog) == []
    findings.submit_and_evaluate(db, visit, by=author, catalog=catalog,
                                 vault=app.extensions["monitor.vault"])
    assert recommendations.suggestions(db, visit, catalog) == before
    assert db.scalar(select(func.count(Finding.id)).where(Finding.visit_id == visit_id)) == len(
        {f.standard_id for f in db.scalars(select(Finding).where(Finding.visit_id == visit_id))})


def test_only_the_team_and_its_organisation_decide(client, db, submitted, make_user):
    visit_id, _ = submitted
    standard = sorted(_unmet(db, visit_id))[0]
    outsider = make_user("coordinator", org="Another organisation")
    login(client, outsider.email)
    assert client.get(f"/visits/{visit_id}/results").status_code == 404
    page = client.get("/dashboard/").get_data(as_text=True)
    refused = client.post(f"/visits/{visit_id}/suggestions/{standard}",
                          data={"csrf_token": csrf_token(page), "action": "discard"})
    assert refused.status_code == 404
    viewer = make_user("viewer", org="Colectivo Frontera")
    client.get("/logout")
    login(client, viewer.email)
    shown = client.get(f"/visits/{visit_id}/results")
    if shown.status_code == 200:  # a viewer may read results, never decide on them
        text = shown.get_data(as_text=True)
        assert 'name="action" value="confirm"' not in text
        refused = client.post(f"/visits/{visit_id}/suggestions/{standard}",
                              data={"csrf_token": csrf_token(text), "action": "discard"})
        assert refused.status_code in (403, 404)
    db.rollback()
    assert db.scalar(select(func.count(DismissedSuggestion.id))) == 0
