"""What the map pages of both blueprints share: the map document, its CSP, the location sketch.

Not a blueprint: the public map lives on the public blueprint (``/map``) and the internal one
on the dashboard blueprint (``/dashboard/map``); both call :func:`map_document`.

The map is its own document, shown in an ``<iframe>``: folium writes inline scripts, which the
site-wide policy forbids. Only these map routes get a policy that allows inline scripts, and
it still names no other host: scripts, styles and images come from this site or the page.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from monitor.checklists.schema import LocalText
from monitor.core.errors import InputError
from monitor.services import dashboards
from monitor.services.catalog import ChecklistCatalog
from monitor.services.facilities import country_name

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


def map_document(facilities: Sequence[dashboards.MapFacility], countries: Sequence[Any], *,
                 colour: str, public: bool, minimum: int,
                 type_labels: Mapping[Any, Any]) -> Response:
    """The rendered map as its own HTML document, with the map policy.

    A public map may be framed by any site (the embed snippet); an internal one only here.
    Browsers that know ``frame-ancestors`` ignore the site-wide ``X-Frame-Options`` in favour
    of it.
    """
    from monitor.outputs import maps

    fmap = dashboards.build_map(
        facilities, countries, colour=colour, public=public, minimum=minimum,
        language=language(), asset_url=asset_url, link_target="_top",
        type_labels={getattr(k, "value", k): str(v) for k, v in type_labels.items()},
    )
    response = Response(maps.render_html(fmap), mimetype="text/html")
    response.headers["Content-Security-Policy"] = MAP_POLICY.format(
        ancestors="*" if public else "'self'")
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
