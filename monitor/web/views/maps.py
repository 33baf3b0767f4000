"""What the map pages of both blueprints share: the map document, its CSP, the location sketch.

Not a blueprint: the public map lives on the public blueprint (``/map``) and the internal one
on the dashboard blueprint (``/dashboard/map``); both call :func:`map_document`.

The map is its own document, shown in an ``<iframe>``: folium writes inline scripts, which the
site-wide policy forbids. Only these map routes get a policy that allows inline scripts, and
it still names no other host: scripts, styles and images come from this site or the page.

Serving it cheaply: the document links Leaflet from ``/static`` and fetches the country shapes
from one long-cached address (:func:`outlines_response`), so it carries only its facilities.
A worker keeps the documents it rendered (:class:`DocumentCache`) under a digest of everything
they are drawn from — the facility rows the gate returned, the country figures, colour,
language, links — so a repeated request skips folium, and a publication, which changes the
rows, changes the digest. The digest is also the ETag: a browser holding the same map gets a
304.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import Response, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from monitor.checklists.schema import LocalText
from monitor.core.errors import InputError
from monitor.services import dashboards
from monitor.services.catalog import ChecklistCatalog
from monitor.services.facilities import country_name

log = logging.getLogger(__name__)

#: The map document's policy: inline scripts allowed (folium), nothing from other hosts.
MAP_POLICY = "; ".join([  # noqa: FLY002 - one directive a line reads best
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors {ancestors}",
])


def language() -> str:
    """The page's language as a bare code (``es`` for ``es_MX``): the maps' and catalogue's
    words are kept per language, not per region."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def asset_url(path: str) -> str:
    """A vendor file (``leaflet/leaflet.js``) → its URL on this site."""
    return url_for("static", filename="vendor/" + path)


def colour_choice(value: str | None) -> str:
    """The ``?colour=`` parameter, or the default; an unknown value is refused (422)."""
    chosen = (value or "compliance").strip()
    if chosen not in dashboards.COLOUR_CHOICES:
        raise InputError(_("The map cannot be coloured by '%(chosen)s': choose one of "
                           "%(choices)s.", chosen=chosen,
                           choices=", ".join(dashboards.COLOUR_CHOICES)))
    return chosen


def map_document(facilities: Sequence[dashboards.MapFacility],
                 countries: Sequence[Any] | Callable[[], Sequence[Any]], *,
                 colour: str, public: bool, minimum: int,
                 type_labels: Mapping[Any, Any]) -> Response:
    """The rendered map as its own HTML document, with the map policy and an ETag.

    A public map may be framed by any site (the embed snippet); an internal one only here.
    Browsers that know ``frame-ancestors`` ignore the site-wide ``X-Frame-Options`` in favour
    of it. A public map may be kept by browsers and revalidated (``no-cache``); an internal
    one keeps the site's ``no-store``.

    :param facilities: what the gate (public) or the reader's view (internal) returned: the
        document is kept under a digest of these, so it changes when they do.
    :param countries: the per-country figures, or a function computing them from the same
        rows (called only when the document is drawn: they follow from *facilities*).
    """
    key, body = document_parts(facilities, countries, colour=colour, public=public,
                               minimum=minimum, type_labels=type_labels)
    return document_response(key, body, public=public)


def document_parts(facilities: Sequence[dashboards.MapFacility],
                   countries: Sequence[Any] | Callable[[], Sequence[Any]], *,
                   colour: str, public: bool, minimum: int,
                   type_labels: Mapping[Any, Any]) -> tuple[str | None, bytes]:
    """The document's ETag (a digest of everything it shows) and its HTML, kept or drawn."""
    choices = {
        "colour": colour, "public": public, "minimum": minimum, "language": language(),
        "type_labels": {str(getattr(k, "value", k)): str(v) for k, v in type_labels.items()},
        "assets": asset_url(""), "outlines": outlines_url(),
    }
    key = document_key(facilities, () if callable(countries) else countries, choices)
    cache = document_cache()
    body = cache.get(key) if key is not None else None
    if body is None:
        body = _render(facilities, countries() if callable(countries) else countries, choices)
        if key is not None:
            cache.put(key, body)
    return key, body


def document_response(key: str | None, body: bytes, *, public: bool) -> Response:
    """The map document with its policy headers and ETag (or a 304 when the reader has it)."""
    headers = {"Content-Security-Policy": MAP_POLICY.format(ancestors="*" if public else "'self'")}
    if public:
        headers["Cache-Control"] = "no-cache"
    if key is not None and key in request.if_none_match:
        return _with_headers(Response(status=304), key, headers)
    return _with_headers(Response(body, mimetype="text/html"), key, headers)


