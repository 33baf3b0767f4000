"""In Chromium: a person signs in and adds a facility to the registry (offline)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from monitor.db.models import Facility
from tests.browser.test_visit_capture import live, sign_in  # noqa: F401 - live is a fixture

pytestmark = pytest.mark.browser


def test_a_monitor_signs_in_and_creates_a_facility(live, browser):  # noqa: F811
    base = live["url"]
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
               else route.abort())
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, base)
    page.goto(f"{base}/facilities/new")
    page.fill("#name", "Estancia Provisional Comitán")
    page.fill("#other_names", "EP Comitán")
    page.select_option("#country", "MEX")
    page.fill("#latitude", "16.25")
    page.fill("#longitude", "-92.13")
    page.select_option("#type", "immigration_detention_centre")
    page.fill("#capacity", "80")
    page.click("form.form-grid button[type=submit]")
    page.wait_for_url("**/facilities/F-*")
    assert page.locator("h1").inner_text() == "Estancia Provisional Comitán"
    assert "EP Comitán" in page.content()
    assert errors == []
    with live["factory"]() as session:
        stored = session.scalar(select(Facility).where(Facility.name == "Estancia Provisional Comitán"))
        assert stored is not None and stored.country == "MEX" and stored.capacity == 80
