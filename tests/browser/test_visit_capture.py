"""Filling in a visit in headless Chromium: live skip logic, autosave, and a session that expires.

Uses Debian's Chromium through Playwright (never a browser downloaded by ``playwright
install``), against the real app served on a free local port.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from monitor.db.models import Visit
from monitor.db.session import make_session_factory
from monitor.services import accounts
from monitor.services import facilities as registry
from monitor.services import visits as visit_service
from monitor.services.facilities import FacilityData
from tests.conftest import PASSWORD, make_settings

pytestmark = pytest.mark.browser

SCREENSHOT = Path(tempfile.gettempdir()) / "visit-capture.png"  # for a person to look at


@pytest.fixture
def live(tmp_path: Path, sqlite_url: str) -> Iterator[dict]:
    """The app on 127.0.0.1 (a free port), a monitor, and a visit whose team got inside."""
    from monitor.web.app import create_app

    settings = make_settings(tmp_path, sqlite_url)
    app = create_app(settings)
    factory = make_session_factory(settings.database_url)
    with factory() as session:
        user = accounts.create_user(
            session,
            "alba@test.example",
            PASSWORD,
            role="monitor",
            organisation="Colectivo Frontera",
            name="Alba",
        )
        facility = registry.create_facility(
            session, FacilityData(name="Estación Migratoria Tenosique", country="MEX")
        )
        checklist = app.extensions["monitor.catalog"].get("core")
        visit = visit_service.create_visit(
            session, facility=facility, by=user, checklist=checklist, start_date=date(2024, 3, 18)
        )
        visit_service.save_answers(
            session,
            visit,
            {"visit_took_place": "yes"},
            by=user,
            vault=app.extensions["monitor.vault"],
            checklist=checklist,
        )
        session.commit()
        visit_id = visit.id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "url": f"http://127.0.0.1:{server.server_port}",
            "visit_id": visit_id,
            "factory": factory,
            "vault": app.extensions["monitor.vault"],
        }
    finally:
        server.shutdown()
        thread.join(timeout=5)
        factory.kw["bind"].dispose()


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", "alba@test.example")
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard/.*"))


def stored(live: dict) -> dict:
    with live["factory"]() as session:
        return visit_service.current_answers(session.get(Visit, live["visit_id"]), live["vault"])


def autosaved(page, action) -> dict:
    """Do *action* and return the JSON of the autosave it triggers."""
    with page.expect_response(lambda r: r.url.endswith("/autosave")) as response:
        action()
    return response.value.json()


def test_skip_logic_and_autosave_in_the_browser(live, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Script errors and refusals by the Content-Security-Policy; a missing favicon is not one.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    sign_in(page, live["url"])
    section = f"{live['url']}/visits/{live['visit_id']}/sections/treatment"
    page.goto(section)

    dependent = page.locator("#q-solitary_max_consecutive_days")
    assert page.locator("#q-isolation_used").is_visible()
    assert dependent.is_hidden()
    assert page.locator("#f-solitary_max_consecutive_days").is_disabled()

    autosaved(page, lambda: page.locator("#q-isolation_used label", has_text="Yes").click())
    dependent.wait_for(state="visible")
    assert page.locator("#q-isolation_register_exists").is_visible()
    body = autosaved(page, lambda: page.fill("#f-solitary_max_consecutive_days", "45"))
    assert body["saved"] == ["solitary_max_consecutive_days"]
    assert stored(live)["solitary_max_consecutive_days"] == 45
    assert page.locator("#autosave-status").text_content().startswith("Saved at")

    # A value the checklist does not allow: the message appears next to the field.
    autosaved(page, lambda: page.fill("#f-health_visits_isolation_hours", "99999"))
    error = page.locator("#q-health_visits_isolation_hours-error")
    error.wait_for(state="visible")
    assert "between 0 and 8760" in error.text_content()
    assert "health_visits_isolation_hours" not in stored(live)

    autosaved(page, lambda: page.locator("#q-isolation_used label", has_text="No").click())
    dependent.wait_for(state="hidden")
    assert stored(live)["isolation_used"] == "no"
    autosaved(page, lambda: page.locator("#q-isolation_used label", has_text="Yes").click())
    dependent.wait_for(state="visible")
    page.screenshot(path=str(SCREENSHOT), full_page=False)

    page.reload()
    assert page.locator("#q-isolation_used input[value=yes]").is_checked()
    assert page.input_value("#f-solitary_max_consecutive_days") == "45"
    assert dependent.is_visible()
    assert problems == []
    context.close()


def test_changes_made_after_the_session_expired_are_kept_and_saved_later(live, browser):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live["url"])
    section = f"{live['url']}/visits/{live['visit_id']}/sections/access"
    page.goto(section)
    context.clear_cookies()  # the session ends while the page is open
    refused = autosaved(page, lambda: page.fill("#f-entry_delay_minutes", "35"))
    assert refused["error"]
    banner = page.locator("#autosave-alert")
    banner.wait_for(state="visible")
    assert "session has expired" in banner.text_content()
    assert "entry_delay_minutes" not in stored(live)
    kept = page.evaluate("Object.keys(window.localStorage)")
    assert kept == [f"dm-visit-{live['visit_id']}-access"]

    sign_in(page, live["url"])
    body = autosaved(page, lambda: page.goto(section))  # restored from the browser, then saved
    assert body["saved"] == ["entry_delay_minutes"]
    assert page.input_value("#f-entry_delay_minutes") == "35"
    assert (
        "restored" in page.locator("#autosave-alert").text_content()
        or page.locator("#autosave-alert").is_hidden()
    )
    assert stored(live)["entry_delay_minutes"] == 35
    assert page.evaluate("window.localStorage.length") == 0
    context.close()