def _render(facilities: Sequence[dashboards.MapFacility], countries: Sequence[Any],
            choices: Mapping[str, Any]) -> bytes:
    from monitor.outputs import maps

    fmap = dashboards.build_map(
        facilities, countries, colour=choices["colour"], public=choices["public"],
        minimum=choices["minimum"], language=choices["language"], asset_url=asset_url,
        link_target="_top", type_labels=choices["type_labels"],
    )
    maps.link_outlines(fmap, choices["outlines"])
    return maps.render_html(fmap).encode("utf-8")


def _with_headers(response: Response, key: str | None, headers: Mapping[str, str]) -> Response:
    response.headers.update(headers)
    response.vary.add("Accept-Language")  # the language may come from the browser's choice
    if key is not None:
        response.set_etag(key)
    return response


# --- The kept documents -----------------------------------------------------------------------

#: At most this many documents per worker (one per filter, colour and language in use)...
DOCUMENT_CACHE_ENTRIES = 64
#: ...and at most this many bytes (a document of 5,000 facilities is about 0.6 MB).
DOCUMENT_CACHE_BYTES = 24 * 1024 * 1024
_EXTENSION = "monitor.map_documents"


class DocumentCache:
    """A least-recently-used store of rendered map documents, bounded in count and bytes.

    Keys are digests of the documents' inputs, so an entry is never stale: changed data gives
    another key, and the old entry ages out. Shared by a worker's threads.
    """

    def __init__(self, entries: int = DOCUMENT_CACHE_ENTRIES,
                 max_bytes: int = DOCUMENT_CACHE_BYTES) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._bodies)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._bodies.get(key)
            if body is None:
                self.misses += 1
                return None
            self._bodies.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 4:  # one huge map may not push out all the others
            return
        with self._lock:
            old = self._bodies.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._bodies[key] = body
            self._bytes += len(body)
            while len(self._bodies) > self.entries or self._bytes > self.max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self._bytes -= len(dropped)


