"""folium facility maps: local assets only, compact, escaped (checks on the rendered HTML)."""

from __future__ import annotations

import json
import os
import random
import re

import folium
import pandas as pd
import pytest
from folium.plugins import MarkerCluster

from monitor.aggregate import geo
from monitor.core import assets
from monitor.core.errors import ConfigError
from monitor.outputs import maps

if assets.missing():  # pragma: no cover - depends on the install step
    if os.environ.get("CI"):  # CI installs the assets: their absence is a failure there
        raise RuntimeError(f"vendor assets not installed: {assets.missing()}")
    pytest.skip(f"vendor assets not installed: {assets.missing()}", allow_module_level=True)
try:
    assets.boundary_file("110m")
except ConfigError as missing:  # pragma: no cover
    pytest.skip(str(missing), allow_module_level=True)

REMOTE_ASSET = re.compile(r"""https?://[^\s"'<>)]+\.(?:js|css)\b""", re.IGNORECASE)
REMOTE_LINK = re.compile(
    r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE
)
NASTY = '</script><img src=x onerror="alert(1)"> "Q" & \'A\''


def static_url(path: str) -> str:
    return f"/static/vendor/{path}"


LEGEND = maps.share_met_legend(
    title="Standards met",
    labels=("Under 50%", "50–79%", "80% or more"),
    missing_label="Not assessed",
)


