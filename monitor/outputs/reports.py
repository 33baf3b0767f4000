"""Reports as HTML and PDF: Jinja templates in ``templates/reports/`` rendered by WeasyPrint.

The templates are meant to be adjusted by people who do not program: headings, order of the
sections, wording and the look (``report.css``). This module gives them a Jinja environment of
their own (not Flask's: reports are built from the command line too) with

- the translation functions ``_`` / ``gettext`` / ``ngettext`` (Flask-Babel's calling style,
  ``_("Page %(n)s", n=1)``) from the catalogues in ``monitor/translations``; a language without
  a catalogue, or a string not yet translated, shows the English text;
- filters that format dates and numbers with Babel for the report's language (``date``,
  ``visit_date``, ``number``, ``percent``, ``label``, ``css_string``);
- the SVG charts of :mod:`monitor.outputs.charts`, prepared for each report.

WeasyPrint reads nothing from the network: :class:`LocalOnlyFetcher` lets a report use
``data:`` URLs and files inside the report assets folder, and refuses anything else. This
module never queries the database; it renders the read models of
:mod:`monitor.services.report_data`.

Pinned to WeasyPrint 65: a URL fetcher is a callable ``fetcher(url, timeout=10,
ssl_context=None)`` returning a dict with ``string`` or ``file_obj``, plus optionally
``mime_type``, ``encoding``, ``redirected_url`` and ``filename``. WeasyPrint catches a
fetcher's exceptions and only logs them, so refusals are collected and raised after rendering.
"""

from __future__ import annotations

import base64
import functools
import logging
import mimetypes
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import weasyprint
from babel.dates import format_date, format_interval, format_skeleton
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations
from markupsafe import Markup

from monitor.core import paths
from monitor.core.errors import MonitorError
from monitor.outputs import charts
from monitor.privacy import policy

logger = logging.getLogger(__name__)

REPORT_TEMPLATES = paths.TEMPLATES / "reports"
#: The only folder a report may load files from (images, fonts, extra stylesheets).
ASSETS = REPORT_TEMPLATES / "assets"
STYLESHEET = REPORT_TEMPLATES / "report.css"
TRANSLATIONS = paths.PACKAGE / "translations"
TEMPLATE_OF = {"visit": "reports/visit.html", "facility": "reports/facility.html",
               "thematic": "reports/thematic.html"}
FORMATS = ("pdf", "html")
_LOGO_TYPES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"}
_LOGO_MAX_BYTES = 2 * 1024 * 1024


class ReportAssetError(MonitorError):
    """A report refers to something it may not load (a web address, a file elsewhere)."""


# --- the URL fetcher ---------------------------------------------------------------------------

