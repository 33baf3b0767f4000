"""Report downloads from the web app, by role, on the demo world."""

from __future__ import annotations

import io

import pytest
from babel.dates import format_date
from pypdf import PdfReader

from monitor.core.clock import today
from monitor.outputs.reports import translations_for
from monitor.web.app import create_app
from tests.conftest import login
from tests.reports.conftest import World

PASSWORDS = {"monitor@demo.example": "demo-monitor-pass", "viewer@demo.example": "demo-viewer-pass",
             "coordinator@other.example": "demo-other-pass"}
THEMATIC = "/reports/thematic.html?theme=health&country=MEX&from=2020-01-01&to=2030-12-31"


@pytest.fixture(scope="module")
def app(world: World):
    application = create_app(world.settings)
    application.config.update(TESTING=True)
    return application


def signed_in(app, email: str):
    client = app.test_client()
    response = login(client, email, PASSWORDS[email])
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def test_nothing_is_served_to_anonymous_visitors(app, world):
    client = app.test_client()
    for url in (f"/visits/{world.visit_id}/report.pdf",
                f"/visits/{world.visit_id}/public-report.pdf",
                f"/facilities/{world.facility}/report.html",
                f"/facilities/{world.facility}/public-report.html",
                THEMATIC, "/checklists/core/1/print.pdf"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_a_viewer_gets_public_editions_but_no_internal_report(app, world):
    client = signed_in(app, "viewer@demo.example")
    assert client.get(f"/visits/{world.visit_id}/report.html").status_code == 403
    assert client.get(f"/facilities/{world.facility}/report.html").status_code == 403
    assert client.get(THEMATIC).status_code == 403
    public = client.get(f"/facilities/{world.facility}/public-report.html")
    assert public.status_code == 200 and public.mimetype == "text/html"
    html = public.get_data(as_text=True)
    assert "fewer than 5" in html
    assert not [k for k, v in world.secret.items() if v in html]
    thematic = client.get(THEMATIC + "&public=1")
    assert thematic.status_code == 200
    assert "Health care" in thematic.get_data(as_text=True)


def test_a_monitor_downloads_the_confidential_visit_report_as_pdf(app, world):
    client = signed_in(app, "monitor@demo.example")
    response = client.get(f"/visits/{world.visit_id}/report.pdf?lang=es")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.data))
    first = " ".join(reader.pages[0].extract_text().split())
    assert translations_for("es").gettext("CONFIDENTIAL") in first  # "CONFIDENCIAL"
    assert format_date(today(), "long", locale="es") in first
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert world.internal["team-member"] in text


def test_internal_reports_stay_within_the_organisation(app, world):
    other = signed_in(app, "coordinator@other.example")
    assert other.get(f"/visits/{world.visit_id}/report.html").status_code == 404
    # The other organisation has no visit of this facility: nothing internal to report.
    assert other.get(f"/facilities/{world.facility}/report.html").status_code == 404
    mine = signed_in(app, "monitor@demo.example")
    html = mine.get(f"/facilities/{world.facility}/report.html").get_data(as_text=True)
    assert world.internal["recommendation-text"] in html


def test_bad_requests_are_explained(app, world):
    client = signed_in(app, "monitor@demo.example")
    missing = client.get("/reports/thematic.html?theme=health&country=MEX")
    assert missing.status_code == 422
    assert "?from=YYYY-MM-DD&amp;to=YYYY-MM-DD" in missing.get_data(as_text=True)
    wrong = client.get(f"/facilities/{world.facility}/report.html?from=2024-13-01")
    assert wrong.status_code == 422
    assert client.get(f"/visits/{world.visit_id}/report.html?lang=fr").status_code == 422
    unpublished = client.get(f"/visits/{world.hidden_visit_id}/public-report.html")
    assert unpublished.status_code == 404


def test_the_blank_checklist_prints_to_pdf(app):
    client = signed_in(app, "viewer@demo.example")
    response = client.get("/checklists/core/1/print.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) > 10
    first = " ".join(reader.pages[0].extract_text().split())
    assert "Core checklist for visits to immigration detention" in first
    assert f"Page 1 of {len(reader.pages)}" in first