def document_cache() -> DocumentCache:
    """This application's store of map documents (made on first use)."""
    cache = current_app.extensions.get(_EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(_EXTENSION, DocumentCache())
    return cache


def document_key(facilities: Sequence[Any], countries: Sequence[Any],
                 choices: Mapping[str, Any]) -> str | None:
    """A digest of everything a map document is drawn from; ``None`` if it cannot be made.

    The rows are pickled, not printed: a pickle tells a suppressed count (``Suppressed``, a
    ``str``) from the same text, and it is fast. Equal rows that pickle differently only cost a
    miss; rows that do not pickle (a new kind of value) are simply not kept.
    """
    try:
        rows = pickle.dumps((list(facilities), list(countries)), protocol=5)
    except (pickle.PicklingError, TypeError, AttributeError) as problem:
        log.warning("map document not kept: its rows cannot be digested (%s)", problem)
        return None
    digest = hashlib.sha256(_code_version())
    digest.update(json.dumps(choices, sort_keys=True, default=str).encode("utf-8"))
    digest.update(rows)
    return digest.hexdigest()[:40]


@functools.cache
def _code_version() -> bytes:
    """The code that draws a map: a new release must not be answered with an old ETag."""
    import monitor
    from monitor.outputs import maps

    digest = hashlib.sha256(monitor.__version__.encode("ascii"))
    for module in (maps, dashboards):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.digest()


# --- Country outlines -------------------------------------------------------------------------

#: The boundaries every map is drawn on (``dashboards.build_map`` uses the same).
OUTLINES_RESOLUTION = "110m"


@functools.cache
def _outlines() -> tuple[bytes, str]:
    """The country shapes as GeoJSON bytes, and their version (a digest of the bytes)."""
    from monitor.aggregate.geo import load_countries
    from monitor.outputs import maps

    shapes = maps.outlines_geojson(load_countries(OUTLINES_RESOLUTION))
    body = json.dumps(shapes, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()[:16]


def outlines_url() -> str:
    """The address of the country shapes, with their version (so it can be cached for good)."""
    return url_for("public.map_outlines", v=_outlines()[1])


def outlines_response() -> Response:
    """The country shapes every map draws: public-domain boundaries, the same for every map.

    Asked for with the current version (``?v=``, as :func:`outlines_url` writes it), the
    answer may be kept for a year; without it, it must be revalidated (ETag, 304). Any origin
    may read it: an embedded map runs in a sandboxed frame, whose requests come from no origin.
    """
    body, version = _outlines()
    current = request.args.get("v") == version
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable" if current else "public, no-cache",
        "Access-Control-Allow-Origin": "*",
    }
    if version in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(body, mimetype="application/geo+json")
    response.headers.update(headers)
    response.set_etag(version)
    return response


def colour_options() -> list[tuple[str, str]]:
    """``(value, label)`` for the colour select, in the page's language."""
    words = dashboards.map_words(language())
    return [(choice, words[choice]) for choice in dashboards.COLOUR_CHOICES]


# --- Labels -----------------------------------------------------------------------------------


def red_flag_labels(catalog: ChecklistCatalog) -> dict[str, LocalText]:
    """Red flag code → its label, from every installed checklist (newest wins)."""
    labels: dict[str, LocalText] = {}
    for checklist in catalog:
        for flag in checklist.red_flags:
            labels[flag.id] = flag.label
    return labels


def area_names(catalog: ChecklistCatalog) -> dict[str, LocalText]:
    """Monitoring area id → name, for areas and sub-areas."""
    return {area.id: area.name for area in catalog.standards.areas.values()}


# --- Location sketch --------------------------------------------------------------------------

SKETCH_WIDTH = 320
SKETCH_HEIGHT = 200
#: Wider than this (degrees), a country is cropped to a window around the point.
MAX_SPAN = 36.0


def location_sketch(iso3: str, latitude: float | None, longitude: float | None,
                    label: str = "") -> Markup:
    """A small static map: the country's outline around the point, its neighbours in grey.

    Drawn on the server as SVG from the bundled Natural Earth boundaries: no script, no tile,
    no network, and the same picture in a page and a PDF.

    :param label: the accessible name (e.g. "Location of X in Mexico").
    :returns: ``<svg>`` markup, or an empty string without coordinates.
    """
    if latitude is None or longitude is None:
        return Markup("")
    body = _sketch_body(iso3.upper(), round(float(latitude), 3), round(float(longitude), 3))
    name = label or country_name(iso3)
    return Markup(
        '<svg viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{label}" '
        'class="location-sketch"><title>{label}</title>{body}</svg>'
    ).format(w=SKETCH_WIDTH, h=SKETCH_HEIGHT, label=name, body=body)


@functools.lru_cache(maxsize=512)
def _sketch_body(iso3: str, latitude: float, longitude: float) -> Markup:
    from shapely.geometry import box

    from monitor.aggregate.geo import load_countries

    countries = load_countries("110m")
    own = countries[countries["iso3"] == iso3]
    if len(own):
        west, south, east, north = own.geometry.union_all().bounds
        west, east = min(west, longitude), max(east, longitude)
        south, north = min(south, latitude), max(north, latitude)
    else:  # a small state the coarse file lacks: a window around the point
        west, south, east, north = longitude - 4, latitude - 3, longitude + 4, latitude + 3
    if east - west > MAX_SPAN:
        west, east = longitude - MAX_SPAN / 2, longitude + MAX_SPAN / 2
    if north - south > MAX_SPAN * 0.6:
        south, north = latitude - MAX_SPAN * 0.3, latitude + MAX_SPAN * 0.3
    pad_x, pad_y = max((east - west) * 0.08, 0.5), max((north - south) * 0.08, 0.5)
    west, east, south, north = west - pad_x, east + pad_x, south - pad_y, north + pad_y
    # Equirectangular, x shrunk by the cosine of the middle latitude; the window is widened
    # (or heightened) to the sketch's proportions, so land runs to the edges, not sea bands.
    squeeze = math.cos(math.radians((south + north) / 2))
    span_x, span_y = (east - west) * squeeze, north - south
    ratio = SKETCH_WIDTH / SKETCH_HEIGHT
    if span_x < span_y * ratio:
        grow = (span_y * ratio - span_x) / squeeze / 2
        west, east = west - grow, east + grow
    else:
        grow = (span_x / ratio - span_y) / 2
        south, north = max(south - grow, -90.0), min(north + grow, 90.0)
    span_x, span_y = (east - west) * squeeze, north - south
    scale = min(SKETCH_WIDTH / span_x, SKETCH_HEIGHT / span_y)
    off_x = (SKETCH_WIDTH - span_x * scale) / 2
    off_y = (SKETCH_HEIGHT - span_y * scale) / 2

    def xy(lon: float, lat: float) -> str:
        return f"{off_x + (lon - west) * squeeze * scale:.1f} {off_y + (north - lat) * scale:.1f}"

    window = box(west, south, east, north)
    near = countries[countries.intersects(window)]
    paths = []
    for code, geometry in zip(near["iso3"], near.geometry):
        clipped = geometry.intersection(window)
        if clipped.is_empty:
            continue
        data = _path(clipped, xy)
        css = "mm-country" if code == iso3 else "mm-land"
        paths.append(f'<path class="{css}" d="{data}"/>')
    px, py = xy(longitude, latitude).split()
    point = (f'<circle class="mm-halo" cx="{px}" cy="{py}" r="8"/>'
             f'<circle class="mm-point" cx="{px}" cy="{py}" r="4.5"/>')
    sea = f'<rect class="mm-sea" width="{SKETCH_WIDTH}" height="{SKETCH_HEIGHT}"/>'
    return Markup(sea + "".join(paths) + point)


def _path(geometry: Any, xy: Any) -> str:
    parts = []
    polygons = getattr(geometry, "geoms", [geometry])
    for polygon in polygons:
        if polygon.geom_type != "Polygon":
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            coords = list(ring.coords)
            if len(coords) < 3:
                continue
            parts.append("M" + " L".join(xy(lon, lat) for lon, lat in coords) + " Z")
    return str(escape(" ".join(parts)))
