"""The standalone facility map in headless Chromium, opened from disk with the network cut off.

Uses Debian's Chromium through Playwright (never a browser downloaded by ``playwright
install``). Every request that is not a file:// URL is aborted and recorded, so a map that
tried to reach a CDN or a tile server fails here.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from monitor.aggregate import geo
from monitor.core import assets
from monitor.outputs import maps

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")  # Debian's package; Playwright's own download is not used
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LEGEND = maps.share_met_legend(
    title="Standards met",
    labels=("Under 50%", "50–79%", "80% or more"),
    missing_label="Not assessed",
)
XSS_NAME = 'Centre <img src=x onerror="window.__xss = 1"> "B" & \'C\''


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        _skip_or_fail("Chromium is not installed (Debian package chromium).")
    if assets.missing():
        _skip_or_fail(f"vendor assets not installed: {assets.missing()}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class OfflinePage:
    """A page that may load file:// URLs only, and records page errors and other requests."""

    def __init__(self, browser) -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.route("**/*", self._route)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def open(self, path: Path) -> float:
        started = time.perf_counter()
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_selector(".marker-cluster, .dm-pin", timeout=30_000)
        return time.perf_counter() - started

    def _inside_map(self, selector: str):
        """The first element matching *selector* that lies well inside the visible map.

        The cluster plugin also keeps markers in a margin around the view, out of sight.
        """
        index = self.page.evaluate(
            """(selector) => {
                const map = document.querySelector('.folium-map').getBoundingClientRect();
                const found = Array.from(document.querySelectorAll(selector)).findIndex((el) => {
                    const box = el.getBoundingClientRect();
                    return box.left > map.left + 60 && box.right < map.right - 260
                        && box.top > map.top + 80 && box.bottom < map.bottom - 40;
                });
                return found;
            }""",
            selector,
        )
        return None if index < 0 else self.page.locator(selector).nth(index)

    def open_a_popup(self, attempts: int = 10):
        """Click a marker, or zoom into a cluster until markers appear; return the popup."""
        for _ in range(attempts):
            pin = self._inside_map(".dm-pin")
            if pin is not None:
                pin.click()
                popup = self.page.locator(".leaflet-popup-content")
                popup.wait_for(timeout=5_000)
                return popup
            cluster = self._inside_map(".marker-cluster")
            assert cluster is not None, "neither a marker nor a cluster is in view"
            cluster.click()
            self.page.wait_for_timeout(700)  # the zoom animation
        raise AssertionError("no marker became clickable")

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def page(browser) -> Iterator[OfflinePage]:
    offline = OfflinePage(browser)
    yield offline
    offline.close()


@pytest.fixture(scope="module")
def countries():
    return geo.load_countries("110m")


def facilities(count: int, seed: int = 3) -> pd.DataFrame:
    rng = random.Random(seed)
    return pd.DataFrame(
        [
            {
                "public_id": f"F-{i:05d}",
                "name": f"Centro {i} {rng.choice(['Tapachula', 'Aluche', 'Lampedusa', 'Calais'])}",
                "country": rng.choice(["Mexico", "Spain", "Italy", "France"]),
                "type": rng.choice(["Dedicated centre", "Police station"]),
                "latitude": rng.uniform(-40, 60),
                "longitude": rng.uniform(-110, 140),
                "value": None if i % 5 == 0 else rng.random(),
                "label": f"Standards met: {rng.randint(0, 100)}%",
                "url": f"/public/facilities/F-{i:05d}",
            }
            for i in range(count)
        ]
    )


def standalone(tmp_path: Path, points: pd.DataFrame, countries, **options) -> Path:
    options.setdefault("legend", LEGEND)
    fmap = maps.facility_map(
        points, countries=countries, asset_url=None, inline_assets=True, **options
    )
    return maps.write_standalone(fmap, tmp_path / "map.html")


def test_standalone_map_works_offline_and_popups_link_to_the_profile(page, tmp_path, countries):
    points = facilities(200)
    page.open(standalone(tmp_path, points, countries))

    assert page.errors == []
    assert page.blocked == []  # nothing tried to leave the file system
    assert page.page.evaluate("typeof window.L") == "object"
    assert page.page.locator(".marker-cluster").count() + page.page.locator(".dm-pin").count() > 0
    assert page.page.locator(".leaflet-overlay-pane path").count() >= 150  # country outlines
    assert page.page.locator(".dm-legend", has_text="Standards met").is_visible()

    popup = page.open_a_popup()
    name = popup.locator("strong").inner_text()
    expected = points.set_index("name").loc[name, "url"]
    link = popup.locator("a")
    assert link.get_attribute("href") == expected
    assert link.inner_text() == "Open the facility profile"
    assert page.errors == [] and page.blocked == []


def test_names_are_shown_as_text_not_markup(page, tmp_path, countries):
    points = pd.DataFrame(
        [
            {
                "name": XSS_NAME,
                "latitude": 19.43,
                "longitude": -99.13,
                "value": 0.2,
                "label": "<b>bold?</b>",
                "url": "/public/facilities/x",
            },
            {
                "name": "Far away",
                "latitude": -33.9,
                "longitude": 151.2,
                "value": 0.9,
                "label": "",
                "url": "/public/facilities/y",
            },
        ]
    )
    page.open(standalone(tmp_path, points, countries))

    pin = page.page.locator(f'.dm-pin[title="{XSS_NAME.replace(chr(34), chr(92) + chr(34))}"]')
    pin.click()
    popup = page.page.locator(".leaflet-popup-content")
    popup.wait_for()

    assert popup.locator("strong").inner_text() == XSS_NAME
    assert "<b>bold?</b>" in popup.inner_text()
    assert popup.locator("img, b").count() == 0
    assert page.page.evaluate("window.__xss") is None
    assert page.errors == [] and page.blocked == []


def test_layer_switcher_swaps_marker_colours_and_legends(page, tmp_path, countries):
    kinds = maps.Legend(
        "Facility type",
        (
            maps.LegendClass("Dedicated centre", "#CC79A7", category="Dedicated centre"),
            maps.LegendClass("Police station", "#56B4E9", category="Police station"),
        ),
        "Other",
    )
    points = facilities(12, seed=11).assign(kind=lambda f: f["type"])
    page.open(
        standalone(tmp_path, points, countries, colour_by=["value", "kind"], legend=[LEGEND, kinds])
    )

    type_legend = page.page.locator(".dm-legend", has_text="Facility type")
    assert not type_legend.is_visible()
    page.page.get_by_label("Facility type").check()
    assert type_legend.is_visible()
    assert not page.page.locator(".dm-legend", has_text="Standards met").is_visible()
    assert page.errors == []


def test_5000_facilities_render_quickly(page, tmp_path, countries):
    path = standalone(tmp_path, facilities(5000, seed=5), countries)

    seconds = page.open(path)

    assert page.errors == [] and page.blocked == []
    assert page.page.locator(".marker-cluster").count() > 0
    assert seconds < 15, f"{seconds:.1f} s to first clusters"
