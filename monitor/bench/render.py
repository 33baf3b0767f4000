"""Render time of a map page in headless Chromium (Debian's), offline, against a bare Leaflet page.

Both pages are served by the same bench server, so Leaflet and the cluster plugin come from the
same local files; every request to another host is aborted. The time is from navigation to the
first drawn cluster or marker, the median of a few runs.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
_DRAWN = ("() => document.querySelector('.marker-cluster, .leaflet-marker-icon, "
          "path.leaflet-interactive') !== null")


def bare_page(points: list[tuple[float, float]]) -> str:
    """A minimal Leaflet + markercluster page drawing *points* as circle markers."""
    data = json.dumps([[round(a, 5), round(b, 5)] for a, b in points])
    return f"""<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css">
<link rel="stylesheet" href="/static/vendor/markercluster/MarkerCluster.css">
<link rel="stylesheet" href="/static/vendor/markercluster/MarkerCluster.Default.css">
<style>html,body,#map{{height:100%;margin:0}}</style></head><body><div id="map"></div>
<script src="/static/vendor/leaflet/leaflet.js"></script>
<script src="/static/vendor/markercluster/leaflet.markercluster.js"></script>
<script>
var map = L.map('map', {{maxZoom: 18}}).setView([20, 0], 2);
var cluster = L.markerClusterGroup();
var points = {data};
cluster.addLayers(points.map(function (p) {{ return L.circleMarker(p, {{radius: 6}}); }}));
map.addLayer(cluster);
</script></body></html>"""


def points_in(html: bytes) -> list[tuple[float, float]]:
    """The facility coordinates embedded in our map document (FastMarkerCluster data)."""
    text = html.decode("utf-8", "replace")
    # Rows are compact JSON arrays that start [latitude,longitude,"name",...].
    return [(float(a), float(b)) for a, b in
            re.findall(r'\[(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?),"', text)]


def render_times(port: int, path: str, our_html: bytes, *, runs: int = 3) -> tuple[float, float]:
    """(ours, bare) median milliseconds to first markers."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    origin = f"http://127.0.0.1:{port}"
    bare = bare_page(points_in(our_html))
    ours_ms, bare_ms = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                for target, sink in ((origin + path, ours_ms), (origin + "/__bare_leaflet", bare_ms)):
                    page = browser.new_page()
                    page.route("**/*", lambda route: _local_only(route, origin, bare))
                    page.goto(target, wait_until="commit")
                    page.wait_for_function(_DRAWN, timeout=120_000)
                    sink.append(page.evaluate("performance.now()"))
                    page.close()
        finally:
            browser.close()
    return statistics.median(ours_ms), statistics.median(bare_ms)


def _local_only(route, origin: str, bare: str) -> None:
    url = route.request.url
    if url.startswith(origin + "/__bare_leaflet"):
        route.fulfill(status=200, content_type="text/html", body=bare)
    elif url.startswith(origin) or url.startswith("data:"):
        route.continue_()
    else:
        route.abort()
