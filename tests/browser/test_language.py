"""Switching to Spanish in headless Chromium and filling part of a checklist section in it.

Debian's Chromium through Playwright (never a browser fetched by ``playwright install``),
against the real app on a free local port.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from monitor.db.models import User, Visit
from monitor.db.session import make_session_factory
from monitor.services import accounts
from monitor.services import facilities as registry
from monitor.services import visits as visit_service
from monitor.services.facilities import FacilityData
from tests.conftest import PASSWORD, make_settings

pytestmark = pytest.mark.browser

EMAIL = "rosa@test.example"


@pytest.fixture
def live(tmp_path: Path, sqlite_url: str) -> Iterator[dict]:
    """The app on 127.0.0.1, a monitor, and a draft visit whose team got inside."""
    from monitor.web.app import create_app

    settings = make_settings(tmp_path, sqlite_url)
    app = create_app(settings)
    factory = make_session_factory(settings.database_url)
    with factory() as session:
        user = accounts.create_user(session, EMAIL, PASSWORD, role="monitor",
                                    organisation="Observatorio Sur", name="Rosa")
        facility = registry.create_facility(
            session, FacilityData(name="Estación Migratoria Acayucan", country="MEX"))
        checklist = app.extensions["monitor.catalog"].get("core")
        visit = visit_service.create_visit(session, facility=facility, by=user,
                                           checklist=checklist, start_date=date(2024, 5, 6))
        visit_service.save_answers(session, visit, {"visit_took_place": "yes"}, by=user,
                                   vault=app.extensions["monitor.vault"], checklist=checklist)
        session.commit()
        visit_id, user_id = visit.id, user.id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_port}", "visit_id": visit_id,
               "user_id": user_id, "factory": factory, "vault": app.extensions["monitor.vault"]}
    finally:
        server.shutdown()
        thread.join(timeout=5)
        factory.kw["bind"].dispose()


def test_switch_to_spanish_and_save_part_of_a_section(live, browser) -> None:
    # An English-speaking browser: the switch, not the browser, makes the pages Spanish.
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Script errors and CSP refusals; a missing favicon, and the 422 status of the page that
    # shows refused answers (expected below), are not problems.
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.location.get("url", "").endswith("/favicon.ico")
            and "status of 422" not in m.text else None)

    page.goto(f"{live['url']}/login")
    assert page.get_attribute("html", "lang") == "en"
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/.*"))
    assert page.locator("h1").first.text_content().strip() == "Overview"

    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "es"
    assert page.locator("h1").first.text_content().strip() == "Resumen general"
    assert page.get_by_role("button", name="English").is_visible()  # the way back
    assert page.get_by_role("button", name="Cerrar sesión").is_visible()

    page.goto(f"{live['url']}/visits/{live['visit_id']}/sections/access")
    assert page.get_attribute("html", "lang") == "es"
    assert page.locator("h1").text_content().strip() == "Acceso al lugar de detención"
    refused = page.locator("#q-entry_initially_refused")
    assert "¿Se negó la entrada al principio" in refused.locator("legend").text_content()
    delay_label = page.locator("label[for=f-entry_delay_minutes]").text_content()
    assert "¿Cuántos minutos pasaron" in delay_label and "(obligatoria)" in delay_label

    refused.locator("label", has_text="No").click()
    page.fill("#f-entry_delay_minutes", "99999")  # more than a day: the checklist refuses it
    page.get_by_role("button", name="Guardar borrador").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert "Algunas respuestas no se guardaron" in summary.text_content()
    error = page.locator("#q-entry_delay_minutes-error")
    assert "Escriba un número de minutos entre 0 y 1440" in error.text_content()

    page.fill("#f-entry_delay_minutes", "35")
    page.get_by_role("button", name="Guardar borrador").click()
    page.wait_for_load_state()
    flash = page.locator(".flash").first.text_content().strip()
    assert re.fullmatch(r"Guardado \(\d+ respuestas? modificadas?\)\.", flash), flash
    assert page.locator("#q-entry_initially_refused input[value=no]").is_checked()
    assert page.input_value("#f-entry_delay_minutes") == "35"

    with live["factory"]() as session:
        stored = visit_service.current_answers(session.get(Visit, live["visit_id"]),
                                               live["vault"])
        assert stored["entry_initially_refused"] == "no"
        assert stored["entry_delay_minutes"] == 35
        assert session.get(User, live["user_id"]).language == "es"  # the switch was saved
    assert problems == []
    context.close()
