"""Facility maps with folium, loading only local copies of Leaflet and its cluster plugin.

folium points every map at CDNs by default. Here each element we create gets its own asset
lists (never folium's shared class-level defaults), built from ``asset_url`` — the web app
passes a function around ``url_for('static', ...)`` — or, for a standalone file, the vendor
files are written into the page itself. :func:`render_html` refuses to render a map that
still refers to a remote script or style sheet, so an element added later cannot bring a CDN
back unnoticed.

Thousands of facilities stay cheap: instead of one folium marker each (≈800 bytes of HTML and
a JavaScript object literal per facility), the page holds one compact array of rows and a
small script that builds the markers in the browser and clusters them with
Leaflet.markercluster (``FastMarkerCluster``'s approach). Popups are built on demand from DOM
nodes and ``textContent``, so facility names never pass through ``innerHTML``.

Country outlines are drawn under the points with a light fill and a sea-coloured background,
so the map is readable with no tile server at all; a tile URL from the settings is optional.
The outline and every country layer share one set of shapes, drawn once the markers are on
screen: a standalone file carries them once; a served page (:func:`link_outlines`) fetches them
from one cacheable address, so the document itself holds no polygon and stays small.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.plugins import FastMarkerCluster
from folium.template import Template
from markupsafe import Markup, escape

from monitor.core import paths
from monitor.core.errors import ConfigError

log = logging.getLogger(__name__)

AssetUrl = Callable[[str], str]
NumberFormat = Callable[[float], str]

#: Files under the vendor folder, in the order the page must load them.
LEAFLET_JS = "leaflet/leaflet.js"
LEAFLET_CSS = "leaflet/leaflet.css"
CLUSTER_JS = "markercluster/leaflet.markercluster.js"
CLUSTER_CSS = ("markercluster/MarkerCluster.css", "markercluster/MarkerCluster.Default.css")

#: The map's own zoom limit. Leaflet.markercluster needs one, and without a tile layer
#: nothing else sets it ("Map has no maxZoom specified").
MAX_ZOOM = 18
#: Coordinates are sent with four decimals (about 11 m): enough to place a building, and it
#: keeps the row for each facility short.
COORDINATE_DECIMALS = 4
#: Popup lines are sent as parts ("Standards met: 62%", "2 red flags", ...) looked up in one
#: shared list: most parts repeat from facility to facility.
LABEL_SEPARATOR = " \u00b7 "
#: Country outlines are sent with two decimals (about 1 km), finer than the 1:110 million
#: boundaries themselves.
BOUNDARY_DECIMALS = 2

SEA = "#DCE8F1"
LAND = "#F6F4EF"
BORDER = "#8A96A3"
MISSING_COLOUR = "#8C8C8C"
#: Okabe–Ito vermillion, orange and blue: low, middle and high share of standards met.
SHARE_COLOURS = ("#D55E00", "#E69F00", "#0072B2")
#: ColorBrewer "Blues", for counts per country.
COUNT_COLOURS = ("#EFF3FF", "#BDD7E7", "#6BAED6", "#3182BD", "#08519C")

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")
_WORDS = {
    "en": {
        "open": "Open the facility profile",
        "facilities": "Facilities",
        "frame": "Map of immigration detention facilities",
        "legend": "Legend",
    },
    "es": {
        "open": "Abrir la ficha del centro",
        "facilities": "Centros",
        "frame": "Mapa de centros de detención migratoria",
        "legend": "Leyenda",
    },
}


def _words(language: str) -> Mapping[str, str]:
    return _WORDS.get(language.split("-")[0].lower(), _WORDS["en"])


# --- Legends ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegendClass:
    """One entry of a legend.

    :param label: the text shown (already in the page's language).
    :param colour: ``#rrggbb``.
    :param upper: for numbers: values below this bound fall in the class (``None`` on the last
        class: no bound).
    :param category: for categories: values equal to this text fall in the class.
    """

    label: str
    colour: str
    upper: float | None = None
    category: str | None = None


@dataclass(frozen=True)
class Legend:
    """How values turn into colours, and the words that explain it.

    Numeric legends list classes by ascending ``upper`` with the last one open-ended;
    categorical legends give each class a ``category``. Values that fit no class (``None``,
    NaN, an unknown category) take the *missing* entry.
    """

    title: str
    classes: tuple[LegendClass, ...]
    missing_label: str
    missing_colour: str = MISSING_COLOUR

    def __post_init__(self) -> None:
        if not self.classes:
            raise ValueError(f"Legend {self.title!r} has no classes.")
        for entry in (*self.classes, LegendClass(self.missing_label, self.missing_colour)):
            if not _COLOUR.fullmatch(entry.colour):
                raise ValueError(
                    f"Legend {self.title!r}: {entry.colour!r} is not a hex colour "
                    "such as '#0072B2'."
                )
        if not self.categorical:
            uppers = [c.upper for c in self.classes]
            if uppers[-1] is not None or any(u is None for u in uppers[:-1]):
                raise ValueError(
                    f"Legend {self.title!r}: every class but the last needs an upper bound; "
                    "the last needs none."
                )
            bounds = [float(u) for u in uppers[:-1]]  # type: ignore[arg-type]
            if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
                raise ValueError(
                    f"Legend {self.title!r}: upper bounds must rise from class to class."
                )

    @property
    def categorical(self) -> bool:
        return any(c.category is not None for c in self.classes)

    @property
    def colours(self) -> list[str]:
        """Class colours, then the missing colour (the index :meth:`index` returns for it)."""
        return [c.colour for c in self.classes] + [self.missing_colour]

    def index(self, value: Any) -> int:
        """The class a value falls in; ``len(classes)`` for a missing or unmatched value."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return len(self.classes)
        if self.categorical:
            text = str(value)
            return next(
                (i for i, c in enumerate(self.classes) if c.category == text), len(self.classes)
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            return len(self.classes)
        if not math.isfinite(number):
            return len(self.classes)
        return next(i for i, c in enumerate(self.classes) if c.upper is None or number < c.upper)


def share_met_legend(
    *, title: str, labels: Sequence[str], missing_label: str, breaks: Sequence[float] = (0.5, 0.8)
) -> Legend:
    """A three-class legend for the share of standards met (0..1).

    :param labels: three labels, low to high, e.g. ``("Under 50%", "50–79%", "80% or more")``.
    :param missing_label: for facilities not assessed yet.
    :param breaks: the two class bounds.
    """
    if len(labels) != 3 or len(breaks) != 2:
        raise ValueError("share_met_legend needs three labels and two breaks.")
    classes = (
        LegendClass(labels[0], SHARE_COLOURS[0], upper=breaks[0]),
        LegendClass(labels[1], SHARE_COLOURS[1], upper=breaks[1]),
        LegendClass(labels[2], SHARE_COLOURS[2]),
    )
    return Legend(title, classes, missing_label)


def count_legend(
    values: Sequence[float | None] | pd.Series,
    *,
    title: str,
    missing_label: str,
    language: str = "en",
    number_format: NumberFormat | None = None,
) -> Legend:
    """A legend of up to five classes for counts (facilities, people held, red flags...).

    Class bounds are rounded quintiles of the positive values, so each class holds a similar
    number of countries; labels read ``0–9``, ``10–49``... and ``500+``.
    """
    fmt = number_format or (lambda v: _format_count(v, language))
    numbers = sorted(float(v) for v in values if v is not None and not pd.isna(v) and float(v) > 0)
    bounds: list[float] = []
    if numbers:
        for q in (0.2, 0.4, 0.6, 0.8):
            bound = _round_up(float(np.quantile(numbers, q)))
            if bound > (bounds[-1] if bounds else 0.0) and bound <= numbers[-1]:
                bounds.append(bound)
    colours = COUNT_COLOURS[-(len(bounds) + 1) :] if bounds else COUNT_COLOURS[2:3]
    lows = [0.0, *bounds]
    classes = []
    for i, low in enumerate(lows):
        if i < len(bounds):
            high = bounds[i] - 1
            label = fmt(low) if high <= low else f"{fmt(low)}–{fmt(high)}"
            classes.append(LegendClass(label, colours[i], upper=bounds[i]))
        else:
            classes.append(LegendClass(f"{fmt(low)}+", colours[i]))
    return Legend(title, tuple(classes), missing_label, missing_colour="#FFFFFF")


def _round_up(value: float) -> float:
    """Round up to one significant digit (7 → 7, 43 → 50, 260 → 300); at least 1."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(math.ceil(value / power) * power)


def _format_count(value: float, language: str) -> str:
    text = f"{value:,.0f}"
    return text.replace(",", ".") if language.split("-")[0].lower() == "es" else text


# --- Assets -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _vendor_text(relative: str) -> str:
    path = paths.VENDOR / relative
    if not path.exists():
        raise ConfigError(f"{path} is missing: run `monitor assets collect` after `npm install`.")
    return path.read_text(encoding="utf-8")


def _inline_css(relative: str) -> str:
    """A vendor style sheet with its images turned into data: URIs (so it works from a file)."""
    folder = (paths.VENDOR / relative).parent
    css = _vendor_text(relative)

    def embed(match: re.Match[str]) -> str:
        target = match.group(1).strip("'\"")
        if target.startswith(("data:", "#")) or "://" in target:
            return match.group(0)
        image = folder / target
        if not image.exists():
            return match.group(0)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(([^)]+)\)", embed, css)


def _inline_js(relative: str) -> str:
    script = _vendor_text(relative)
    # A source-map comment makes developer tools fetch a file that is not there; and
    # "</script" inside the code would end the element early.
    script = re.sub(r"^//# sourceMappingURL=.*$", "", script, flags=re.MULTILINE)
    return re.sub(r"</(script)", r"<\\/\1", script, flags=re.IGNORECASE)


def _inline_assets_element() -> Element:
    styles = "\n".join(_inline_css(p) for p in (LEAFLET_CSS, *CLUSTER_CSS))
    scripts = "\n".join(f"<script>\n{_inline_js(p)}\n</script>" for p in (LEAFLET_JS, CLUSTER_JS))
    return Element(f"<style>\n{styles}\n</style>\n{scripts}")


def _use_local_assets(
    fmap: folium.Map,
    cluster_layers: Sequence[FastMarkerCluster],
    asset_url: AssetUrl | None,
    inline: bool,
) -> None:
    """Give each element its own asset lists: URLs from *asset_url*, or nothing when inlined."""
    if inline:
        fmap.default_js, fmap.default_css = [], []
        for layer in cluster_layers:
            layer.default_js, layer.default_css = [], []
        fmap.get_root().header.add_child(_inline_assets_element(), name="dm_inline_assets", index=0)
        return
    assert asset_url is not None
    fmap.default_js = [("leaflet", asset_url(LEAFLET_JS))]
    fmap.default_css = [("leaflet_css", asset_url(LEAFLET_CSS))]
    for layer in cluster_layers:
        layer.default_js = [("markerclusterjs", asset_url(CLUSTER_JS))]
        layer.default_css = [
            ("markerclustercss", asset_url(CLUSTER_CSS[0])),
            ("markerclusterdefaultcss", asset_url(CLUSTER_CSS[1])),
        ]


def _remote_assets(element: Element) -> list[str]:
    """Every remote script or style sheet an element or its children would link to."""
    found = []
    for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]:
        if re.match(r"^\s*(https?:)?//", url, flags=re.IGNORECASE):
            found.append(f"{type(element).__name__}: {url}")
    for child in element._children.values():
        found.extend(_remote_assets(child))
    return found


# --- Escaping helpers -------------------------------------------------------------------------


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no tag, comment or line-break surprises)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return " ".join(str(value).split())


def _checked_url(url: str, where: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in {"", "http", "https"} or url.startswith("//"):
        raise ValueError(
            f"The link for {where} is {url!r}: facility links must be relative (/facilities/…) "
            "or http(s) addresses."
        )
    return url


def _common_prefix(urls: Sequence[str]) -> str:
    """The longest shared start of the URLs, cut after a '/', sent once instead of per row."""
    if not urls:
        return ""
    prefix = os.path.commonprefix(list(urls))
    return prefix[: prefix.rfind("/") + 1]


def _common_suffix(texts: Sequence[str]) -> str:
    """The longest shared end of the texts, starting at a '/' ("/profile"), sent once."""
    if not texts:
        return ""
    suffix = os.path.commonprefix([t[::-1] for t in texts])[::-1]
    cut = suffix.find("/")
    return "" if cut < 0 else suffix[cut:]


# --- Map elements -----------------------------------------------------------------------------

_FACILITY_SCRIPT = """
var __NAME__ = (function (D) {
  "use strict";
  var linkable = /^(https?:\\/\\/|\\/(?!\\/)|\\.{1,2}\\/|[^:\\/?#]+([\\/?#]|$))/i;
  function card(i) {
    var r = D.rows[i], box = document.createElement("div"), part;
    box.className = "dm-popup";
    part = document.createElement("strong");
    part.textContent = r[2];
    box.appendChild(part);
    var meta = [D.types[r[5]], D.countries[r[6]]].filter(Boolean).join(" \\u00b7 ");
    if (meta) {
      part = document.createElement("div");
      part.className = "dm-meta";
      part.textContent = meta;
      box.appendChild(part);
    }
    var label = r[3].map(function (j) { return D.parts[j]; }).join(" \\u00b7 ");
    if (label) {
      part = document.createElement("div");
      part.textContent = label;
      box.appendChild(part);
    }
    var href = r[4] === null ? null : D.prefix + r[4] + D.suffix;
    if (href !== null && linkable.test(href)) {
      part = document.createElement("a");
      part.href = href;
      part.target = D.target;
      if (D.target === "_blank") { part.rel = "noopener"; }
      part.textContent = D.link;
      box.appendChild(part);
    }
    return box;
  }
  function markers(k) {
    var icons = D.colours[k].map(function (colour, j) {
      return L.divIcon({className: "dm-pin dm-k" + k + "-" + j, iconSize: [14, 14]});
    });
    var out = new Array(D.rows.length);
    for (var i = 0; i < D.rows.length; i++) {
      var r = D.rows[i];
      var marker = L.marker([r[0], r[1]],
                            {icon: icons[r[7 + k]], title: r[2], alt: r[2], riseOnHover: true});
      marker.bindPopup(card.bind(null, i), {maxWidth: 280});
      out[i] = marker;
    }
    return out;
  }
  return {markers: markers, card: card, data: D};
})(__DATA__);
"""


class _FacilityData(MacroElement):
    """The facility rows and the script that turns them into markers, shared by all layers.

    Row layout: ``[lat, lon, name, [label part indexes], url middle, type index, country
    index, colour index per layer...]``; label parts, types and countries are looked up in
    shared lists, and URLs share one prefix and one suffix, so a facility costs well under 150
    bytes.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}
    """)

    def __init__(self, payload: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "FacilityData"
        self.code = _FACILITY_SCRIPT.replace("__NAME__", self.get_name()).replace(
            "__DATA__", _script_json(payload)
        )


class FacilityLayer(FastMarkerCluster):
    """A cluster layer whose markers come from the shared :class:`_FacilityData` rows.

    FastMarkerCluster embeds its own copy of the data for each layer; with several colour-by
    layers that would repeat every facility, so this variant reads the shared rows instead.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.markerClusterGroup({{ this.options|tojavascript }});
            {{ this.get_name() }}.addLayers({{ this.source }}.markers({{ this.column }}));
        {% endmacro %}
    """)

    def __init__(
        self, source: _FacilityData, column: int, *, name: str, overlay: bool, show: bool
    ) -> None:
        super().__init__(
            [],
            name=name,
            overlay=overlay,
            control=True,
            show=show,
            # Bulk adding in chunks keeps the page responsive while thousands of markers load.
            chunked_loading=True,
            show_coverage_on_hover=False,
            max_cluster_radius=50,
        )
        self.source = source.get_name()
        self.column = column


class _Styles(MacroElement):
    """Marker colours, legend and popup styles, and the sea background."""

    _template = Template("""
        {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
    """)

    def __init__(self, css: str) -> None:
        super().__init__()
        self._name = "MapStyles"
        self.css = css


class _Legends(MacroElement):
    """The legends, shown in a map corner; each follows its layer on and off."""

    _template = Template("""
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var box = document.getElementById({{ this.box_id|tojson }});
            var control = L.control({position: "bottomright"});
            control.onAdd = function () {
                L.DomEvent.disableClickPropagation(box);
                L.DomEvent.disableScrollPropagation(box);
                box.hidden = false;
                return box;
            };
            control.addTo(map);
            function each(selector, fn) {
                Array.prototype.forEach.call(box.querySelectorAll(selector), fn);
            }
            map.on("baselayerchange", function (e) {
                each(".dm-legend-points", function (el) {
                    el.hidden = el.getAttribute("data-layer") !== e.name;
                });
            });
            map.on("overlayadd overlayremove", function (e) {
                each("[data-layer]", function (el) {
                    if (el.getAttribute("data-layer") === e.name) {
                        el.hidden = e.type === "overlayremove";
                    }
                });
            });
        })();
        {% endmacro %}
    """)

    def __init__(self, markup: str, box_id: str) -> None:
        super().__init__()
        self._name = "Legends"
        self.markup = markup
        self.box_id = box_id


class CountryLayer(folium.map.Layer):
    """Country shapes drawn as one Leaflet GeoJSON layer, filled once the shapes are loaded.

    The layer itself carries no polygon: :class:`_Shapes` hands every country layer of the map
    the same shapes after the markers are drawn (inline in a standalone file, fetched from one
    cacheable address in a served page), each keeping the countries it has figures for.

    :param countries: the boundaries this layer draws (for inline shapes), with ``iso3`` and
        ``name`` columns as :func:`monitor.aggregate.geo.load_countries` gives them.
    :param style: Leaflet path options, one set for every country.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}{{ this.code() }}{% endmacro %}
    """)

    def __init__(
        self,
        countries: Any,
        *,
        name: str,
        style: Mapping[str, Any],
        overlay: bool = True,
        control: bool = True,
        show: bool = True,
        interactive: bool = True,
        attribution: str | None = None,
    ) -> None:
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "CountryLayer"
        self.countries = countries
        self.style = dict(style)
        self.interactive = interactive
        self.attribution = attribution

    def code(self) -> str:
        options: dict[str, Any] = {"style": self.style, "interactive": self.interactive}
        if self.attribution:
            options["attribution"] = self.attribution
        name = self.get_name()
        # dmKeys: the countries this layer keeps from the shapes (null: all of them).
        return f"var {name} = L.geoJSON(null, {_script_json(options)});\n{name}.dmKeys = null;"


class ChoroplethLayer(CountryLayer):
    """Countries coloured by one figure, with the :class:`Legend` that explains the colours.

    ``figures`` maps each country's key to ``[legend class, figure as shown]``; the tooltip
    puts the country's name (from the shapes) before the figure, with ``textContent``
    (folium's GeoJsonTooltip builds its table with ``innerHTML``). The script that builds the
    layer is written once in the page's head (:class:`_ChoroplethScript`), not per layer.
    """

    def __init__(
        self,
        countries: Any,
        figures: Mapping[str, Sequence[Any]],
        *,
        legend: Legend,
        name: str,
        show: bool,
    ) -> None:
        super().__init__(countries, name=name, style={}, show=show)
        self.figures = dict(figures)
        self.legend = legend

    def code(self) -> str:
        figures, colours = _script_json(self.figures), _script_json(self.legend.colours)
        return f"var {self.get_name()} = dmChoropleth({figures}, {colours});"


class _ChoroplethScript(MacroElement):
    """``dmChoropleth(figures, colours)``: builds a country layer; in the head, once a page.

    Colours are the legend's, the last one for a missing figure (drawn unfilled).
    """

    _template = Template("""
        {% macro header(this, kwargs) %}<script>
function dmChoropleth(P, C) {
  "use strict";
  var S = C.map(function (colour, k) {
    return {fillColor: colour, fillOpacity: k === C.length - 1 ? 0 : 0.8,
            color: {{ this.border|tojson }}, weight: 0.6, opacity: 0.9};
  });
  var layer = L.geoJSON(null, {
    smoothFactor: 0.5,
    style: function (feature) { return S[P[feature.id][0]]; },
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(function () {
        var box = document.createElement("div"), name = (feature.properties || {}).name;
        box.textContent = (name ? name + ": " : "") + P[feature.id][1];
        return box;
      }, {sticky: true});
    }
  });
  layer.dmKeys = P;
  return layer;
}
</script>{% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "ChoroplethScript"
        self.border = BORDER


class _Shapes(MacroElement):
    """Hands the country shapes to every :class:`CountryLayer` of the map, after the markers.

    Rendered last in the map script, so the facilities are on screen before any polygon is
    parsed or drawn. With ``url`` set (:func:`link_outlines`) the page fetches the shapes from
    there; otherwise they are written into the page, once for all layers.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}{{ this.code() }}{% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "CountryShapes"
        self.url: str | None = None

    def layers(self) -> list[CountryLayer]:
        return [c for c in self._parent._children.values() if isinstance(c, CountryLayer)]

    def code(self) -> str:
        layers = self.layers()
        if not layers:
            return ""
        if self.url is not None:
            load = _FETCH_SHAPES.replace("__URL__", _script_json(self.url))
        else:
            shapes = _merged_shapes([layer.countries for layer in layers])
            load = _INLINE_SHAPES.replace("__DATA__", _script_json(shapes))
        names = ", ".join(layer.get_name() for layer in layers)
        return _SHAPES_SCRIPT.replace("__LAYERS__", names).replace("__LOAD__", load)


_SHAPES_SCRIPT = """
(function (layers) {
  "use strict";
  function draw(data) {
    var features = (data && data.features) || [];
    layers.forEach(function (layer) {
      var keys = layer.dmKeys;
      layer.addData(keys === null ? features : features.filter(function (feature) {
        return Object.prototype.hasOwnProperty.call(keys, feature.id);
      }));
    });
  }
  __LOAD__
})([__LAYERS__]);
"""
#: A served page: one request for the shapes, answered from the browser's cache after the first.
_FETCH_SHAPES = """fetch(__URL__).then(function (response) {
    if (!response.ok) { throw new Error("HTTP " + response.status); }
    return response.json();
  }).then(draw, function (error) {
    console.warn("The country outlines could not be loaded: " + error);
  });"""
#: A standalone file: the shapes are in the page; drawn once the markers are on screen.
_INLINE_SHAPES = """window.setTimeout(function () { draw(__DATA__); }, 0);"""


def country_key(iso3: Any, name: Any, position: int) -> str:
    """How a page names a country shape: its ISO code, else its name, else its position."""
    if isinstance(iso3, str) and iso3:
        return iso3
    if isinstance(name, str) and name:
        return name
    return f"#{position}"


def _shape_keys(countries: Any) -> list[str]:
    count = len(countries)
    codes = countries["iso3"] if "iso3" in countries.columns else [None] * count
    names = countries["name"] if "name" in countries.columns else [None] * count
    return [country_key(c, n, i) for i, (c, n) in enumerate(zip(codes, names))]


def outlines_geojson(countries: Any) -> dict[str, Any]:
    """Country shapes as a compact FeatureCollection: rounded coordinates, the key as ``id``.

    What a served map fetches instead of carrying polygons (see :func:`link_outlines`); the
    only property is the country's name (for tooltips), so the file holds nothing but
    public-domain boundaries.

    :param countries: boundaries from ``monitor.aggregate.geo.load_countries``.
    :raises ValueError: the frame has no coordinate reference system.
    """
    if countries.crs is None:
        raise ValueError("countries has no coordinate reference system: use load_countries().")
    frame = countries if countries.crs.to_epsg() == 4326 else countries.to_crs(4326)
    names = frame["name"] if "name" in frame.columns else [None] * len(frame)
    features = []
    for key, name, geometry in zip(_shape_keys(frame), names, frame.geometry):
        if geometry is None or geometry.is_empty:
            continue
        rounded = shapely.transform(geometry, lambda xy: np.round(xy, BOUNDARY_DECIMALS))
        features.append(
            {
                "type": "Feature",
                "id": key,
                "properties": {"name": _text(name)} if _text(name) else {},
                "geometry": shapely.geometry.mapping(rounded),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _merged_shapes(frames: Sequence[Any]) -> dict[str, Any]:
    """One FeatureCollection with each key once (the first frame that has it wins)."""
    seen: set[str] = set()
    features = []
    for frame in frames:
        if frame is None:
            continue
        for feature in outlines_geojson(frame)["features"]:
            if feature["id"] not in seen:
                seen.add(feature["id"])
                features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def country_choropleth(
    summary: pd.DataFrame,
    countries: Any,
    column: str,
    *,
    name: str,
    missing_label: str,
    legend: Legend | None = None,
    show: bool = False,
    language: str = "en",
    number_format: NumberFormat | None = None,
) -> ChoroplethLayer:
    """Build a layer of countries coloured by one column of a per-country summary.

    Pass it to :func:`facility_map` in ``extra_layers``: it is drawn under the facilities and
    gets a check box in the layer switcher and its own legend.

    :param summary: one row per country with ``iso3`` and *column* (from
        ``monitor.aggregate.geo.country_summary``): facilities, people held, children held,
        red flags...
    :param countries: boundaries from ``monitor.aggregate.geo.load_countries`` (those to
        colour; a served map draws them from the shapes at its outlines address).
    :param column: the figure to show.
    :param name: the layer's name in the switcher and the legend title.
    :param missing_label: legend text for countries without a figure.
    :param legend: the classes; by default :func:`count_legend` over the column.
    :param show: whether the layer is on when the map opens.
    :param language: for number formats.
    :param number_format: formats the figure in the tooltip.
    :raises ValueError: a column is missing.
    """
    for needed in ("iso3", column):
        if needed not in summary.columns:
            raise ValueError(
                f"The summary has no {needed!r} column "
                f"(it has {', '.join(map(str, summary.columns))})."
            )
    fmt = number_format or (lambda v: _format_count(v, language))
    figures = {str(k): v for k, v in zip(summary["iso3"], summary[column]) if isinstance(k, str)}
    legend = legend or count_legend(
        list(figures.values()), title=name, missing_label=missing_label, language=language
    )
    shown_figures = {}
    for key, iso3 in zip(_shape_keys(countries), countries["iso3"]):
        value = figures.get(iso3) if isinstance(iso3, str) else None
        missing = value is None or pd.isna(value)
        shown = missing_label if missing else fmt(float(value))
        shown_figures[key] = [legend.index(None if missing else value), shown]
    return ChoroplethLayer(
        countries, shown_figures, legend=legend, name=str(escape(name)), show=show
    )


# --- The facility map -------------------------------------------------------------------------


def _legend_markup(
    entries: Sequence[tuple[str, Legend, str, bool]], box_id: str, language: str
) -> str:
    """HTML for the legends; every text is escaped here, colours were validated."""
    blocks = []
    for layer_name, legend, kind, visible in entries:
        items = "".join(
            f'<li><span style="background:{colour}"></span>{escape(label)}</li>'
            for label, colour in [(c.label, c.colour) for c in legend.classes]
            + [(legend.missing_label, legend.missing_colour)]
        )
        hidden = "" if visible else " hidden"
        blocks.append(
            f'<div class="dm-legend dm-legend-{kind}" data-layer="{escape(layer_name)}"{hidden}>'
            f"<strong>{escape(legend.title)}</strong><ul>{items}</ul></div>"
        )
    label = escape(_words(language)["legend"])
    return (
        f'<div id="{box_id}" class="dm-legends leaflet-control" role="region" '
        f'aria-label="{label}" hidden>{"".join(blocks)}</div>'
    )


def _styles(legends: Sequence[Legend], tiles: bool) -> str:
    rules = [
        ".dm-pin{border-radius:50%;border:2px solid #fff;box-shadow:0 0 0 1px rgba(0,0,0,.65);"
        "box-sizing:border-box}",
        ".dm-pin:focus{outline:3px solid #F2A900;outline-offset:1px}",
        # Neutral clusters: the default green/yellow/orange would read as a compliance scale.
        ".marker-cluster-small,.marker-cluster-medium,.marker-cluster-large"
        "{background-color:rgba(29,35,43,.28)}",
        ".marker-cluster-small div,.marker-cluster-medium div,.marker-cluster-large div"
        "{background-color:rgba(29,35,43,.88);color:#fff}",
        ".marker-cluster span{font:bold 12px/30px sans-serif}",
        ".dm-legends{background:#fff;padding:6px 10px;border-radius:4px;"
        "box-shadow:0 1px 4px rgba(0,0,0,.35);font:13px/1.4 sans-serif;color:#1D232B;"
        "max-width:240px}",
        ".dm-legends[hidden],.dm-legend[hidden]{display:none}",
        ".dm-legend+.dm-legend{margin-top:6px;border-top:1px solid #D5DBE1;padding-top:6px}",
        ".dm-legend ul{list-style:none;margin:4px 0 0;padding:0}",
        ".dm-legend li>span{display:inline-block;width:12px;height:12px;margin-right:6px;"
        "vertical-align:-1px;border:1px solid rgba(0,0,0,.55)}",
        ".dm-legend-points li>span{border-radius:50%}",
        ".dm-popup{font:13px/1.4 sans-serif}.dm-popup .dm-meta{color:#4F5B67}",
        ".dm-popup a{display:inline-block;margin-top:4px}",
    ]
    if not tiles:
        rules.append(f".folium-map.leaflet-container{{background:{SEA}}}")
    for k, legend in enumerate(legends):
        rules.extend(
            f".dm-k{k}-{j}{{background:{colour}}}" for j, colour in enumerate(legend.colours)
        )
    return "".join(rules)


def _rows(
    points: pd.DataFrame, columns: Sequence[str], legends: Sequence[Legend]
) -> tuple[dict[str, Any], int]:
    required = ["latitude", "longitude", "name", *columns]
    missing = [c for c in dict.fromkeys(required) if c not in points.columns]
    if missing and len(points) == 0:  # no facilities yet: an empty map, whatever the columns
        points = pd.DataFrame({c: pd.Series([], dtype=object) for c in required})
    elif missing:
        raise ValueError(
            f"The facility table needs column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, points.columns))}."
        )
    latitudes = pd.to_numeric(points["latitude"], errors="coerce")
    longitudes = pd.to_numeric(points["longitude"], errors="coerce")
    usable = latitudes.between(-90, 90) & longitudes.between(-180, 180)
    table = points[usable.to_numpy()]
    skipped = int((~usable).sum())

    def column(name: str) -> list[Any]:
        return list(table[name]) if name in table.columns else [None] * len(table)

    ids = column("public_id")
    urls = []
    for public_id, url in zip(ids, column("url")):
        text = _text(url)
        urls.append(_checked_url(text, f"facility {public_id!r}") if text else None)
    prefix = _common_prefix([u for u in urls if u is not None])
    suffix = _common_suffix([u[len(prefix) :] for u in urls if u is not None])
    types, countries = _lookup(column("type")), _lookup(column("country"))
    parts: dict[str, int] = {}
    type_index = {t: i for i, t in enumerate(types)}
    country_index = {c: i for i, c in enumerate(countries)}
    colour_columns = [
        [legend.index(v) for v in column(name)] for name, legend in zip(columns, legends)
    ]
    rows = []
    for i, (lat, lon, name, label, url, kind, country) in enumerate(
        zip(
            latitudes[usable],
            longitudes[usable],
            column("name"),
            column("label"),
            urls,
            column("type"),
            column("country"),
        )
    ):
        rows.append(
            [
                round(float(lat), COORDINATE_DECIMALS),
                round(float(lon), COORDINATE_DECIMALS),
                _text(name),
                _label_parts(_text(label), parts),
                None if url is None else url[len(prefix) : len(url) - len(suffix)],
                type_index.get(_text(kind), 0),
                country_index.get(_text(country), 0),
                *(colours[i] for colours in colour_columns),
            ]
        )
    payload = {
        "rows": rows,
        "parts": list(parts),
        "prefix": prefix,
        "suffix": suffix,
        "types": types,
        "countries": countries,
    }
    return payload, skipped


def _label_parts(label: str, parts: dict[str, int]) -> list[int]:
    """A popup line as indexes into the shared parts (*parts* grows as new ones come)."""
    if not label:
        return []
    return [parts.setdefault(part, len(parts)) for part in label.split(LABEL_SEPARATOR)]


def _lookup(values: Sequence[Any]) -> list[str]:
    """Distinct texts, with "" first so that index 0 means "none"."""
    return ["", *sorted({_text(v) for v in values} - {""})]


def facility_map(
    points: pd.DataFrame,
    *,
    countries: Any = None,
    asset_url: AssetUrl | None,
    colour_by: str | Sequence[str] = "value",
    legend: Legend | Sequence[Legend],
    tiles: str | None = None,
    tiles_attribution: str | None = None,
    extra_layers: Sequence[folium.map.Layer] = (),
    language: str = "en",
    inline_assets: bool = False,
    height: str = "70vh",
    title: str | None = None,
    link_target: str = "_top",
) -> folium.Map:
    """Map facilities as coloured, clustered markers over country outlines.

    :param points: one row per facility with ``public_id, name, country, type, latitude,
        longitude, value, label, url`` (only the coordinates and ``name`` are required; it must
        already be public-safe). Rows without valid coordinates are left out and logged.
    :param countries: boundaries from ``monitor.aggregate.geo.load_countries`` (drawn lightly
        filled under the points); ``None`` for none.
    :param asset_url: turns a vendor file path (``"leaflet/leaflet.js"``) into the URL the
        page loads it from; may be ``None`` when *inline_assets* is true.
    :param colour_by: the column (or columns) whose values colour the markers.
    :param legend: the legend for each *colour_by* column, in the same order. With several,
        each becomes a layer in a switcher, with its legend shown while it is selected.
    :param tiles: an optional tile URL template (from the settings); with none the map shows
        country outlines on a plain sea colour and needs no network.
    :param tiles_attribution: required with *tiles* (tile providers' terms ask for it).
    :param extra_layers: more layers drawn under the facilities, e.g. from
        :func:`country_choropleth`; they get check boxes and legends.
    :param language: for the built-in words (popup link, layer names) and ``<html lang>``.
    :param inline_assets: write Leaflet and the cluster plugin into the page itself, for a file
        that works from disk with no server and no network (see :func:`write_standalone`).
    :param height: CSS height of the map (``"100vh"`` fills a standalone page).
    :param title: the page title of the rendered HTML document.
    :param link_target: where facility links open (``_top``: the whole window, also from an
        embedded frame; ``_blank``: a new tab).
    :returns: the folium map; render it with :func:`render_html`.
    :raises ValueError: a column is missing, the legends do not match *colour_by*, a facility
        link uses another scheme than http(s), or *tiles* comes without an attribution.
    """
    columns = [colour_by] if isinstance(colour_by, str) else list(colour_by)
    legends = [legend] if isinstance(legend, Legend) else list(legend)
    if not columns or len(columns) != len(legends):
        raise ValueError(
            f"colour_by names {len(columns)} column(s) but {len(legends)} legend(s) were given; "
            "give one legend per column."
        )
    if asset_url is None and not inline_assets:
        raise ValueError(
            "asset_url is needed unless inline_assets=True "
            "(the page must load Leaflet from somewhere)."
        )
    if tiles and not tiles_attribution:
        raise ValueError(
            "A tile layer needs tiles_attribution "
            "(the provider's credit line, e.g. '© OpenStreetMap contributors')."
        )
    if link_target not in {"_top", "_blank", "_self", "_parent"}:
        raise ValueError(
            f"link_target must be _top, _blank, _self or _parent, not {link_target!r}."
        )
    vocabulary = _words(language)

    payload, skipped = _rows(points, columns, legends)
    if skipped:
        log.info("facility map: %d facilities without usable coordinates were left out", skipped)
    payload.update(
        colours=[lg.colours for lg in legends], link=vocabulary["open"], target=link_target
    )

    fmap = folium.Map(
        location=None,
        tiles=None,
        zoom_start=2,
        maxZoom=MAX_ZOOM,
        minZoom=1,
        height=height,
        control_scale=True,
        world_copy_jump=True,
    )
    fmap._dm_inline = inline_assets  # type: ignore[attr-defined]
    fmap._dm_language = language  # type: ignore[attr-defined]
    if title:
        fmap.get_root().title = str(escape(title))
    if tiles:
        folium.TileLayer(
            tiles=tiles, attr=tiles_attribution, max_zoom=MAX_ZOOM, overlay=True, control=False
        ).add_to(fmap)
    _Styles(_styles(legends, tiles=bool(tiles))).add_to(fmap)
    if countries is not None:
        outline = {
            "color": BORDER,
            "weight": 0.7,
            "opacity": 1.0,
            "fillColor": LAND,
            "fillOpacity": 0.0 if tiles else 1.0,
        }
        CountryLayer(
            countries,
            name="countries",
            style=outline,
            overlay=True,
            control=False,
            interactive=False,
            attribution="Natural Earth",
        ).add_to(fmap)
    if any(isinstance(layer, ChoroplethLayer) for layer in extra_layers):
        _ChoroplethScript().add_to(fmap)
    for layer in extra_layers:
        layer.add_to(fmap)

    data = _FacilityData(payload)
    data.add_to(fmap)
    several = len(columns) > 1
    clusters = []
    for k, lg in enumerate(legends):
        name = str(escape(lg.title if several else (lg.title or vocabulary["facilities"])))
        cluster = FacilityLayer(data, k, name=name, overlay=not several, show=k == 0)
        cluster.add_to(fmap)
        clusters.append(cluster)

    box_id = f"dm-legends-{fmap.get_name()}"
    entries = [
        (c.layer_name, lg, "points", k == 0) for k, (c, lg) in enumerate(zip(clusters, legends))
    ]
    entries += [
        (layer.layer_name, layer.legend, "areas", bool(layer.show))
        for layer in extra_layers
        if isinstance(layer, ChoroplethLayer)
    ]
    _Legends(_legend_markup(entries, box_id, language), box_id).add_to(fmap)
    if several or extra_layers:
        folium.LayerControl(collapsed=False).add_to(fmap)

    _use_local_assets(fmap, clusters, asset_url, inline_assets)
    rows = payload["rows"]
    if rows:
        lats = [r[0] for r in rows]
        lons = [r[1] for r in rows]
        fmap.fit_bounds(
            [[min(lats), min(lons)], [max(lats), max(lons)]], padding=(20, 20), max_zoom=7
        )
    shapes = _Shapes()
    shapes.add_to(fmap)  # last: the shapes come after the markers and the map's view
    fmap._dm_shapes = shapes  # type: ignore[attr-defined]
    log.info(
        "facility map: %d facilities, %d colour layer(s), %d extra layer(s)",
        len(rows),
        len(columns),
        len(extra_layers),
    )
    return fmap


def link_outlines(fmap: folium.Map, url: str) -> None:
    """Make a served map fetch its country shapes from *url* instead of carrying them.

    Every page then holds only its facilities and per-country figures; the shapes, the same
    for every map, come from one address the browser keeps (the web app serves
    :func:`outlines_geojson` of the boundaries the map was built with). Country layers keep
    the shapes whose key (:func:`country_key`) they have figures for.

    :param url: the address of the shapes (relative, or http(s)).
    :raises ValueError: the map is a standalone one (it must open from disk with no server),
        was not built by :func:`facility_map`, or the URL has another scheme.
    """
    shapes = getattr(fmap, "_dm_shapes", None)
    if shapes is None:
        raise ValueError("link_outlines needs a map built by facility_map().")
    if getattr(fmap, "_dm_inline", False):
        raise ValueError(
            "A standalone map (inline_assets=True) must carry its country shapes: it opens "
            "from disk, with no server to fetch them from."
        )
    shapes.url = _checked_url(url, "the country outlines")


# --- Rendering --------------------------------------------------------------------------------


def render_html(fmap: folium.Map) -> str:
    """Render the map as a complete HTML document.

    Also sets ``<html lang>`` and removes folium's ``user-scalable=no`` (people must be able
    to zoom the page).

    :raises ValueError: some element would load a script or style sheet from another site
        (an element added after :func:`facility_map` that kept folium's CDN defaults).
    """
    remote = _remote_assets(fmap.get_root())
    if remote:
        raise ValueError(
            "The map would load files from other sites: "
            + "; ".join(remote)
            + ". Give those elements local default_js/default_css."
        )
    html = fmap.get_root().render()
    language = escape(getattr(fmap, "_dm_language", "en"))
    html = html.replace("<html>", f'<html lang="{language}">', 1)
    html = re.sub(r",\s*maximum-scale=1\.0,\s*user-scalable=no", "", html)
    return html


def write_standalone(fmap: folium.Map, path: Path | str) -> Path:
    """Write a map built with ``inline_assets=True`` to one HTML file that opens from disk.

    :returns: the path written.
    :raises ValueError: the map links to asset URLs instead of carrying them inline.
    """
    if not getattr(fmap, "_dm_inline", False):
        raise ValueError(
            "This map links to its scripts instead of containing them: build it with "
            "facility_map(..., inline_assets=True) to write a standalone file."
        )
    target = Path(path)
    target.write_text(render_html(fmap), encoding="utf-8")
    return target


def embed_snippet(
    url: str, *, title: str | None = None, height: int = 480, language: str = "en"
) -> Markup:
    """An ``<iframe>`` for journalists and partners to put the public map in their pages.

    The frame is sandboxed: scripts run (Leaflet needs them) but the map cannot reach the host
    page; facility links may open at the top level or in a new tab after a click.

    :param url: the public map's address (http(s), or relative on the same site).
    :param title: the frame's accessible name; a default in *language* otherwise.
    :param height: frame height in px.
    :raises ValueError: the URL has another scheme.
    """
    _checked_url(url, "the embedded map")
    name = title or _words(language)["frame"]
    return Markup(
        '<iframe src="{url}" title="{title}" width="100%" height="{height}" style="border:0" '
        'loading="lazy" referrerpolicy="no-referrer" '
        'sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox '
        'allow-top-navigation-by-user-activation"></iframe>'
    ).format(url=url, title=name, height=int(height))
