"""Small, accessible SVG charts drawn on the server.

Each function returns one ``<svg>`` element as a string (a :class:`markupsafe.Markup`, so Jinja
inserts it without escaping it again). The same markup is meant for a web page and for a
WeasyPrint PDF, so the charts use nothing either side might lack: no JavaScript, no CSS
classes from a page, no web fonts (a generic font list that DejaVu Sans satisfies), and only
basic SVG (lines, rectangles, paths, text, one fill pattern).

Accessibility: every chart has ``role="img"``, an ``aria-label`` and a ``<title>``/``<desc>``
pair; the description states the figures in words. Text is at least 11 px. Colours come
from the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies), and
colour is never the only signal: lines also differ by dash pattern, values are written next to
bars and inside heat-map cells, and "not assessed" is hatched as well as grey.

All text from callers is escaped; characters that XML cannot hold (control characters) are
dropped, so a facility called ``<Centre "A" & B>`` or a name with a stray control character
still gives a well-formed document.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from markupsafe import Markup

from monitor.checklists.schema import STATUSES

NumberFormat = Callable[[float], str]

#: Okabe & Ito (2008): blue, orange, bluish green, reddish purple, sky blue, vermillion, black.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
#: Dash patterns paired with the palette so lines differ in more than colour.
DASHES = ("", "7 4", "2 3", "9 3 2 3", "4 4", "1 3", "12 4")
_STATUS_ALIASES = {"partial": "partially_compliant"}
STATUS_COLOURS = {
    "compliant": "#009E73",
    "partially_compliant": "#E69F00",
    "non_compliant": "#D55E00",
    "not_assessed": "#BDBDBD",  # drawn hatched
}
#: Five classes of "share of standards met", low to high (ColorBrewer RdYlBu, which is
#: listed as safe for colour-blind readers).
HEAT_COLOURS = ("#D73027", "#FC8D59", "#FEE090", "#91BFDB", "#4575B4")

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
INK = "#1D232B"
MUTED = "#4F5B67"
GRID = "#D5DBE1"
TITLE_SIZE = 14
TEXT_SIZE = 12
SMALL_SIZE = 11
#: Rough average advance of a 12 px sans-serif glyph, used to reserve room for labels.
CHAR_WIDTH = 7.0
SMALL_CHAR_WIDTH = 6.4

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "no_data": "No data",
        "not_assessed": "Not assessed",
        "compliant": "Compliant",
        "partially_compliant": "Partially compliant",
        "non_compliant": "Non-compliant",
        "series": (
            "{label}: {count} values from {first} to {last}; "
            "latest {latest} ({when}); highest {high}."
        ),
        "series_empty": "{label}: no data.",
        "reference": "Reference line: {label} {value}.",
        "bars": "{label}: {value}.",
        "status_total": "{total} findings.",
        "status_item": "{label}: {count} ({share}).",
        "no_findings": "No findings",
        "heat": "Rows: {rows}. Columns: {columns}. {assessed} of {cells} cells assessed.",
        "heat_scale": "Colour shows the share, from {low} (red) to {high} (blue).",
        "spark": "{label}latest {latest}, lowest {low}, highest {high}.",
    },
    "es": {
        "no_data": "Sin datos",
        "not_assessed": "No evaluado",
        "compliant": "Cumple",
        "partially_compliant": "Cumple parcialmente",
        "non_compliant": "No cumple",
        "series": (
            "{label}: {count} valores de {first} a {last}; último {latest} ({when}); máximo {high}."
        ),
        "series_empty": "{label}: sin datos.",
        "reference": "Línea de referencia: {label} {value}.",
        "bars": "{label}: {value}.",
        "status_total": "{total} hallazgos.",
        "status_item": "{label}: {count} ({share}).",
        "no_findings": "Sin hallazgos",
        "heat": "Filas: {rows}. Columnas: {columns}. {assessed} de {cells} celdas evaluadas.",
        "heat_scale": "El color indica la proporción, de {low} (rojo) a {high} (azul).",
        "spark": "{label}último {latest}, mínimo {low}, máximo {high}.",
    },
}

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


# --- Public data type -------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One line of a :func:`line_chart`.

    :param label: shown in the legend and the description.
    :param points: ``(day, value)`` pairs in any order; ``day`` is a :class:`date`, a
        :class:`datetime` or an ISO date string; ``value`` ``None`` (or NaN) breaks the line.
    :param colour: a ``#rrggbb`` colour; by default the next palette colour.
    """

    label: str
    points: Sequence[tuple[date | datetime | str, float | None]] = field(default_factory=tuple)
    colour: str | None = None


# --- Formatting helpers -----------------------------------------------------------------------


def words(language: str) -> Mapping[str, str]:
    """The chart vocabulary for *language* (English for a language without a catalogue)."""
    return _WORDS.get(language.split("-")[0].lower(), _WORDS["en"])