def facilities(count: int, seed: int = 7) -> pd.DataFrame:
    """Synthetic facilities with realistic text lengths, scattered over the land masses."""
    rng = random.Random(seed)
    places = ["Tapachula", "Madrid", "Lampedusa", "Tripoli", "Calais", "Darwin", "El Paso", "Nauru"]
    kinds = ["Dedicated immigration detention centre", "Police station", "Airport transit zone"]
    rows = []
    for i in range(count):
        share = rng.random()
        rows.append(
            {
                "public_id": f"F-{i:05d}",
                "name": f"Centro de Detención {rng.choice(places)} {i}",
                "country": rng.choice(["Mexico", "Spain", "Italy", "Libya", "France", "Australia"]),
                "type": rng.choice(kinds),
                "latitude": rng.uniform(-45, 65),
                "longitude": rng.uniform(-120, 150),
                "value": None if i % 7 == 0 else share,
                "label": f"Standards met: {round(share * 100)}% · visit 2024-0{rng.randint(1, 9)}",
                "url": f"/public/facilities/F-{i:05d}",
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def countries():
    return geo.load_countries("110m")


def build(points: pd.DataFrame, countries=None, **options) -> str:
    options.setdefault("asset_url", static_url)
    options.setdefault("legend", LEGEND)
    return maps.render_html(maps.facility_map(points, countries=countries, **options))


def map_data(html: str) -> dict:
    """The facility payload the page carries (decoded back from its script)."""
    match = re.search(r"\}\)\((\{\"rows\".*?\})\);\n", html, re.DOTALL)
    assert match, "facility data not found in the page"
    return json.loads(match.group(1))


def label_of(data: dict, row: list) -> str:
    """A row's popup line, put back together from the shared parts as the page does."""
    return maps.LABEL_SEPARATOR.join(data["parts"][i] for i in row[3])


def url_of(data: dict, row: list) -> str | None:
    return None if row[4] is None else data["prefix"] + row[4] + data["suffix"]


def shapes_in(html: str) -> list[dict]:
    """The country shapes written into a standalone page."""
    match = re.search(r"draw\((\{\"type\":\"FeatureCollection\".*?\})\); \}, 0\);", html, re.DOTALL)
    assert match, "no shapes in the page"
    return json.loads(match.group(1))["features"]


# --- local assets only ------------------------------------------------------------------------


def test_no_remote_scripts_or_styles__only_local_vendor_files(countries):
    html = build(facilities(20), countries)

    assert not REMOTE_LINK.search(html)
    assert not REMOTE_ASSET.search(html)
    for path in ("leaflet/leaflet.js", "markercluster/leaflet.markercluster.js"):
        assert f'<script src="/static/vendor/{path}"></script>' in html
    for path in (
        "leaflet/leaflet.css",
        "markercluster/MarkerCluster.css",
        "markercluster/MarkerCluster.Default.css",
    ):
        assert f'href="/static/vendor/{path}"' in html
    # Nothing folium would have added by default: jQuery, Bootstrap, awesome-markers.
    assert not re.search(r"jquery|bootstrap|awesome-markers|fontawesome", html, re.IGNORECASE)
    assert "$(" not in html  # and nothing that would need jQuery


def test_folium_defaults_are_not_changed_for_other_maps(countries):
    build(facilities(3), countries)
    assert any("cdn" in url for _, url in folium.Map.default_js)
    assert any("cdnjs" in url for _, url in MarkerCluster.default_js)


def test_cluster_plugin_and_an_explicit_map_max_zoom(countries):
    html = build(facilities(20), countries)

    assert "L.markerClusterGroup(" in html and ".addLayers(" in html
    map_options = re.search(r"L\.map\(\s*\"map_\w+\",\s*\{(.*?)\}\s*\);", html, re.DOTALL).group(1)
    assert re.search(r'"maxZoom":\s*18', map_options)


def test_render_refuses_an_element_that_brings_a_cdn(countries):
    fmap = maps.facility_map(
        facilities(3), countries=countries, asset_url=static_url, legend=LEGEND
    )
    MarkerCluster().add_to(fmap)  # folium's class defaults point at cdnjs

    with pytest.raises(ValueError, match="cdnjs"):
        maps.render_html(fmap)


def test_country_outlines_are_drawn_under_the_points_once_the_markers_are_there(countries):
    html = build(facilities(5), countries)

    outline = html.index("L.geoJSON(null")  # the layer exists (empty) before the markers...
    points = html.index("L.markerClusterGroup(")
    shapes = html.index('{"type":"FeatureCollection"')  # ...its shapes come after them
    assert outline < points < shapes
    assert len(shapes_in(html)) == len(countries)
    assert "background:#DCE8F1" in html  # sea colour when there are no tiles


def test_country_layers_share_one_copy_of_the_shapes(countries):
    summary = pd.DataFrame({"iso3": ["MEX", "ESP"], "people_held": [50, 300]})
    some = countries[countries["iso3"].isin(["MEX", "ESP", "ITA"])].reset_index(drop=True)
    layers = [
        maps.country_choropleth(summary, some, "people_held", name=f"Layer {i}", missing_label="-")
        for i in range(3)
    ]
    html = build(facilities(5), countries, extra_layers=layers)

    assert html.count('"type":"Feature"') == len(countries)  # not once more per layer
    assert html.count('"coordinates"') == len(countries)
    assert html.count("function dmChoropleth(") == 1 and html.count("dmChoropleth({") == 3


def test_optional_tiles_need_an_attribution(countries):
    with pytest.raises(ValueError, match="tiles_attribution"):
        build(facilities(2), countries, tiles="/tiles/{z}/{x}/{y}.png")
    html = build(
        facilities(2), countries, tiles="/tiles/{z}/{x}/{y}.png", tiles_attribution="Local tiles"
    )
    assert '"/tiles/{z}/{x}/{y}.png"' in html and "Local tiles" in html
    assert "background:#DCE8F1" not in html


# --- compactness ------------------------------------------------------------------------------


def test_5000_facilities_cost_at_most_150_bytes_each(countries):
    empty = len(build(facilities(0), countries).encode("utf-8"))
    full = len(build(facilities(5000), countries).encode("utf-8"))

    per_facility = (full - empty) / 5000
    assert per_facility <= 150, f"{per_facility:.1f} bytes per facility"


def test_rows_are_compact_and_share_prefix_and_lookups():
    points = facilities(50)
    data = map_data(build(points))

    assert data["prefix"] == "/public/facilities/" and data["suffix"] == ""
    assert data["types"][0] == "" and "Police station" in data["types"]
    first = data["rows"][0]
    assert first[4] == "F-00000"  # the middle of the URL only
    assert data["types"][first[5]] and data["countries"][first[6]]
    assert all(len(str(row[0]).split(".")[-1]) <= 4 for row in data["rows"])
    # Popup lines travel as parts; each repeated part is written once.
    assert [label_of(data, row) for row in data["rows"]] == list(points["label"])
    assert len(data["parts"]) == len(set(data["parts"])) < 2 * len(points)


def test_links_share_their_start_and_their_end():
    points = facilities(3).assign(url=[f"/facilities/F-{i}/profile" for i in (1, 22, 333)])
    data = map_data(build(points))

    assert (data["prefix"], data["suffix"]) == ("/facilities/", "/profile")
    assert [row[4] for row in data["rows"]] == ["F-1", "F-22", "F-333"]
    assert [url_of(data, row) for row in data["rows"]] == list(points["url"])
    one = map_data(build(facilities(1).assign(url=["/facilities/F-9/profile"])))
    assert url_of(one, one["rows"][0]) == "/facilities/F-9/profile"


def test_rows_without_coordinates_are_left_out():
    points = facilities(4)
    points.loc[1, "latitude"] = None
    points.loc[2, "longitude"] = 300
    data = map_data(build(points))
    assert [row[2] for row in data["rows"]] == [points.loc[0, "name"], points.loc[3, "name"]]


def test_empty_table_gives_an_empty_map():
    assert map_data(build(pd.DataFrame()))["rows"] == []


# --- escaping ---------------------------------------------------------------------------------


def test_names_with_quotes_and_angle_brackets_are_escaped_in_the_data(countries):
    points = facilities(3)
    points.loc[0, "name"] = NASTY
    points.loc[1, "label"] = NASTY
    html = build(points, countries, title='Map <"x">')

    assert "<img src=x" not in html
    assert html.count("</script>") == html.count("<script")  # the name did not close a script
    assert "\\u003c/script\\u003e\\u003cimg" in html
    data = map_data(html)
    assert data["rows"][0][2] == " ".join(NASTY.split())
    assert label_of(data, data["rows"][1]) == " ".join(NASTY.split())
    assert "<title>Map &lt;&#34;x&#34;&gt;</title>" in html


def test_legend_and_layer_names_are_escaped():
    nasty_legend = maps.share_met_legend(
        title="<b>Met</b>", labels=("<i>low</i>", "mid", "high"), missing_label="n/a & more"
    )
    other = maps.Legend(
        "Type <x>",
        (
            maps.LegendClass("Police", "#0072B2", category="Police station"),
            maps.LegendClass("Other", "#E69F00", category="Other"),
        ),
        "Unknown",
    )
    points = facilities(5).assign(kind=lambda f: f["type"])
    html = build(points, colour_by=["value", "kind"], legend=[nasty_legend, other])

    assert "<b>Met</b>" not in html and "<i>low</i>" not in html and "Type <x>" not in html
    assert "&lt;i&gt;low&lt;/i&gt;" in html and "n/a &amp; more" in html
    assert "L.control.layers(" in html  # a switcher between the two colour layers


def test_facility_links_must_be_relative_or_http():
    points = facilities(2)
    points.loc[1, "url"] = "javascript:alert(1)"
    with pytest.raises(ValueError, match="F-00001"):
        build(points)


# --- colours and legends ----------------------------------------------------------------------


def test_colour_index_follows_the_legend():
    points = facilities(4).assign(value=[0.1, 0.6, 0.9, None])
    data = map_data(build(points))
    assert [row[7] for row in data["rows"]] == [0, 1, 2, 3]  # 3 = missing ("Not assessed")
    assert data["colours"] == [list(maps.SHARE_COLOURS) + [maps.MISSING_COLOUR]]


def test_legend_validation():
    with pytest.raises(ValueError, match="hex colour"):
        maps.Legend("T", (maps.LegendClass("a", "red"),), "none")
    with pytest.raises(ValueError, match="upper bound"):
        maps.Legend(
            "T", (maps.LegendClass("a", "#000000"), maps.LegendClass("b", "#FFFFFF")), "none"
        )


def test_count_legend_classes_cover_the_values():
    legend = maps.count_legend(
        [0, 1, 3, 8, 20, 45, 120, 400, None], title="People held", missing_label="No data"
    )
    assert legend.classes[0].label.startswith("0")
    assert legend.classes[-1].label.endswith("+")
    assert legend.index(None) == len(legend.classes)
    assert legend.index(0) == 0 and legend.index(400) == len(legend.classes) - 1
    indexes = [legend.index(v) for v in (0, 1, 3, 8, 20, 45, 120, 400)]
    assert indexes == sorted(indexes)


def test_country_choropleth_colours_countries_and_adds_a_legend(countries):
    summary = pd.DataFrame({"iso3": ["MEX", "ESP", "ITA"], "people_held": [5000, 300, None]})
    layer = maps.country_choropleth(
        summary, countries, "people_held", name="People held", missing_label="No data"
    )

    missing = len(layer.legend.classes)
    assert layer.figures["MEX"] == [layer.legend.index(5000), "5,000"]
    assert layer.figures["MEX"][0] > layer.figures["ESP"][0] and layer.figures["ESP"][1] == "300"
    assert layer.figures["ITA"] == [missing, "No data"] == layer.figures["FRA"]
    assert len(layer.figures) == len(countries)

    html = build(facilities(3), countries, extra_layers=[layer])
    assert "People held" in html and "L.control.layers(" in html
    assert "layer.bindTooltip(function" in html and "textContent" in html
    names = {f["id"]: f["properties"].get("name") for f in shapes_in(html)}
    assert names["MEX"] == "Mexico"  # the tooltip's "Mexico: 5,000" is put together there


def test_country_choropleth_needs_its_column(countries):
    with pytest.raises(ValueError, match="'red_flags'"):
        maps.country_choropleth(
            pd.DataFrame({"iso3": ["MEX"]}), countries, "red_flags", name="x", missing_label="-"
        )


# --- served maps: shapes from one cached address ----------------------------------------------


def test_a_served_map_carries_no_polygon_and_fetches_the_shapes_after_the_markers(countries):
    summary = pd.DataFrame({"iso3": ["MEX", "ESP"], "people_held": [50, 300]})
    layer = maps.country_choropleth(summary, countries, "people_held", name="People",
                                    missing_label="-")
    fmap = maps.facility_map(facilities(200), countries=countries, asset_url=static_url,
                             legend=LEGEND, extra_layers=[layer])
    maps.link_outlines(fmap, "/map/outlines.json?v=abc")
    html = maps.render_html(fmap)

    assert '"coordinates"' not in html and "FeatureCollection" not in html
    assert html.index("L.markerClusterGroup(") < html.index('fetch("/map/outlines.json?v=abc")')
    assert len(html.encode("utf-8")) < 60_000  # 200 facilities; inline shapes alone are ~190 kB
    assert len(map_data(html)["rows"]) == 200


def test_only_served_maps_link_their_shapes(countries):
    standalone = maps.facility_map(facilities(2), countries=countries, asset_url=None,
                                   legend=LEGEND, inline_assets=True)
    with pytest.raises(ValueError, match="standalone"):
        maps.link_outlines(standalone, "/map/outlines.json")
    with pytest.raises(ValueError, match="facility_map"):
        maps.link_outlines(folium.Map(), "/map/outlines.json")
    served = maps.facility_map(facilities(2), countries=countries, asset_url=static_url,
                               legend=LEGEND)
    with pytest.raises(ValueError, match="javascript"):
        maps.link_outlines(served, "javascript:alert(1)")


def test_outlines_hold_each_country_once_with_its_name_only(countries):
    shapes = maps.outlines_geojson(countries)

    keys = [f["id"] for f in shapes["features"]]
    assert len(keys) == len(set(keys)) == len(countries)
    assert {"MEX", "ESP", "FRA", "AUS"} <= set(keys) and "Kosovo" in keys  # no ISO code: name
    assert all(set(f["properties"]) <= {"name"} for f in shapes["features"])
    text = json.dumps(shapes)
    assert not re.search(r"\d\.\d{3}", text)  # two decimals at most
    mexico = next(f for f in shapes["features"] if f["id"] == "MEX")
    assert mexico["properties"] == {"name": "Mexico"}
    assert mexico["geometry"]["type"] in {"Polygon", "MultiPolygon"}


# --- standalone file and embedding ------------------------------------------------------------


def test_standalone_file_carries_leaflet_and_the_plugin_inline(tmp_path, countries):
    fmap = maps.facility_map(
        facilities(10),
        countries=countries,
        asset_url=None,
        legend=LEGEND,
        inline_assets=True,
        language="es",
    )
    path = maps.write_standalone(fmap, tmp_path / "map.html")
    html = path.read_text(encoding="utf-8")

    assert "Leaflet 1.9.4" in html and "markerClusterGroup" in html
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=", html)
    assert not REMOTE_ASSET.search(html)
    assert "url(images/" not in html and "data:image/png;base64," in html  # layer-switcher icon
    assert "sourceMappingURL" not in html
    assert html.startswith('<!DOCTYPE html>\n<html lang="es">')
    assert "Abrir la ficha del centro" in html
    assert "user-scalable=no" not in html


def test_standalone_needs_inline_assets(tmp_path):
    fmap = maps.facility_map(facilities(2), asset_url=static_url, legend=LEGEND)
    with pytest.raises(ValueError, match="inline_assets=True"):
        maps.write_standalone(fmap, tmp_path / "map.html")


def test_embed_snippet():
    snippet = maps.embed_snippet('https://monitor.example.org/map?lang=es&x="1"', language="es")

    assert snippet.startswith(
        '<iframe src="https://monitor.example.org/map?lang=es&amp;x=&#34;1&#34;"'
    )
    assert 'title="Mapa de centros de detención migratoria"' in snippet
    assert "sandbox=" in snippet and "allow-same-origin" not in snippet
    with pytest.raises(ValueError):
        maps.embed_snippet("javascript:alert(1)")