class LocalOnlyFetcher:
    """A WeasyPrint 65 URL fetcher that serves ``data:`` URLs and files inside *root* only.

    Every refused URL is kept in :attr:`refused` (WeasyPrint swallows the exception and only
    logs it), so the caller can fail after rendering.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.refused: list[str] = []

    def __call__(self, url: str, timeout: float = 10, ssl_context: Any = None) -> dict[str, Any]:
        """Fetch *url* (signature of :func:`weasyprint.default_url_fetcher` in WeasyPrint 65).

        :raises ReportAssetError: *url* is not a ``data:`` URL or a file inside the root.
        """
        if url.startswith("data:"):
            return weasyprint.default_url_fetcher(url, timeout=timeout, ssl_context=ssl_context)
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            target = Path(unquote(parts.path)).resolve()
            if target.is_relative_to(self.root) and target.is_file():
                mime_type, _ = mimetypes.guess_type(target.name)
                return {"file_obj": target.open("rb"), "mime_type": mime_type,
                        "redirected_url": target.as_uri(), "filename": target.name}
        self.refused.append(url)
        raise ReportAssetError(_refusal(url, self.root))


def _refusal(url: str, root: Path) -> str:
    shown = url if len(url) <= 120 else url[:117] + "..."
    where = _display_path(root)
    if urlsplit(url).scheme in ("http", "https"):
        return (f"The report refers to the web address {shown}; reports never use the network. "
                f"Put a copy of the file in {where}/ and refer to it by its name.")
    return (f"The report refers to {shown}, which is outside the report assets folder; "
            f"reports may only use files in {where}/ and data: URLs.")


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(paths.HOME))
    except ValueError:
        return str(path)


def render_pdf(html: str, base_dir: Path = ASSETS, *, stylesheets: Sequence[str] = ()) -> bytes:
    """Render an HTML page to PDF, letting it load only ``data:`` URLs and files in *base_dir*.

    Relative URLs in the page (images, stylesheets) are resolved against *base_dir*. Reused for
    the printable blank checklist.

    :param stylesheets: extra CSS texts applied after the page's own styles.
    :raises ReportAssetError: the page referred to anything else (nothing is returned then).
    """
    return _render(html, base_dir, stylesheets)[0]


def _render(html: str, base_dir: Path, stylesheets: Sequence[str] = ()) -> tuple[bytes, int]:
    fetcher = LocalOnlyFetcher(base_dir)
    base_url = fetcher.root.as_uri() + "/"
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
        stylesheets=[weasyprint.CSS(string=css, base_url=base_url, url_fetcher=fetcher)
                     for css in stylesheets])
    if fetcher.refused:
        raise ReportAssetError(_refusal(fetcher.refused[0], fetcher.root)
                               + (f" ({len(fetcher.refused) - 1} more such references.)"
                                  if len(fetcher.refused) > 1 else ""))
    return document.write_pdf(), len(document.pages)


# --- the Jinja environment ---------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def translations_for(language: str) -> NullTranslations:
    """The message catalogue of *language*; without one, English text passes through."""
    return Translations.load(str(TRANSLATIONS), [language])


def gettext_for(language: str) -> Callable[..., str]:
    """A ``gettext(text, **values)`` in Flask-Babel's style for Python code (charts, filters)."""
    translations = translations_for(language)

    def gettext(text: str, **values: Any) -> str:
        translated = translations.gettext(text)
        return translated % values if values else translated

    return gettext


@functools.lru_cache(maxsize=8)
def report_environment(language: str) -> jinja2.Environment:
    """The Jinja environment for reports in *language* (one per language, reused)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(paths.TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    env.install_gettext_translations(translations_for(language),  # type: ignore[attr-defined]
                                     newstyle=True)
    gettext = gettext_for(language)
    env.filters.update(
        date=functools.partial(_date, language=language),
        visit_date=functools.partial(_visit_date, language=language),
        month=lambda day: "—" if day is None else format_skeleton("yMMMM", day, locale=language),
        number=functools.partial(_number, language=language, gettext=gettext),
        percent=functools.partial(_percent, language=language),
        label=lambda text: text.get(language) if hasattr(text, "get") else str(text or ""),
        css_string=css_string)
    env.globals.update(language=language, page_of=Markup(_page_of(gettext)),
                       area_entries=lambda areas: [(f"area-{a.area_id}", a.name or gettext("Other"))
                                                   for a in areas])
    return env


def _page_of(gettext: Callable[..., str]) -> str:
    """The CSS ``content`` of the page number, e.g. ``"Page " counter(page) " of " ...``."""
    text = gettext("Page %(page)s of %(pages)s", page="\x01", pages="\x02")
    marked = text.replace("\x02", "\x00pages\x00").replace("\x01", "\x00page\x00")
    parts = []
    for piece in marked.split("\x00"):
        if piece in ("page", "pages"):
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(str(css_string(piece)))
    return " ".join(parts)


def _date(value: date | datetime | None, style: str = "long", *, language: str) -> str:
    if value is None:
        return "—"
    return format_date(value, format=style, locale=language)


def _visit_date(visit: Any, *, language: str) -> str:
    """A visit's dates: a day or a range, or only the month in public reports."""
    start, end = visit.start_date, visit.end_date
    if getattr(visit, "month_only", False):
        return format_skeleton("yMMMM", start, locale=language)
    if end is None or end == start:
        return format_date(start, format="long", locale=language)
    return format_interval(start, end, "yMMMd", locale=language)


