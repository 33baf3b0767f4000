"""The report renderer on its own: the local-only fetcher, PDFs from plain HTML, translations,
formatting filters and the themes file. No database."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from PIL import Image
from pypdf import PdfReader

from monitor.core import paths
from monitor.core.errors import ChecklistError
from monitor.outputs import reports
from monitor.outputs.reports import LocalOnlyFetcher, ReportAssetError, render_pdf
from monitor.privacy.policy import LowerBound, Suppressed
from monitor.services.catalog import load_catalog
from monitor.services.report_data import load_themes


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "#D55E00").save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    root = tmp_path / "assets"
    root.mkdir()
    (root / "dot.png").write_bytes(PNG)
    (tmp_path / "outside.png").write_bytes(PNG)
    return root


@pytest.mark.parametrize("url", ["http://example.org/logo.png", "https://example.org/a.css",
                                 "ftp://example.org/x.png", "//example.org/x.png"])
def test_the_fetcher_refuses_the_network(assets, url):
    fetcher = LocalOnlyFetcher(assets)
    with pytest.raises(ReportAssetError) as refused:
        fetcher(url)
    assert url in str(refused.value)
    assert fetcher.refused == [url]


def test_a_web_address_is_refused_with_the_fix_in_words(assets):
    with pytest.raises(ReportAssetError) as refused:
        LocalOnlyFetcher(assets)("https://cdn.example.org/font.woff2")
    message = str(refused.value)
    assert "never use the network" in message
    assert "Put a copy of the file in" in message


def test_the_fetcher_refuses_files_outside_the_assets(assets, tmp_path):
    fetcher = LocalOnlyFetcher(assets)
    for url in [(tmp_path / "outside.png").as_uri(),
                assets.as_uri() + "/../outside.png",  # climbing out
                "file:///etc/hostname",
                "file://otherhost" + (assets / "dot.png").as_posix()]:
        with pytest.raises(ReportAssetError, match="outside the report assets folder"):
            fetcher(url)
    (assets / "link.png").symlink_to(tmp_path / "outside.png")  # a link pointing out
    with pytest.raises(ReportAssetError):
        fetcher((assets / "link.png").as_uri())
    assert len(fetcher.refused) == 5


def test_the_fetcher_serves_assets_and_data_urls(assets):
    fetcher = LocalOnlyFetcher(assets)
    served = fetcher((assets / "dot.png").as_uri())
    try:
        assert served["file_obj"].read() == PNG
        assert served["mime_type"] == "image/png"
    finally:
        served["file_obj"].close()
    inline = fetcher("data:image/png;base64," + base64.b64encode(PNG).decode())
    content = inline.get("string") or inline["file_obj"].read()
    assert content == PNG
    assert fetcher.refused == []


def test_render_pdf_fails_when_the_page_refers_to_the_web(assets):
    html = ('<html><body><h1>Report</h1><img src="http://127.0.0.1:9/logo.png">'
            '<link rel="stylesheet" href="https://example.org/x.css"></body></html>')
    with pytest.raises(ReportAssetError) as refused:
        render_pdf(html, assets)
    assert "http://127.0.0.1:9/logo.png" in str(refused.value) or "example.org" in str(
        refused.value)
    assert "1 more" in str(refused.value)


def test_render_pdf_fails_for_a_file_outside_the_assets(assets, tmp_path):
    html = f'<p>Hello</p><img src="{(tmp_path / "outside.png").as_uri()}">'
    with pytest.raises(ReportAssetError, match="outside the report assets folder"):
        render_pdf(html, assets)


def test_render_pdf_uses_files_from_the_assets(assets):
    pdf = render_pdf('<h1>Informe</h1><img src="dot.png" style="width:2cm">', assets,
                     stylesheets=["h1 { color: #1f4e79 }"])
    reader = PdfReader(io.BytesIO(pdf))
    assert "Informe" in reader.pages[0].extract_text()
    assert len(reader.pages[0].images) == 1


def test_the_organisation_logo_becomes_a_data_url(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    assert reports.logo_uri(logo) == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert reports.logo_uri(None) is None
    with pytest.raises(ReportAssetError, match="MONITOR_ORG_LOGO"):
        reports.logo_uri(tmp_path / "missing.png")
    text = tmp_path / "logo.txt"
    text.write_text("not an image")
    with pytest.raises(ReportAssetError, match="not a PNG"):
        reports.logo_uri(text)


@pytest.fixture
def spanish_catalogue(tmp_path, monkeypatch):
    """A message catalogue with a few report strings, installed where reports look."""
    catalogue = Catalog(locale="es", domain="messages")
    catalogue.add("Summary of key concerns", "Resumen de las principales preocupaciones")
    catalogue.add("Page %(page)s of %(pages)s", "Página %(page)s de %(pages)s")
    catalogue.add("fewer than %(n)s", "menos de %(n)s")
    folder = tmp_path / "translations" / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as handle:
        write_mo(handle, catalogue)
    monkeypatch.setattr(reports, "TRANSLATIONS", tmp_path / "translations")
    reports.report_environment.cache_clear()
    reports.translations_for.cache_clear()
    yield
    reports.report_environment.cache_clear()
    reports.translations_for.cache_clear()


def test_report_strings_come_from_the_message_catalogue(spanish_catalogue):
    env = reports.report_environment("es")
    assert env.from_string('{{ _("Summary of key concerns") }}').render() == (
        "Resumen de las principales preocupaciones")
    assert env.globals["page_of"] == '"Página " counter(page) " de " counter(pages)'
    assert env.from_string("{{ value|number }}").render(value=Suppressed(5)) == "menos de 5"
    # A string without a translation, and a language without a catalogue, stay English.
    assert env.from_string('{{ _("Red flags") }}').render() == "Red flags"
    english = reports.report_environment("en")
    assert english.from_string('{{ _("Summary of key concerns") }}').render() == (
        "Summary of key concerns")
    assert english.globals["page_of"] == '"Page " counter(page) " of " counter(pages)'


def test_filters_format_numbers_dates_and_withheld_counts_per_language():
    from datetime import date

    english, spanish = reports.report_environment("en"), reports.report_environment("es")
    template = "{{ v|number }}|{{ d|date }}|{{ s|percent }}|{{ d|month }}"
    values = dict(v=12345.678, d=date(2026, 10, 3), s=0.5)
    assert english.from_string(template).render(**values) == (
        "12,345.7|October 3, 2026|50%|October 2026")
    assert spanish.from_string(template).render(**values) == (
        "12.345,7|3 de octubre de 2026|50\xa0%|octubre de 2026")
    assert english.from_string("{{ v|number }}").render(v=Suppressed(5)) == "fewer than 5"
    assert english.from_string("{{ v|number }}").render(v=LowerBound(1200)) == "at least 1,200"
    assert english.from_string("{{ v|number }}").render(v=None) == "—"


def test_css_strings_are_quoted_safely():
    assert reports.css_string('Red "Ciudadana" \\ A') == '"Red \\"Ciudadana\\" \\\\ A"'


def test_the_shipped_themes_load_and_cover_the_four_required_topics():
    themes = load_themes(load_catalog(paths.CHECKLISTS))
    assert {"children", "legal_counsel", "health", "material_conditions"} <= set(themes)
    health = themes["health"]
    assert "health.screening" in health.subareas and "health.access_care" in health.subareas
    assert health.standards and "death_in_custody" in health.red_flags
    assert themes["children"].title.get("es") != themes["children"].title.get("en")


def test_a_broken_themes_file_lists_every_problem_with_its_line(tmp_path):
    broken = tmp_path / "themes.yaml"
    broken.write_text(
        "themes:\n"
        "  - id: wrong\n"
        "    title: {en: Wrong, es: Mal}\n"
        "    description: {en: D, es: D}\n"
        "    areas: [health.nowhere]\n"
        "    standards: [no-such-standard]\n"
        "    red_flags: [no_such_flag]\n"
        "  - id: half\n"
        "    title: {en: Only English}\n"
        "    description: {en: D, es: D}\n"
        "    areas: [health]\n", encoding="utf-8")
    with pytest.raises(ChecklistError) as failed:
        load_themes(load_catalog(paths.CHECKLISTS), broken)
    text = str(failed.value)
    for expected in ("themes.yaml:5", "health.nowhere", "themes.yaml:6", "no-such-standard",
                     "themes.yaml:7", "no_such_flag", "themes.yaml:9", "title"):
        assert expected in text, expected


def test_report_templates_and_stylesheet_use_no_remote_or_absolute_references():
    folder = paths.TEMPLATES / "reports"
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".css", ".yaml"):
            text = path.read_text(encoding="utf-8")
            assert "http://" not in text and "https://" not in text, path.name
            assert "url(/" not in text and 'src="/' not in text, path.name
    assert os.path.isdir(reports.ASSETS)