def format_number(value: float, language: str = "en") -> str:
    """Format a number plainly: whole numbers without decimals, small ones with up to two.

    Thousands are grouped (``12,400``; Spanish ``12.400``, decimals with a comma).
    """
    if not math.isfinite(value):
        return "–"
    magnitude = abs(value)
    if magnitude >= 100 or float(value).is_integer():
        text = f"{value:,.0f}"
    elif magnitude >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if text in {"-0", "-0.0"}:
        text = "0"
    if language.split("-")[0].lower() == "es":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _clean(text: object) -> str:
    return _XML_INVALID.sub("", str(text))


def _esc(text: object) -> str:
    """Escape text for an element's content."""
    return escape(_clean(text))


def _attr(text: object) -> str:
    """A double-quoted, escaped attribute value."""
    return '"' + escape(_clean(text), {'"': "&quot;", "\n": "&#10;", "\t": "&#9;"}) + '"'


def _truncate(text: str, limit: int) -> str:
    text = " ".join(_clean(text).split())
    return text if len(text) <= limit else text[: max(limit - 1, 1)].rstrip() + "…"


def _num(value: object) -> float | None:
    """A finite float, or None for None/NaN/infinity (all drawn as gaps)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"expected a number or None, got {value!r}") from None
    return number if math.isfinite(number) else None


def _with_unit(text: str, unit: str) -> str:
    if not unit:
        return text
    return f"{text}{unit}" if unit.startswith("%") else f"{text} {unit}"


def _fmt(value: float) -> str:
    """Coordinates: two decimals are sub-pixel precise and keep the markup short."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def _check_colour(colour: str) -> str:
    if not _COLOUR.fullmatch(colour):
        raise ValueError(f"Colour {colour!r} is not a hex colour such as '#0072B2'.")
    return colour