def _number(value: Any, digits: int = 1, *, language: str, gettext: Callable[..., str]) -> str:
    if value is None:
        return "—"
    if policy.is_suppressed(value):  # a count too small to publish
        return gettext("fewer than %(n)s", n=value.minimum)
    if isinstance(value, policy.LowerBound):
        return gettext("at least %(n)s", n=format_decimal(value.value, locale=language))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, (int, float)):
        pattern = "#,##0" + ("." + "#" * digits if digits and not isinstance(value, int) else "")
        return format_decimal(value, format=pattern, locale=language)
    return str(value)


def _percent(share: float | None, *, language: str) -> str:
    return "—" if share is None else format_percent(share, locale=language)


def css_string(text: str) -> Markup:
    """Quote *text* as a CSS string (for ``content:`` in page margins)."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return Markup(f'"{escaped}"')


# --- building a report -------------------------------------------------------------------------

@dataclass
class BuiltReport:
    """A rendered report: its HTML, its PDF (unless only HTML was asked) and what it cost."""

    html: str
    pdf: bytes | None
    pages: int | None
    #: Seconds: ``query`` (read model), ``html`` (charts + Jinja), ``pdf`` (WeasyPrint).
    timings: dict[str, float] = field(default_factory=dict)

    def write(self, path: Path, fmt: str) -> None:
        """Write the PDF or the HTML to *path* (through a temporary file, then renamed)."""
        content = self.pdf if fmt == "pdf" else self.html.encode("utf-8")
        if content is None:
            raise ValueError("This report was built without a PDF.")
        partial = path.with_name(f".{path.name}.part")
        try:
            partial.write_bytes(content)
            partial.replace(path)  # a reader never sees half a file
        finally:
            partial.unlink(missing_ok=True)


def paper_stylesheet(language: str) -> str:
    """Page size, margins and page numbers for printable pages (``reports/paper.css``)."""
    return report_environment(language).get_template("reports/paper.css").render()


def render_html(data: Any) -> str:
    """Render a report read model (visit, facility or thematic) to a standalone HTML page."""
    language = data.header.language
    env = report_environment(language)
    template = env.get_template(TEMPLATE_OF[data.kind])
    return template.render(
        data=data, header=data.header, css=Markup(_stylesheet()),
        logo=logo_uri(data.header.logo),
        charts=_CHARTS[data.kind](data, language, gettext_for(language)))


def build(data: Any, *, fmt: str = "pdf") -> BuiltReport:
    """Render a report read model to HTML and (for ``pdf``) to PDF, timing each part.

    :raises ReportAssetError: a template refers to a file outside the assets or the web.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown report format {fmt!r}; use pdf or html.")
    timings = {"query": data.header.timings.get("query", 0.0)}
    started = time.perf_counter()
    html = render_html(data)
    timings["html"] = time.perf_counter() - started
    pdf = pages = None
    if fmt == "pdf":
        started = time.perf_counter()
        pdf, pages = _render(html, ASSETS)
        timings["pdf"] = time.perf_counter() - started
    logger.info("report %s built: %s pages, %.2fs", data.kind, pages, sum(timings.values()))
    return BuiltReport(html, pdf, pages, timings)


@functools.lru_cache(maxsize=4)
def _stylesheet_cached(mtime: float) -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def _stylesheet() -> str:
    # Inlined so the HTML file stands alone; re-read when someone edits it.
    return _stylesheet_cached(STYLESHEET.stat().st_mtime)


def logo_uri(path: Path | None) -> str | None:
    """The organisation's logo as a ``data:`` URL (so a report needs no file beside it).

    :raises ReportAssetError: the file cannot be read, is not an image or is too large.
    """
    if path is None:
        return None
    mime_type, _ = mimetypes.guess_type(path.name)
    if mime_type not in _LOGO_TYPES:
        raise ReportAssetError(f"The organisation logo {path} is not a PNG, JPEG, GIF, SVG or "
                               "WebP image; set MONITOR_ORG_LOGO to an image file.")
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ReportAssetError(f"The organisation logo {path} cannot be read "
                               f"({error.strerror}); check MONITOR_ORG_LOGO.") from None
    if len(content) > _LOGO_MAX_BYTES:
        raise ReportAssetError(f"The organisation logo {path} is larger than 2 MB; use a "
                               "smaller image.")
    return f"data:{mime_type};base64,{base64.b64encode(content).decode('ascii')}"


