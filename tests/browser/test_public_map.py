"""The public map in headless Chromium, against the real app, with every other host cut off.

Uses Debian's Chromium through Playwright (never a browser that ``playwright install``
downloads). Any request that does not go to the local server is aborted and recorded, so a
map that reached for a CDN or a tile server fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from monitor.core import assets
from monitor.db.models import VisitState
from monitor.db.session import make_session_factory
from tests.conftest import make_settings
from tests.dashboard import factory

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
COUNT = 60  # facilities, spread over five countries (twelve each)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def live(tmp_path: Path, sqlite_url: str) -> Iterator[str]:
    """The app on a free local port, with published visits for most facilities."""
    from monitor.web.app import create_app

    if assets.missing():
        _unavailable(f"vendor assets not installed: {assets.missing()}")
    settings = make_settings(tmp_path, sqlite_url)
    sessions = make_session_factory(settings.database_url)
    with sessions() as session:
        org = factory.organisation(session, "Org Map")
        ids = factory.add_facilities(session, COUNT, prefix="W")
        factory.add_bulk_visits(session, ids, org, visited_share=0.9)
        factory.add_visit(session, ids[0], org, day=date(2026, 3, 2),
                          figures={"children": 3, "population": 40}, state=VisitState.PUBLISHED)
        session.commit()
    sessions.kw["bind"].dispose()
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def page(live: str) -> Iterator[object]:
    if CHROMIUM is None:
        _unavailable("Chromium is not installed (Debian package chromium).")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 1000})
        tab.problems, tab.blocked = [], []
        tab.on("pageerror", lambda error: tab.problems.append(str(error)))
        tab.on("console", lambda m: tab.problems.append(m.text) if m.type == "error" else None)

        def only_local(route) -> None:
            if route.request.url.startswith(live):
                route.continue_()
            else:
                tab.blocked.append(route.request.url)
                route.abort()

        tab.route("**/*", only_local)
        try:
            yield tab
        finally:
            browser.close()


def _map_frame(tab):
    tab.wait_for_selector("iframe.map-frame")
    frame = tab.frame_locator("iframe.map-frame")
    frame.locator(".marker-cluster, .dm-pin").first.wait_for(timeout=30_000)
    return frame


def _markers_shown(tab) -> int:
    """Facilities drawn: single pins plus the numbers written on the clusters.

    Read until two readings half a second apart agree: while the map zooms to fit, the
    clusters of two zoom levels are on screen together.
    """
    frame = next(f for f in tab.frames if "/map/frame" in f.url)
    script = """() => {
        let total = document.querySelectorAll('.dm-pin').length;
        document.querySelectorAll('.marker-cluster span').forEach(
            (span) => { total += parseInt(span.textContent, 10); });
        return total;
    }"""
    previous = -1
    for _ in range(20):
        tab.wait_for_timeout(500)
        current = frame.evaluate(script)
        if current == previous:
            return current
        previous = current
    raise AssertionError("the markers never settled")


def _outlines_drawn(frame_locator) -> int:
    """Country shapes on the map once they are fetched (the document carries none)."""
    paths = frame_locator.locator(".leaflet-overlay-pane path")
    paths.nth(149).wait_for(state="attached", timeout=30_000)
    return paths.count()


def _open_popup(frame, attempts: int = 8):
    for _ in range(attempts):
        pins = frame.locator(".dm-pin")
        if pins.count():
            pins.first.click()
            popup = frame.locator(".leaflet-popup-content")
            popup.wait_for(timeout=5_000)
            return popup
        frame.locator(".marker-cluster").first.click()
        frame.locator(".dm-pin, .marker-cluster").first.wait_for(timeout=5_000)
        frame.locator("body").evaluate("() => new Promise((r) => setTimeout(r, 600))")
    raise AssertionError("no single marker appeared after zooming into clusters")


def test_public_map_markers_country_layer_popup_and_colour_choice(live, page):
    page.goto(f"{live}/map")
    frame = _map_frame(page)
    assert _markers_shown(page) == COUNT
    assert _outlines_drawn(frame) >= 150  # the world's outlines, from the local server only
    assert frame.locator(".dm-legends").is_visible()
    assert frame.locator(".dm-legend-points strong").first.inner_text() == \
        "Standards met (latest visit)"

    # A country layer from the layer switcher: countries get coloured, with their legend.
    before = frame.locator("path.leaflet-interactive").count()
    frame.get_by_label("People held per country").check()
    frame.locator('.dm-legend-areas[data-layer="People held per country"]').wait_for()
    assert frame.locator("path.leaflet-interactive").count() > before

    # A popup: the facility's public summary and a link to its profile.
    popup = _open_popup(frame)
    link = popup.get_by_role("link", name="Open the facility profile")
    href = link.get_attribute("href")
    assert re.fullmatch(r"/facilities/F-W\d{5}/profile", href), href
    name = popup.locator("strong").inner_text()
    assert re.search(r"Standards met: \d+%|No published visit yet", popup.inner_text())
    link.click()
    page.wait_for_url(re.compile(r".*/facilities/F-W\d{5}/profile$"))
    assert page.locator("h1").inner_text() == name

    # Choosing what colours the markers reloads the map with that legend.
    page.goto(f"{live}/map")
    _map_frame(page)
    page.select_option("#m-colour", "children")
    page.wait_for_url(re.compile(r".*colour=children.*"))
    frame = _map_frame(page)
    legend = frame.locator(".dm-legend-points strong").first
    assert legend.inner_text() == "Children held (latest visit)"
    assert "Fewer than 5" in frame.locator(".dm-legend-points").first.inner_text()

    # A country filter shows that country's facilities only.
    page.select_option("#m-country", "MEX")
    page.wait_for_url(re.compile(r".*country=MEX.*"))
    _map_frame(page)
    assert _markers_shown(page) == COUNT // 5

    assert page.problems == []
    assert page.blocked == []


def test_an_embedded_map_in_a_sandboxed_frame_still_draws_its_outlines(live, page):
    """The embed code sandboxes the frame (no same origin): the shapes are fetched anyway."""
    page.goto(f"{live}/map")
    snippet = page.locator("#embed-code").input_value()
    assert 'sandbox="' in snippet and "allow-same-origin" not in snippet

    def host(route) -> None:  # a partner's page, with nothing but the snippet
        route.fulfill(status=200, content_type="text/html",
                      body=f"<!doctype html><title>Partner</title>{snippet}")

    page.route(f"{live}/__partner", host)
    page.goto(f"{live}/__partner")
    frame = page.frame_locator("iframe")
    frame.locator(".marker-cluster, .dm-pin").first.wait_for(timeout=30_000)
    assert _outlines_drawn(frame) >= 150
    assert page.problems == []
    assert page.blocked == []