def _text_colour_on(background: str) -> str:
    """Black or white, whichever contrasts more with *background* (WCAG luminance)."""
    hex_digits = background.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(ch * 2 for ch in hex_digits)
    channels = [int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#FFFFFF"


def _el(tag: str, /, **attrs: object) -> str:
    """An empty SVG element. ``stroke_width=2`` becomes ``stroke-width="2"``; floats are
    rounded with :func:`_fmt`; ``None`` and ``""`` leave the attribute out."""
    parts = [tag]
    for name, value in attrs.items():
        if value is None or value == "":
            continue
        shown = _fmt(value) if isinstance(value, float) else str(value)
        parts.append(f"{name.replace('_', '-')}={_attr(shown)}")
    return "<" + " ".join(parts) + "/>"


def _swatch(x: float, y: float, fill: str) -> str:
    """A legend key: a small square with a thin border."""
    return _el(
        "rect",
        x=float(x),
        y=float(y),
        width=14,
        height=14,
        fill=fill,
        stroke=MUTED,
        stroke_width=0.5,
    )


def _titled(shape: str, tooltip: str) -> str:
    """Wrap a shape in a group that carries its tooltip.

    The <title> goes on a <g>, not inside the shape: WeasyPrint stops painting a
    pattern-filled shape that has child elements, and browsers show a group's title the same.
    """
    return f"<g><title>{_esc(tooltip)}</title>{shape}</g>"


def _chart_id(kind: str, *parts: object) -> str:
    """A stable id prefix, unique per chart content, for ids inside the SVG.

    Several charts share one HTML page (one id namespace); a hash keeps them apart while
    rendering the same data twice still gives identical markup (useful for caching and tests).
    """
    digest = hashlib.sha1(repr((kind, parts)).encode("utf-8", "replace")).hexdigest()[:10]
    return f"dm-{kind}-{digest}"


def _safe_href(url: str, where: str) -> str:
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme not in {"", "http", "https"}:
        raise ValueError(
            f"Link for {where} uses the scheme {scheme!r}; "
            "only relative, http and https links are allowed."
        )
    return url.strip()


# --- SVG scaffolding --------------------------------------------------------------------------


class _Svg:
    """Collects the elements of one chart and wraps them in an accessible <svg>."""

    def __init__(
        self,
        kind: str,
        width: float,
        height: float,
        *,
        title: str,
        description: str,
        chart_id: str,
        role: str = "img",
    ) -> None:
        self.kind = kind
        self.width = width
        self.height = height
        self.title = title
        self.description = description
        self.id = chart_id
        self.role = role
        self.defs: list[str] = []
        self.body: list[str] = []

    def add(self, element: str) -> None:
        self.body.append(element)

    def hatch(self) -> str:
        """Define (once) the diagonal hatch used for 'not assessed'; return its fill value."""
        pattern_id = f"{self.id}-hatch"
        if not self.defs:
            # Diagonal lines drawn inside one tile (no patternTransform, which some
            # renderers ignore), so the hatch looks the same in browsers and WeasyPrint.
            self.defs.append(
                f'<pattern id="{pattern_id}" patternUnits="userSpaceOnUse" width="6" height="6">'
                '<rect width="6" height="6" fill="#EEEEEE"/>'
                + _el(
                    "path",
                    d="M0,6 L6,0 M-1.5,1.5 L1.5,-1.5 M4.5,7.5 L7.5,4.5",
                    stroke="#6B6B6B",
                    stroke_width=1.4,
                )
                + "</pattern>"
            )
        return f"url(#{pattern_id})"

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: int = TEXT_SIZE,
        anchor: str = "start",
        weight: str | None = None,
        fill: str = INK,
        full: str | None = None,
        transform: str | None = None,
        italic: bool = False,
    ) -> str:
        attrs = [f'x="{_fmt(x)}"', f'y="{_fmt(y)}"', f'font-size="{size}"']
        if anchor != "start":
            attrs.append(f'text-anchor="{anchor}"')
        if weight:
            attrs.append(f'font-weight="{weight}"')
        if italic:
            attrs.append('font-style="italic"')
        if fill != INK:
            attrs.append(f'fill="{fill}"')
        if transform:
            attrs.append(f'transform="{transform}"')
        # A truncated label carries its full text as a tooltip (and for assistive technology).
        tooltip = f"<title>{_esc(full)}</title>" if full is not None and full != content else ""
        return f"<text {' '.join(attrs)}>{tooltip}{_esc(content)}</text>"

    def render(self) -> Markup:
        title_id, desc_id = f"{self.id}-title", f"{self.id}-desc"
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="dm-chart dm-chart-{self.kind}" '
            f'width="{_fmt(self.width)}" height="{_fmt(self.height)}" '
            f'viewBox="0 0 {_fmt(self.width)} {_fmt(self.height)}" role="{self.role}" '
            f'aria-label={_attr(self.title)} aria-describedby="{desc_id}" '
            f'font-family="{FONT}" font-size="{TEXT_SIZE}" fill="{INK}">'
        )
        parts = [
            head,
            f'<title id="{title_id}">{_esc(self.title)}</title>',
            f'<desc id="{desc_id}">{_esc(self.description)}</desc>',
        ]
        if self.defs:
            parts.append("<defs>" + "".join(self.defs) + "</defs>")
        parts.extend(self.body)
        parts.append("</svg>")
        return Markup("".join(parts))


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Round tick values covering [low, high] (the range is widened to the outer ticks)."""
    if high == low:
        high = low + (abs(low) or 1.0)
    step = _nice_step(high - low, target)
    start = math.floor(low / step) * step
    stop = math.ceil(high / step) * step
    count = int(round((stop - start) / step))
    return [round(start + i * step, 10) for i in range(count + 1)]


# --- Line chart -------------------------------------------------------------------------------


def _as_day(value: date | datetime | str, series: str, position: int) -> float:
    """Day number (fractional for datetimes) for the x axis."""
    if isinstance(value, datetime):
        return value.toordinal() + (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    if isinstance(value, date):
        return float(value.toordinal())
    if isinstance(value, str):
        try:
            return _as_day(date.fromisoformat(value[:10]), series, position)
        except ValueError:
            pass
    raise TypeError(
        f"Series {series!r}, point {position + 1}: {value!r} is not a date "
        "(use a date or 'YYYY-MM-DD')."
    )


def _month_ticks(first: float, last: float, max_ticks: int) -> list[tuple[float, str]]:
    """Ticks on the first of a month (or year), labelled ISO-style: 2024-03 or 2024."""
    start, end = date.fromordinal(int(math.floor(first))), date.fromordinal(int(math.floor(last)))
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months <= 2:
        span = int(last - first) + 1
        step = next((s for s in (1, 2, 7, 14) if span / s <= max_ticks), 14)
        days = [start + timedelta(days=i) for i in range(0, span, step)]
        return [(float(d.toordinal()), d.isoformat()) for d in days]
    step = next((s for s in (1, 2, 3, 4, 6, 12, 24, 60, 120) if months / s <= max_ticks), 120)
    ticks: list[tuple[float, str]] = []
    index = start.year * 12 + start.month - 1
    if start.day != 1:
        index += 1  # first whole month inside the range
    index = int(math.ceil(index / step) * step) if step >= 12 else index
    while True:
        year, month = divmod(index, 12)
        day = date(year, month + 1, 1)
        if day.toordinal() > last:
            break
        label = str(year) if step >= 12 else f"{year}-{month + 1:02d}"
        ticks.append((float(day.toordinal()), label))
        index += step
    return ticks


def _legend_rows(
    labels: Sequence[str], width: float, left: float, item_chars: int = 28, swatch: float = 30
) -> list[list[tuple[int, str, float]]]:
    """Lay legend items out in rows that fit *width*: (index, shown text, x) per item."""
    rows: list[list[tuple[int, str, float]]] = [[]]
    x = left
    for index, label in enumerate(labels):
        text = _truncate(label, item_chars)
        item_width = swatch + len(text) * SMALL_CHAR_WIDTH + 24
        if rows[-1] and x + item_width > width - 8:
            rows.append([])
            x = left
        rows[-1].append((index, text, x))
        x += item_width
    return rows


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    y_label: str = "",
    reference: float | None = None,
    reference_label: str | None = None,
    width: int = 640,
    height: int = 240,
    language: str = "en",
    number_format: NumberFormat | None = None,
) -> Markup:
    """Draw time series with dates along x, e.g. people held per month and capacity.

    :param series: one or more :class:`Series`; ``None`` values leave a gap, a value with no
        neighbour is drawn as a dot.
    :param title: the chart's title (shown, and its accessible name).
    :param y_label: what the values are, shown above the y axis ("People held").
    :param reference: an optional horizontal line, e.g. official capacity.
    :param reference_label: the text beside that line ("Capacity").
    :param width: total width in px.
    :param height: total height in px (the plot shrinks to fit the legend).
    :param language: for the built-in words ("No data") and the default number format.
    :param number_format: turns a number into text; default :func:`format_number`.
    :returns: the ``<svg>`` markup.
    :raises TypeError: a point's date is not a date, or its value is not a number.
    """
    fmt = number_format or (lambda v: format_number(v, language))
    vocabulary = words(language)
    reference = _num(reference)

    prepared: list[tuple[Series, str, str, list[tuple[float, float | None, str]]]] = []
    for index, item in enumerate(series):
        colour = _check_colour(item.colour) if item.colour else PALETTE[index % len(PALETTE)]
        dash = DASHES[index % len(DASHES)]
        points = []
        for position, (day, value) in enumerate(item.points):
            shown = day.isoformat()[:10] if isinstance(day, (date, datetime)) else str(day)[:10]
            try:
                number = _num(value)
            except TypeError as error:
                raise TypeError(f"Series {item.label!r}, point {position + 1}: {error}") from None
            points.append((_as_day(day, item.label, position), number, shown))
        points.sort(key=lambda p: p[0])
        prepared.append((item, colour, dash, points))

    known = [(x, v) for _, _, _, pts in prepared for x, v, _ in pts if v is not None]
    descriptions = []
    for item, _, _, pts in prepared:
        values = [(x, v, shown) for x, v, shown in pts if v is not None]
        if values:
            descriptions.append(
                vocabulary["series"].format(
                    label=_clean(item.label),
                    count=len(values),
                    first=values[0][2],
                    last=values[-1][2],
                    latest=fmt(values[-1][1]),
                    when=values[-1][2],
                    high=fmt(max(v for _, v, _ in values)),
                )
            )
        else:
            descriptions.append(vocabulary["series_empty"].format(label=_clean(item.label)))
    if reference is not None:
        descriptions.append(
            vocabulary["reference"]
            .format(label=_clean(reference_label or ""), value=fmt(reference))
            .replace("  ", " ")
        )
    if not known:
        descriptions.insert(0, vocabulary["no_data"] + ".")
    chart = _Svg(
        "line",
        width,
        height,
        title=title,
        description=" ".join(descriptions),
        chart_id=_chart_id("line", title, [(s.label, list(s.points)) for s in series], reference),
    )

    chart.add(
        chart.text(
            0, 16, _truncate(title, int(width / 8)), size=TITLE_SIZE, weight="bold", full=title
        )
    )
    if y_label:
        chart.add(
            chart.text(
                0,
                34,
                _truncate(y_label, int(width / CHAR_WIDTH)),
                size=SMALL_SIZE,
                fill=MUTED,
                full=y_label,
            )
        )

    legend = _legend_rows([s.label for s in series], width, 0) if len(series) > 1 else []
    legend_height = 18 * len(legend)
    top, bottom = 44, height - 22 - legend_height - (6 if legend else 0)

    values = [v for _, v in known] + ([reference] if reference is not None else [])
    low, high = (min(0.0, *values), max(0.0, *values)) if values else (0.0, 1.0)
    y_ticks = _nice_ticks(low, high)
    low, high = y_ticks[0], y_ticks[-1]
    tick_labels = [fmt(t) for t in y_ticks]
    left = max(len(label) for label in tick_labels) * CHAR_WIDTH + 10
    right = width - 12
    plot_height = max(bottom - top, 20)

    def y_of(value: float) -> float:
        return top + plot_height * (1 - (value - low) / (high - low))

    for tick, label in zip(y_ticks, tick_labels):
        y = y_of(tick)
        chart.add(_el("line", x1=float(left), x2=float(right), y1=y, y2=y, stroke=GRID))
        chart.add(chart.text(left - 6, y + 4, label, size=SMALL_SIZE, anchor="end", fill=MUTED))
    axis_bottom = float(top + plot_height)
    chart.add(
        _el("line", x1=float(left), x2=float(left), y1=float(top), y2=axis_bottom, stroke=MUTED)
    )

    if not known:
        chart.add(
            chart.text(
                (left + right) / 2,
                top + plot_height / 2 + 4,
                vocabulary["no_data"],
                anchor="middle",
                fill=MUTED,
                italic=True,
            )
        )
    else:
        first, last = min(x for x, _ in known), max(x for x, _ in known)
        if last - first < 1:  # one day only: centre it with a little room either side
            first, last = first - 15, last + 15
        pad = 6.0

        def x_of(day: float) -> float:
            return left + pad + (right - left - 2 * pad) * (day - first) / (last - first)

        max_ticks = max(int((right - left) / (90 if last - first < 62 else 64)), 2)
        for day, label in _month_ticks(first, last, max_ticks):
            x = x_of(day)
            chart.add(_el("line", x1=x, x2=x, y1=axis_bottom, y2=axis_bottom + 4, stroke=MUTED))
            chart.add(
                chart.text(
                    x, top + plot_height + 16, label, size=SMALL_SIZE, anchor="middle", fill=MUTED
                )
            )

        if reference is not None:
            y = y_of(reference)
            text = fmt(reference)
            shown = f"{reference_label} {text}" if reference_label else text
            line = _el(
                "line",
                x1=float(left),
                x2=float(right),
                y1=y,
                y2=y,
                stroke=INK,
                stroke_width=1.5,
                stroke_dasharray="5 4",
            )
            chart.add(
                f'<g class="reference">{line}'
                + chart.text(
                    right, y - 4, _truncate(shown, 40), size=SMALL_SIZE, anchor="end", full=shown
                )
                + "</g>"
            )

        for item, colour, dash, pts in prepared:
            segments: list[list[tuple[float, float, str, float]]] = [[]]
            for day, value, shown in pts:
                if value is None:
                    if segments[-1]:
                        segments.append([])
                    continue
                segments[-1].append((x_of(day), y_of(value), shown, value))
            segments = [s for s in segments if s]
            count = sum(len(s) for s in segments)
            parts = [f'<g class="series"><title>{_esc(item.label)}</title>']
            for segment in segments:
                if len(segment) > 1:
                    path = "M" + " L".join(f"{_fmt(x)},{_fmt(y)}" for x, y, _, _ in segment)
                    parts.append(
                        _el(
                            "path",
                            d=path,
                            fill="none",
                            stroke=colour,
                            stroke_width=2.2,
                            stroke_linejoin="round",
                            stroke_dasharray=dash,
                        )
                    )
                for x, y, shown, value in segment:
                    if len(segment) == 1 or count <= 60:  # dots for sparse data and lone values
                        parts.append(
                            _titled(
                                _el(
                                    "circle",
                                    cx=x,
                                    cy=y,
                                    r=3.5 if len(segment) == 1 else 2.5,
                                    fill=colour,
                                ),
                                f"{shown}: {fmt(value)}",
                            )
                        )
            parts.append("</g>")
            chart.add("".join(parts))

    for row_index, row in enumerate(legend):
        y = height - legend_height + row_index * 18 + 4
        for index, text, x in row:
            _, colour, dash, _ = prepared[index]
            chart.add(
                _el(
                    "line",
                    x1=x,
                    x2=x + 24,
                    y1=float(y),
                    y2=float(y),
                    stroke=colour,
                    stroke_width=2.5,
                    stroke_dasharray=dash,
                )
            )
            chart.add(chart.text(x + 30, y + 4, text, size=SMALL_SIZE, full=series[index].label))
    return chart.render()


# --- Bar chart --------------------------------------------------------------------------------


def bar_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    bar_height: int = 20,
    colour: str = PALETTE[0],
    max_label_chars: int = 30,
    language: str = "en",
    number_format: NumberFormat | None = None,
) -> Markup:
    """Draw horizontal bars with their values written beside them.

    :param items: ``(label, value)`` pairs, drawn top to bottom in the given order; ``None``
        shows "No data" instead of a bar.
    :param title: the chart's title.
    :param unit: appended to each value (``"%"`` without a space, anything else after one).
    :param width: total width in px; the height follows from the number of items.
    :param bar_height: thickness of one bar in px.
    :param colour: bar colour (hex).
    :param max_label_chars: longer labels are cut with "…"; the full text stays in a tooltip.
    :param language: for the built-in words and the default number format.
    :param number_format: turns a number into text; default :func:`format_number`.
    :returns: the ``<svg>`` markup.
    """
    fmt = number_format or (lambda v: format_number(v, language))
    vocabulary = words(language)
    _check_colour(colour)
    rows = [(str(label), _num(value)) for label, value in items]
    known = [v for _, v in rows if v is not None]
    description = (
        " ".join(
            vocabulary["bars"].format(
                label=_clean(label),
                value=_with_unit(fmt(v), unit) if v is not None else vocabulary["no_data"],
            )
            for label, v in rows
        )
        or vocabulary["no_data"] + "."
    )

    gap = 8
    top = 28
    height = top + max(len(rows), 1) * (bar_height + gap) + 4
    chart = _Svg(
        "bar",
        width,
        height,
        title=title,
        description=description,
        chart_id=_chart_id("bar", title, rows, unit),
    )
    chart.add(
        chart.text(
            0, 16, _truncate(title, int(width / 8)), size=TITLE_SIZE, weight="bold", full=title
        )
    )
    if not rows:
        chart.add(
            chart.text(0, top + bar_height * 0.7, vocabulary["no_data"], fill=MUTED, italic=True)
        )
        return chart.render()

    shown_labels = [_truncate(label, max_label_chars) for label, _ in rows]
    label_width = min(max(len(s) for s in shown_labels) * CHAR_WIDTH + 10, width * 0.45)
    value_texts = [_with_unit(fmt(v), unit) if v is not None else "" for _, v in rows]
    value_room = max([len(t) for t in value_texts] + [4]) * CHAR_WIDTH + 8
    low, high = min([0.0, *known]), max([0.0, *known])
    if high == low:
        high = low + 1.0
    x0, x1 = label_width, width - value_room

    def x_of(value: float) -> float:
        return x0 + (x1 - x0) * (value - low) / (high - low)

    zero = x_of(0.0)
    for index, ((label, value), shown, value_text) in enumerate(
        zip(rows, shown_labels, value_texts)
    ):
        y = top + index * (bar_height + gap)
        middle = y + bar_height / 2 + 4
        chart.add(chart.text(label_width - 8, middle, shown, anchor="end", full=label))
        if value is None:
            chart.add(
                chart.text(
                    zero + 4,
                    middle,
                    vocabulary["no_data"],
                    size=SMALL_SIZE,
                    fill=MUTED,
                    italic=True,
                )
            )
            continue
        start, end = sorted((zero, x_of(value)))
        chart.add(
            _titled(
                _el(
                    "rect",
                    x=start,
                    y=float(y),
                    width=max(end - start, 1.0),
                    height=bar_height,
                    fill=colour,
                ),
                f"{label}: {value_text}",
            )
        )
        if value >= 0:
            chart.add(chart.text(end + 5, middle, value_text, size=SMALL_SIZE))
        else:
            chart.add(chart.text(start - 5, middle, value_text, size=SMALL_SIZE, anchor="end"))
    if low < 0:
        chart.add(_el("line", x1=zero, x2=zero, y1=top - 4, y2=height - 4, stroke=MUTED))
    return chart.render()


# --- Status bar -------------------------------------------------------------------------------


def status_bar(
    counts: Mapping[str, int],
    *,
    title: str,
    labels: Mapping[str, str] | None = None,
    width: int = 640,
    language: str = "en",
    number_format: NumberFormat | None = None,
) -> Markup:
    """Draw one stacked bar of findings: compliant, partially, non-compliant, not assessed.

    :param counts: findings per status (keys from ``monitor.checklists.schema.STATUSES``,
        ``partial`` accepted for ``partially_compliant``; missing keys count as 0).
    :param title: the chart's title.
    :param labels: status → text, to replace the built-in words (e.g. from a translation).
    :param width: total width in px.
    :param language: for the built-in words and the default number format.
    :param number_format: turns a number into text; default :func:`format_number`.
    :returns: the ``<svg>`` markup.
    :raises ValueError: an unknown status or a negative count.
    """
    fmt = number_format or (lambda v: format_number(v, language))
    vocabulary = words(language)
    values = dict.fromkeys(STATUSES, 0)
    for key, count in counts.items():
        status = _STATUS_ALIASES.get(key, key)
        if status not in STATUSES:
            raise ValueError(f"Unknown status {key!r} in the counts; use {', '.join(STATUSES)}.")
        if count is None or count < 0:
            raise ValueError(f"The count for {key!r} is {count!r}; counts must be 0 or more.")
        values[status] += int(count)
    given = {_STATUS_ALIASES.get(k, k): v for k, v in (labels or {}).items()}
    names = {status: given.get(status) or vocabulary[status] for status in STATUSES}
    total = sum(values.values())

    def share(count: int) -> str:
        return f"{round(100 * count / total)}%" if total else "0%"

    description = " ".join(
        [vocabulary["status_total"].format(total=fmt(total))]
        + [
            vocabulary["status_item"].format(
                label=names[s], count=fmt(values[s]), share=share(values[s])
            )
            for s in STATUSES
        ]
    )
    legend = _legend_rows(
        [f"{names[s]}: {fmt(values[s])} ({share(values[s])})" for s in STATUSES],
        width,
        0,
        item_chars=40,
        swatch=20,
    )
    bar_top, bar_height = 28, 28
    height = bar_top + bar_height + 10 + 20 * len(legend)
    chart = _Svg(
        "status",
        width,
        height,
        title=title,
        description=description,
        chart_id=_chart_id("status", title, values),
    )
    chart.add(
        chart.text(
            0, 16, _truncate(title, int(width / 8)), size=TITLE_SIZE, weight="bold", full=title
        )
    )

    fills = {s: STATUS_COLOURS[s] for s in STATUSES}
    fills["not_assessed"] = chart.hatch()
    if total == 0:
        chart.add(
            _el(
                "rect",
                x=0.5,
                y=bar_top,
                width=width - 1,
                height=bar_height,
                fill="none",
                stroke=GRID,
            )
        )
        chart.add(
            chart.text(
                width / 2,
                bar_top + bar_height / 2 + 4,
                vocabulary["no_findings"],
                anchor="middle",
                fill=MUTED,
                italic=True,
            )
        )
    else:
        x = 0.0
        for status in STATUSES:
            count = values[status]
            if not count:
                continue
            segment = width * count / total
            text = f"{names[status]}: {fmt(count)} ({share(count)})"
            chart.add(
                _titled(
                    _el(
                        "rect",
                        x=x,
                        y=bar_top,
                        width=segment,
                        height=bar_height,
                        fill=fills[status],
                        stroke="#FFFFFF",
                        stroke_width=1,
                    ),
                    text,
                )
            )
            label = fmt(count)
            if segment >= len(label) * CHAR_WIDTH + 8:
                ink = _text_colour_on(STATUS_COLOURS[status]) if status != "not_assessed" else INK
                if status == "not_assessed":  # keep the number readable on the hatching
                    chart.add(
                        _el(
                            "rect",
                            x=x + segment / 2 - len(label) * 4 - 3,
                            y=bar_top + 7,
                            width=len(label) * 8 + 6,
                            height=14,
                            fill="#FFFFFF",
                            rx=2,
                        )
                    )
                chart.add(
                    chart.text(
                        x + segment / 2,
                        bar_top + bar_height / 2 + 4,
                        label,
                        anchor="middle",
                        weight="bold",
                        fill=ink,
                    )
                )
            x += segment

    for row_index, row in enumerate(legend):
        y = bar_top + bar_height + 12 + row_index * 20
        for index, text, x in row:
            status = STATUSES[index]
            chart.add(_swatch(x, y, fills[status]))
            chart.add(chart.text(x + 20, y + 11, text, size=SMALL_SIZE))
    return chart.render()


# --- Heat map ---------------------------------------------------------------------------------


def heat_class(value: float) -> int:
    """Which of the five heat-map classes a share in [0, 1] falls in (0 lowest)."""
    return min(int(value * len(HEAT_COLOURS)), len(HEAT_COLOURS) - 1)


def _percent(value: float) -> str:
    return f"{round(value * 100)}%"


def heat_map(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Mapping[tuple[str, str], float | None],
    *,
    title: str,
    row_links: Mapping[str, str] | None = None,
    cell_width: int = 52,
    cell_height: int = 26,
    max_label_chars: int = 32,
    language: str = "en",
    value_format: NumberFormat | None = None,
) -> Markup:
    """Draw a grid of shares (0..1), e.g. monitoring area × facility, share of standards met.

    Each cell is coloured in five classes and shows its value as text; a missing or ``None``
    value is hatched "not assessed". A legend below explains both.

    With *row_links* the row labels are links, and the chart's role is ``group`` rather than
    ``img``: ``role="img"`` would hide the links from keyboard and screen-reader users.

    :param rows: row labels, top to bottom (e.g. monitoring areas).
    :param columns: column labels, left to right (e.g. facilities); drawn slanted above.
    :param values: ``(row, column)`` → share in [0, 1] or ``None``; keys for rows or columns
        not listed are ignored.
    :param title: the chart's title.
    :param row_links: row label → URL (relative, http or https) for the row's details.
    :param cell_width: cell width in px.
    :param cell_height: cell height in px.
    :param max_label_chars: longer labels are cut with "…"; the full text stays in a tooltip.
    :param language: for the built-in words.
    :param value_format: turns a share into cell text; default a whole percentage.
    :returns: the ``<svg>`` markup.
    :raises ValueError: a value outside [0, 1] (the message names the cell), or a link with
        another scheme (``javascript:`` and the like).
    """
    fmt = value_format or _percent
    vocabulary = words(language)
    row_labels, column_labels = [str(r) for r in rows], [str(c) for c in columns]
    grid: dict[tuple[int, int], float | None] = {}
    for i, row in enumerate(row_labels):
        for j, column in enumerate(column_labels):
            value = _num(values.get((rows[i], columns[j])))
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(
                    f"Heat map cell ({row!r}, {column!r}) is {value}; "
                    "shares must lie between 0 and 1."
                )
            grid[i, j] = value
    links = {str(k): _safe_href(v, f"row {k!r}") for k, v in (row_links or {}).items()}

    assessed = sum(v is not None for v in grid.values())
    description = " ".join(
        [
            vocabulary["heat"].format(
                rows=", ".join(map(_clean, row_labels)) or "–",
                columns=", ".join(map(_clean, column_labels)) or "–",
                assessed=assessed,
                cells=len(grid),
            ),
            vocabulary["heat_scale"].format(low=fmt(0.0), high=fmt(1.0)),
        ]
    )
    shown_rows = [_truncate(r, max_label_chars) for r in row_labels]
    shown_columns = [_truncate(c, 24) for c in column_labels]
    label_width = max([len(s) for s in shown_rows] + [6]) * CHAR_WIDTH + 12
    slant = 0.71 * SMALL_CHAR_WIDTH  # column labels run at 45°: rise per character
    header = max([len(s) for s in shown_columns] + [4]) * slant + 12
    top = 28 + header
    grid_width = max(len(column_labels), 1) * cell_width
    overhang = len(shown_columns[-1]) * slant if column_labels else 0.0
    width = max(label_width + grid_width + max(overhang - cell_width / 2, 0) + 8, 360)
    step = len(HEAT_COLOURS)
    legend_labels = [f"{fmt(k / step)}–{fmt((k + 1) / step)}" for k in range(step)] + [
        vocabulary["not_assessed"]
    ]
    legend = _legend_rows(legend_labels, width, 0, swatch=18)
    legend_top = top + max(len(row_labels), 1) * cell_height + 14
    height = legend_top + 20 * len(legend)

    chart = _Svg(
        "heat",
        width,
        height,
        title=title,
        description=description,
        chart_id=_chart_id("heat", title, row_labels, column_labels, sorted(grid.items())),
        role="group" if links else "img",
    )
    chart.add(
        chart.text(
            0, 16, _truncate(title, int(width / 8)), size=TITLE_SIZE, weight="bold", full=title
        )
    )
    hatch = chart.hatch()

    for j, (full, shown) in enumerate(zip(column_labels, shown_columns)):
        x = label_width + j * cell_width + cell_width / 2
        chart.add(
            chart.text(
                0,
                0,
                shown,
                size=SMALL_SIZE,
                full=full,
                transform=f"translate({_fmt(x)},{_fmt(top - 6)}) rotate(-45)",
            )
        )
    for i, (full, shown) in enumerate(zip(row_labels, shown_rows)):
        y = top + i * cell_height + cell_height / 2 + 4
        label = chart.text(
            label_width - 8,
            y,
            shown,
            anchor="end",
            full=full,
            fill=PALETTE[0] if full in links else INK,
        )
        if full in links:
            label = f"<a href={_attr(links[full])}>{label}</a>"
        chart.add(label)
        for j, column in enumerate(column_labels):
            x = label_width + j * cell_width
            cell_y = top + i * cell_height
            value = grid[i, j]
            if value is None:
                tooltip = f"{full} · {column}: {vocabulary['not_assessed']}"
                chart.add(
                    _titled(
                        _el(
                            "rect",
                            x=float(x),
                            y=float(cell_y),
                            width=cell_width,
                            height=cell_height,
                            fill=hatch,
                            stroke="#FFFFFF",
                            stroke_width=1.5,
                        ),
                        tooltip,
                    )
                )
                continue
            colour = HEAT_COLOURS[heat_class(value)]
            text = fmt(value)
            chart.add(
                _titled(
                    _el(
                        "rect",
                        x=float(x),
                        y=float(cell_y),
                        width=cell_width,
                        height=cell_height,
                        fill=colour,
                        stroke="#FFFFFF",
                        stroke_width=1.5,
                    ),
                    f"{full} · {column}: {text}",
                )
            )
            chart.add(
                chart.text(
                    x + cell_width / 2,
                    cell_y + cell_height / 2 + 4,
                    text,
                    size=SMALL_SIZE,
                    anchor="middle",
                    fill=_text_colour_on(colour),
                )
            )

    swatches = list(HEAT_COLOURS) + [hatch]
    for row_index, row in enumerate(legend):
        y = legend_top + row_index * 20
        for index, text, x in row:
            chart.add(_swatch(x, y, swatches[index]))
            chart.add(chart.text(x + 18, y + 11, text, size=SMALL_SIZE))
    return chart.render()


# --- Sparkline --------------------------------------------------------------------------------


def sparkline(
    values: Iterable[float | None],
    *,
    label: str = "",
    width: int = 100,
    height: int = 24,
    colour: str = PALETTE[0],
    language: str = "en",
    number_format: NumberFormat | None = None,
) -> Markup:
    """Draw a word-sized trend line (no axes), the latest value marked with a dot.

    :param values: evenly spaced values, oldest first; ``None`` leaves a gap.
    :param label: what the values are ("People held"); starts the accessible description.
    :param width: width in px.
    :param height: height in px.
    :param colour: line colour (hex).
    :param language: for the built-in words and the default number format.
    :param number_format: turns a number into text; default :func:`format_number`.
    :returns: the ``<svg>`` markup.
    """
    fmt = number_format or (lambda v: format_number(v, language))
    vocabulary = words(language)
    _check_colour(colour)
    numbers = [_num(v) for v in values]
    known = [v for v in numbers if v is not None]
    prefix = f"{_clean(label)}: " if label else ""
    if known:
        latest = next(v for v in reversed(numbers) if v is not None)
        description = vocabulary["spark"].format(
            label=prefix, latest=fmt(latest), low=fmt(min(known)), high=fmt(max(known))
        )
    else:
        description = prefix + vocabulary["no_data"]
    chart = _Svg(
        "spark",
        width,
        height,
        title=label or description,
        description=description,
        chart_id=_chart_id("spark", label, numbers),
    )
    if not known:
        chart.add(
            f'<line x1="2" x2="{_fmt(width - 2)}" y1="{_fmt(height / 2)}" y2="{_fmt(height / 2)}" '
            f'stroke="{GRID}" stroke-dasharray="3 3"/>'
        )
        return chart.render()
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    pad = 3.0
    count = len(numbers)

    def point(i: int, v: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (i / (count - 1) if count > 1 else 0.5)
        y = height - pad - (height - 2 * pad) * ((v - low) / span if high > low else 0.5)
        return x, y

    segments: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(numbers):
        if v is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(point(i, v))
    for segment in filter(None, segments):
        if len(segment) == 1:
            x, y = segment[0]
            chart.add(_el("circle", cx=x, cy=y, r=1.5, fill=colour))
        else:
            path = "M" + " L".join(f"{_fmt(x)},{_fmt(y)}" for x, y in segment)
            chart.add(
                _el(
                    "path",
                    d=path,
                    fill="none",
                    stroke=colour,
                    stroke_width=1.5,
                    stroke_linejoin="round",
                )
            )
    last_index = max(i for i, v in enumerate(numbers) if v is not None)
    x, y = point(last_index, numbers[last_index])  # type: ignore[arg-type]
    chart.add(_el("circle", cx=x, cy=y, r=2.5, fill=colour))
    return chart.render()