# --- charts prepared for each report -----------------------------------------------------------

Gettext = Callable[..., str]


def _whole(language: str) -> Callable[[float], str]:
    """Percentages as whole numbers, as the tables beside the charts show them."""
    return lambda value: charts.format_number(round(value), language)


def _status_counts(findings: Sequence[Any]) -> dict[str, int]:
    counts = dict.fromkeys(("compliant", "partially_compliant", "non_compliant", "not_assessed"), 0)
    for finding in findings:
        counts[finding.status] = counts.get(finding.status, 0) + 1
    return counts


def _status_labels(_: Gettext) -> dict[str, str]:
    return {"compliant": _("Compliant"), "partially_compliant": _("Partially compliant"),
            "non_compliant": _("Not compliant"), "not_assessed": _("Not assessed")}


def _visit_charts(data: Any, language: str, _: Gettext) -> Mapping[str, Markup]:
    findings = [f for area in data.areas for f in area.findings]
    scored = [(a.name, None if a.score is None else a.score * 100) for a in data.areas]
    return {
        "status": charts.status_bar(_status_counts(findings), title=_("Findings by status"),
                                    labels=_status_labels(_), language=language),
        "areas": charts.bar_chart(scored, title=_("Score by monitoring area"), unit="%",
                                  language=language, max_label_chars=34,
                                  number_format=_whole(language)),
    }


def _facility_charts(data: Any, language: str, _: Gettext) -> Mapping[str, Markup]:
    trend = data.trend
    shown: dict[str, Markup] = {}
    overall = [(p.day, None if p.score_overall is None else p.score_overall * 100) for p in trend]
    shown["overall"] = charts.line_chart(
        [charts.Series(_("Overall score"), overall)], title=_("Overall score at each visit"),
        y_label=_("Score (%)"), language=language, number_format=_whole(language))
    columns = [_visit_date(v, language=language) for v in data.visits]
    names = data.area_names
    values = {(names[area_id], column): score
              for point, column in zip(trend, columns, strict=True)
              for area_id, score in point.areas.items() if area_id in names}
    shown["areas"] = charts.heat_map(list(names.values()), columns, values,
                                     title=_("Score by monitoring area and visit"),
                                     language=language, cell_width=max(52, 8 * max(
                                         (len(c) for c in columns), default=6)))
    people = [(p.day, p.population_number) for p in trend]
    if any(v is not None for _d, v in people):
        capacity = next((p.capacity for p in reversed(trend) if p.capacity), None)
        shown["population"] = charts.line_chart(
            [charts.Series(_("People held"), people)], title=_("People held at each visit"),
            reference=capacity, reference_label=_("Official capacity"), language=language)
    shown["red_flags"] = charts.bar_chart(
        [(column, p.red_flags) for p, column in zip(trend, columns, strict=True)],
        title=_("Red flags raised at each visit"), language=language, colour="#D55E00")
    latest = [f for area in data.areas for f in area.findings]
    shown["status"] = charts.status_bar(_status_counts(latest),
                                        title=_("Findings at the latest visit"),
                                        labels=_status_labels(_), language=language)
    return shown


def _thematic_charts(data: Any, language: str, _: Gettext) -> Mapping[str, Markup]:
    rows = data.facilities
    shown = {
        "scores": charts.bar_chart(
            [(r.facility.name, None if r.score is None else r.score * 100) for r in rows],
            title=_("Score on this theme, by facility (latest visit)"), unit="%",
            language=language, max_label_chars=40, number_format=_whole(language)),
        "status": charts.status_bar(data.status_totals, title=_("Findings on this theme"),
                                    labels=_status_labels(_), language=language),
    }
    if len(data.subareas) > 1 and rows:
        names = dict(data.subareas)
        shown["heat"] = charts.heat_map(
            [names[s] for s, _n in data.subareas], [r.facility.public_id for r in rows],
            {(names[s], f): v for (s, f), v in data.heat.items()},
            title=_("Score by sub-area and facility"), language=language)
    return shown


_CHARTS: dict[str, Callable[[Any, str, Gettext], Mapping[str, Markup]]] = {
    "visit": _visit_charts, "facility": _facility_charts, "thematic": _thematic_charts}
