"""A whole visit entered through the web pages, submitted, and its results stored and shown."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from monitor.db.models import (
    AreaScore,
    Finding,
    Recommendation,
    RedFlagRecord,
    Visit,
    VisitState,
    VisitSummary,
)
from monitor.services import recommendations
from monitor.services.synthetic import AnswerGenerator, FacilityProfile
from tests.conftest import csrf_token, login
from tests.web.test_visits import make_facility, open_section, open_visit, post

TOP_SECTIONS = ("access", "procedures", "treatment", "conditions", "regime", "health", "staff",
                "vulnerability")


def _typed(value) -> object:
    if isinstance(value, list):
        return value
    return str(value)


def test_a_visit_entered_through_the_pages_is_submitted_and_its_results_are_stored_and_shown(
        app, client, db, make_user):
    monitor = make_user("monitor", org="Colectivo Frontera")
    login(client, monitor.email)
    facility = make_facility(db)
    visit_id = open_visit(client, facility)
    catalog = app.extensions["monitor.catalog"]
    checklist = catalog.get("core")
    # A facility that holds children and crowds people: red flags must follow.
    answers = AnswerGenerator(checklist, catalog.standards).answers(
        random.Random(7), FacilityProfile(capacity=100, facility_type="children_shelter",
                                          quality=0.2, holds_children=True))
    for _ in range(2):  # some questions depend on answers in later sections
        for section in TOP_SECTIONS:
            page = open_section(client, visit_id, section)
            on_page = page.question_ids()
            for question_id, value in answers.items():
                if question_id in on_page:
                    page.fill(question_id, _typed(value))
            response = post(client, page)
            assert response.status_code in (302, 422), response.get_data(as_text=True)[:300]

    show = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    response = client.post(f"/visits/{visit_id}/submit", data={"csrf_token": csrf_token(show)})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]

    db.rollback()
    visit = db.get(Visit, visit_id)
    assert visit.state is VisitState.SUBMITTED
    findings = db.scalar(select(func.count(Finding.id)).where(Finding.visit_id == visit_id))
    flags = set(db.scalars(select(RedFlagRecord.code).where(RedFlagRecord.visit_id == visit_id)))
    scores = db.scalar(select(func.count(AreaScore.id)).where(AreaScore.visit_id == visit_id))
    summary = db.get(VisitSummary, visit_id)
    stored_suggestions = db.scalar(select(func.count(Recommendation.id)).where(
        Recommendation.visit_id == visit_id))
    suggestions = recommendations.suggestions(db, visit, catalog, "en")
    assert findings > 50 and scores >= 7
    assert "children_detained" in flags
    assert summary is not None and summary.children and summary.children > 0
    assert summary.red_flag_count == len(flags)
    assert suggestions, "non-compliant findings must come with suggested recommendations"
    assert stored_suggestions == 0, "suggestions are drafted on reading, not stored at submit"

    results = client.get(f"/visits/{visit_id}/results")
    text = results.get_data(as_text=True)
    assert results.status_code == 200
    assert "Red flags" in text and "Children detained" in text
    assert suggestions[0].text[:40] in text.replace("&#39;", "'").replace("&quot;", '"')
