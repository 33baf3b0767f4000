"""SVG charts: well-formed, accessible, escaped, honest about missing data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest

from monitor.outputs import charts
from monitor.outputs.charts import Series

SVG = "{http://www.w3.org/2000/svg}"
NASTY = "Centre <b>\"A\"</b> & 'B' \x07"


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))  # raises on any malformed markup
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def monthly(values: list[float | None], year: int = 2024) -> list[tuple[date, float | None]]:
    return [(date(year, month, 1), value) for month, value in enumerate(values, start=1)]


def assert_accessible(root: ET.Element, title: str, role: str = "img") -> None:
    assert root.get("role") == role
    assert root.get("aria-label") == title
    first, second = list(root)[:2]
    assert first.tag == f"{SVG}title" and first.text == title
    assert second.tag == f"{SVG}desc" and second.text
    assert root.get("aria-describedby") == second.get("id")
    sizes = [float(t.get("font-size")) for t in root.iter(f"{SVG}text")]
    assert min(sizes) >= 11
    assert "<script" not in ET.tostring(root, encoding="unicode")


# --- line chart -------------------------------------------------------------------------------


def test_line_chart__draws_each_series_and_breaks_lines_at_gaps():
    held = Series("People held", monthly([320, 340, None, 410, 390, 420]))
    svg = charts.line_chart([held], title="Occupancy", y_label="People")
    root = parse(svg)

    assert_accessible(root, "Occupancy")
    (group,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
    paths = group.findall(f"{SVG}path")
    # The gap in March splits the line in two: Jan–Feb and Apr–Jun.
    assert [p.get("d").count("L") + 1 for p in paths] == [2, 3]
    desc = root.find(f"{SVG}desc").text
    assert "5 values from 2024-01-01 to 2024-06-01" in desc and "latest 420" in desc


def test_line_chart__reference_line_is_drawn_at_its_value_and_labelled():
    svg = charts.line_chart(
        [Series("Held", monthly([100, 200, 300]))],
        title="Occupancy",
        y_label="People",
        reference=400,
        reference_label="Capacity",
    )
    root = parse(svg)

    (reference,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "reference"]
    line = reference.find(f"{SVG}line")
    assert line.get("y1") == line.get("y2")
    assert "Capacity 400" in texts(reference)
    # The reference is the highest value, so its line sits above every point of the series.
    ys = [float(c.get("cy")) for c in root.iter(f"{SVG}circle")]
    assert float(line.get("y1")) < min(ys)
    # ...and on the gridline labelled 400.
    ticks = {
        t.text: float(t.get("y")) for t in root.iter(f"{SVG}text") if t.text and t.text.isdigit()
    }
    assert ticks["400"] - 4 == pytest.approx(float(line.get("y1")))
    assert "Capacity 400" in root.find(f"{SVG}desc").text


def test_line_chart__all_none__says_no_data_and_stays_valid():
    svg = charts.line_chart(
        [Series("Held", monthly([None, None]))], title="Occupancy", y_label="People"
    )
    root = parse(svg)

    assert "No data" in texts(root)
    assert not list(root.iter(f"{SVG}path")) and not list(root.iter(f"{SVG}circle"))


def test_line_chart__no_series_at_all__says_no_data():
    root = parse(charts.line_chart([], title="Empty", y_label=""))
    assert "No data" in texts(root)


def test_line_chart__single_point__is_a_dot_with_its_date():
    svg = charts.line_chart(
        [Series("Held", [(datetime(2024, 3, 5, 12), 12)])], title="One visit", y_label=""
    )
    root = parse(svg)

    (dot,) = root.iter(f"{SVG}circle")
    width = float(root.get("width"))
    assert 0.3 * width < float(dot.get("cx")) < 0.8 * width
    assert "2024-03-05: 12" in [t.text for t in root.iter(f"{SVG}title")]
    assert not list(root.iter(f"{SVG}path"))


def test_line_chart__several_series_differ_by_dash_as_well_as_colour():
    series = [Series(f"S{i}", monthly([i, i + 1, i + 2])) for i in range(3)]
    root = parse(charts.line_chart(series, title="Three", y_label=""))

    lines = [g.find(f"{SVG}path") for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
    assert len({p.get("stroke") for p in lines}) == 3
    assert len({p.get("stroke-dasharray") for p in lines}) == 3  # None counts as solid
    assert {"S0", "S1", "S2"} <= set(texts(root))  # the legend


def test_line_chart__rejects_a_value_that_is_not_a_date_and_names_it():
    with pytest.raises(TypeError, match=r"Series 'Held', point 2"):
        charts.line_chart(
            [Series("Held", [(date(2024, 1, 1), 1), ("soon", 2)])], title="T", y_label=""
        )


def test_line_chart__spanish_numbers():
    root = parse(
        charts.line_chart(
            [Series("Personas", monthly([15.5, 2500]))], title="T", y_label="", language="es"
        )
    )
    assert "último 2.500" in root.find(f"{SVG}desc").text
    assert "1.500" in texts(root)  # a y-axis tick
    assert "2024-01-01: 15,5" in [t.text for t in root.iter(f"{SVG}title")]


# --- escaping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda t: charts.line_chart(
            [Series(t, monthly([1, 2]))], title=t, y_label=t, reference=3, reference_label=t
        ),
        lambda t: charts.bar_chart([(t, 3.0)], title=t, unit="%"),
        lambda t: charts.status_bar({"compliant": 1}, title=t, labels={"compliant": t}),
        lambda t: charts.heat_map(
            [t], [t], {(t, t): 0.5}, title=t, row_links={t: "/areas/1?a=1&b=2"}
        ),
        lambda t: charts.sparkline([1, 2, 3], label=t),
    ],
    ids=["line", "bar", "status", "heat", "spark"],
)
def test_every_chart__escapes_text_and_drops_control_characters(build):
    markup = str(build(NASTY))

    root = parse(markup)  # well-formed despite <, &, quotes and a BEL character
    assert "<b>" not in markup and "&lt;b&gt;" in markup
    assert "\x07" not in markup
    assert not list(root.iter(f"{SVG}b")) and not list(root.iter("b"))
    clean = NASTY.replace("\x07", "").strip()
    assert root.get("aria-label").strip() == clean


# --- bar chart --------------------------------------------------------------------------------


def test_bar_chart__bars_scale_with_values_and_show_them_as_text():
    root = parse(charts.bar_chart([("A", 80.0), ("B", 40.0), ("C", None)], title="Met", unit="%"))

    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert len(widths) == 2
    assert widths[0] == pytest.approx(2 * widths[1])
    assert {"80%", "40%", "No data"} <= set(texts(root))


def test_bar_chart__long_label_is_truncated_with_the_full_text_in_a_title():
    label = "Estación Migratoria Siglo XXI, Tapachula, Chiapas, México"
    root = parse(charts.bar_chart([(label, 5)], title="T", unit="people", max_label_chars=20))

    (text,) = [t for t in root.iter(f"{SVG}text") if t.find(f"{SVG}title") is not None]
    assert text.find(f"{SVG}title").text == label
    shown = "".join(text.itertext()).replace(label, "")
    assert shown.endswith("…") and len(shown) <= 20
    assert "5 people" in texts(root)


def test_bar_chart__no_items__says_no_data():
    assert "No data" in texts(parse(charts.bar_chart([], title="T")))


# --- status bar -------------------------------------------------------------------------------


def test_status_bar__segments_are_proportional_and_not_assessed_is_hatched():
    root = parse(
        charts.status_bar(
            {"compliant": 6, "partially_compliant": 2, "non_compliant": 2, "not_assessed": 10},
            title="Findings",
            width=400,
        )
    )

    segments = [
        g.find(f"{SVG}rect") for g in root.iter(f"{SVG}g") if g.find(f"{SVG}title") is not None
    ]
    assert [float(r.get("width")) for r in segments] == pytest.approx([120, 40, 40, 200])
    assert (
        segments[-1].get("fill").startswith("url(#") and root.find(f".//{SVG}pattern") is not None
    )
    assert "Compliant: 6 (30%)" in texts(root)
    assert "Not assessed: 10 (50%)" in texts(root)


def test_status_bar__partial_is_short_for_partially_compliant():
    root = parse(charts.status_bar({"compliant": 1, "partial": 3}, title="T"))
    assert "Partially compliant: 3 (75%)" in texts(root)


def test_status_bar__rejects_unknown_status():
    with pytest.raises(ValueError, match="'mostly_ok'"):
        charts.status_bar({"mostly_ok": 3}, title="T")


def test_status_bar__nothing_found__says_so():
    assert "No findings" in texts(parse(charts.status_bar({}, title="T")))


# --- heat map ---------------------------------------------------------------------------------


def test_heat_map__cells_coloured_by_class_with_value_text_and_hatched_when_not_assessed():
    rows, columns = ["Treatment", "Health care"], ["CIE Aluche", "Siglo XXI"]
    values = {
        ("Treatment", "CIE Aluche"): 0.1,
        ("Treatment", "Siglo XXI"): 0.95,
        ("Health care", "CIE Aluche"): None,
    }
    root = parse(charts.heat_map(rows, columns, values, title="Standards met"))

    assert_accessible(root, "Standards met")
    cells = {
        g.find(f"{SVG}title").text: g.find(f"{SVG}rect")
        for g in root.iter(f"{SVG}g")
        if g.find(f"{SVG}rect") is not None
    }
    assert cells["Treatment · CIE Aluche: 10%"].get("fill") == charts.HEAT_COLOURS[0]
    assert cells["Treatment · Siglo XXI: 95%"].get("fill") == charts.HEAT_COLOURS[-1]
    hatched = [k for k, r in cells.items() if r.get("fill").startswith("url(#")]
    # One explicit None and one missing key: both are "not assessed".
    assert sorted(hatched) == [
        "Health care · CIE Aluche: Not assessed",
        "Health care · Siglo XXI: Not assessed",
    ]
    assert {"10%", "95%", "Not assessed", "0%–20%"} <= set(texts(root))


def test_heat_map__row_links_become_anchors_and_the_chart_a_group():
    root = parse(
        charts.heat_map(
            ["Treatment"],
            ["A"],
            {("Treatment", "A"): 0.5},
            title="T",
            row_links={"Treatment": "/areas/treatment"},
        )
    )

    (anchor,) = root.iter(f"{SVG}a")
    assert anchor.get("href") == "/areas/treatment"
    assert "Treatment" in "".join(anchor.itertext())
    assert root.get("role") == "group"  # role=img would hide the link from assistive technology


def test_heat_map__refuses_script_links_and_out_of_range_values():
    with pytest.raises(ValueError, match="javascript"):
        charts.heat_map(["A"], ["B"], {}, title="T", row_links={"A": "javascript:alert(1)"})
    with pytest.raises(ValueError, match=r"\('A', 'B'\) is 1\.5"):
        charts.heat_map(["A"], ["B"], {("A", "B"): 1.5}, title="T")


def test_ids_differ_between_charts_on_one_page():
    first = parse(charts.heat_map(["A"], ["B"], {("A", "B"): None}, title="One"))
    second = parse(charts.heat_map(["A"], ["B"], {("A", "B"): None}, title="Two"))
    ids = lambda root: {e.get("id") for e in root.iter() if e.get("id")}  # noqa: E731
    assert ids(first) and not ids(first) & ids(second)


# --- sparkline --------------------------------------------------------------------------------


def test_sparkline__gaps_and_latest_value():
    root = parse(charts.sparkline([3, 4, None, 6, 5, 8], label="Held"))

    assert len(list(root.iter(f"{SVG}path"))) == 2
    assert root.find(f"{SVG}desc").text == "Held: latest 8, lowest 3, highest 8."
    last = list(root.iter(f"{SVG}circle"))[-1]
    assert float(last.get("cx")) == pytest.approx(float(root.get("width")) - 3)


def test_sparkline__no_values__is_a_placeholder():
    root = parse(charts.sparkline([None, None], label="Held"))
    assert root.find(f"{SVG}desc").text == "Held: No data"
    assert not list(root.iter(f"{SVG}path"))


# --- the same markup in a PDF -----------------------------------------------------------------


def test_charts_render_in_weasyprint_with_their_text():
    weasyprint = pytest.importorskip("weasyprint")
    from io import BytesIO

    from pypdf import PdfReader

    page = "".join(
        str(c)
        for c in [
            charts.line_chart(
                [Series("Held", monthly([1, 2, 3]))], title="Occupancy line", y_label="People"
            ),
            charts.status_bar({"compliant": 3, "not_assessed": 1}, title="Findings bar"),
            charts.heat_map(
                ["Treatment"], ["Aluche"], {("Treatment", "Aluche"): 0.4}, title="Heat grid"
            ),
        ]
    )
    pdf = weasyprint.HTML(string=f"<html><body>{page}</body></html>").write_pdf()
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages))
    for expected in ("Occupancy line", "Findings bar", "Heat grid", "40%"):
        assert expected in text
