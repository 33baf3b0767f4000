"""Reports built from the demo world: read back as text with pypdf, drawn as images with
pdftoppm, and searched for what must (and must never) be in them."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
from datetime import date

import pytest
from babel.dates import format_date, format_skeleton
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import event, select

from monitor.core.clock import today
from monitor.core.errors import InputError, RecordNotFound
from monitor.db.models import (
    AuditEvent,
    Facility,
    Finding,
    Recommendation,
    RecommendationStatus,
    RedFlagRecord,
    Visit,
    VisitState,
)
from monitor.outputs import reports
from monitor.services import report_data
from monitor.services.report_data import Period
from tests.reports.conftest import LONGEST_DETENTION, World

REC_STATUS = {"not_implemented": "Not implemented", "in_progress": "In progress",
              "partially_implemented": "Partially implemented", "implemented": "Implemented",
              "rejected": "Rejected by the authority"}
WHOLE_PERIOD = Period(date(2020, 1, 1), date(2030, 12, 31))


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Text with line breaks and repeated spaces folded (PDF text wraps anywhere)."""
    return " ".join(text.split())


def build(world: World, kind: str, *, fmt: str = "pdf", **options) -> tuple[object, object]:
    with world.sessions() as session:
        if kind == "visit":
            visit = session.get(Visit, options.pop("visit_id", world.visit_id))
            data = report_data.visit_report(session, visit, settings=world.settings,
                                            catalog=world.catalog, **options)
        elif kind == "facility":
            facility = session.get(Facility, options.pop("facility_id", world.facility_id))
            data = report_data.facility_report(session, facility, settings=world.settings,
                                               catalog=world.catalog, **options)
        else:
            data = report_data.thematic_report(session, options.pop("theme"),
                                               settings=world.settings, catalog=world.catalog,
                                               **options)
        return data, reports.build(data, fmt=fmt)


@pytest.fixture(scope="module")
def visit_internal(world):
    return build(world, "visit")


@pytest.fixture(scope="module")
def facility_internal(world):
    return build(world, "facility")


@pytest.fixture(scope="module")
def facility_public(world):
    return build(world, "facility", public=True)


def labels_of_flags(world: World, codes) -> list[str]:
    labels = {f.id: f.label.get("en") for c in world.catalog for f in c.red_flags}
    return [labels[code] for code in codes]


# --- the visit report ------------------------------------------------------------------------

def test_the_visit_report_is_confidential_on_every_page_and_numbers_them(visit_internal):
    _data, built = visit_internal
    pages = pages_of(built.pdf)
    assert len(pages) == built.pages > 5
    assert all("CONFIDENTIAL" in page for page in pages)
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]


def test_the_visit_report_has_the_team_red_flags_findings_scores_and_citations(world,
                                                                               visit_internal):
    data, built = visit_internal
    text = flat("\n".join(pages_of(built.pdf)))
    assert data.facility.name in text
    assert world.internal["team-member"] in text
    with world.sessions() as session:
        codes = session.scalars(select(RedFlagRecord.code).where(
            RedFlagRecord.visit_id == world.visit_id)).all()
        breaches = session.scalars(select(Finding.standard_id).where(
            Finding.visit_id == world.visit_id, Finding.status == "non_compliant")).all()
    assert codes and breaches
    for label in labels_of_flags(world, codes):
        assert label in text
    for standard_id in breaches:
        assert world.catalog.standards.standards[standard_id].citation("en") in text
    # The score table gives the rule behind each rating; the finding keeps its sentence.
    rated = [a for a in data.areas if a.rule]
    assert rated and all(flat(a.rule)[:40] in text for a in rated)
    # The sentence is said from the stored evidence, answer and question included.
    assert "As recorded: Not met: " in flat(text)
    assert f"'{world.internal['evidence']}' (question population_total)" in flat(text)
    assert world.internal["evidence"] in text
    # Access to the facility is described from the non-sensitive answers only.
    assert "Did the visit take place" in text
    assert world.secret["answer-access_notes"] not in text


def test_the_visit_report_never_shows_sensitive_answers_or_notes_even_internally(world,
                                                                                 visit_internal):
    _data, built = visit_internal
    for key in ("answer-access_notes", "answer-children_notes", "visit-notes", "review-comment",
                "interview-notes", "interview-language", "interview-code", "facility-notes"):
        assert world.secret[key] not in built.html, key


def test_pages_render_to_images_that_are_not_blank(tmp_path, visit_internal, facility_internal):
    if shutil.which("pdftoppm") is None:
        message = "pdftoppm is not installed (Debian package poppler-utils; `./run test`)."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    for name, (_data, built) in {"visit": visit_internal, "facility": facility_internal}.items():
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(built.pdf)
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "4", str(pdf),
                        str(tmp_path / name)], check=True, timeout=120)
        images = sorted(tmp_path.glob(f"{name}-*.png"))
        assert len(images) == 4
        for image_path in images:
            with Image.open(image_path) as image:
                grey = image.convert("L")
                histogram = grey.histogram()
            inked = sum(histogram[:200])  # pixels clearly darker than paper
            assert inked > 0.005 * grey.width * grey.height, image_path.name


# --- the facility report ---------------------------------------------------------------------

def test_the_facility_report_cites_standards_and_lists_flags_and_recommendations(
        world, facility_internal):
    data, built = facility_internal
    pages = pages_of(built.pdf)
    text = flat("\n".join(pages))
    assert data.facility.name in pages[0] and "Observatorio de Prueba" in pages[0]
    assert f"Page 1 of {len(pages)}" in pages[0]
    with world.sessions() as session:
        visits = session.scalars(select(Visit.id).where(
            Visit.facility_id == world.facility_id,
            Visit.state.in_(report_data.REPORTED_STATES))).all()
        codes = set(session.scalars(select(RedFlagRecord.code).where(
            RedFlagRecord.visit_id.in_(visits))))
        statuses = set(session.scalars(select(Recommendation.status).where(
            Recommendation.visit_id.in_(visits),
            Recommendation.status != RecommendationStatus.SUGGESTED)))
    assert codes and statuses
    for label in labels_of_flags(world, codes):
        assert label in text
    for status in statuses:
        assert REC_STATUS[status.value] in text
    for finding in data.concerns:
        assert finding.standard.citation in text
    if any(s.uncertain for s in data.standards):
        assert "(to verify)" in text
    # Every standard cited has its entry in the annex, with its paraphrase.
    annex = flat("\n".join(pages[_page_of(pages, "Annex: standards cited") - 1:]))
    for standard in data.standards[:10]:
        assert standard.id in annex and flat(standard.paraphrase)[:50] in annex
    # The implementation history, with follow-up notes, is in the internal edition.
    for key in ("recommendation-text", "follow-up-note", "authority-response", "evidence"):
        assert world.internal[key] in text, key


def _page_of(pages: list[str], heading: str) -> int:
    """The first page after the contents whose text starts a chapter called *heading*."""
    for number, page in enumerate(pages[2:], start=3):
        if heading in page:
            return number
    raise AssertionError(f"no page with {heading!r}")


def test_the_table_of_contents_gives_the_right_page_numbers(facility_internal):
    _data, built = facility_internal
    pages = pages_of(built.pdf)
    contents = pages[1]
    assert "Contents" in contents
    checked = 0
    for heading in ("Summary of key concerns", "Methodology", "Trends over the visits",
                    "Recommendations and their implementation", "Annex: standards cited"):
        listed = re.search(re.escape(heading) + r"[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert listed, heading
        assert int(listed.group(1)) == _page_of(pages, heading), heading
        checked += 1
    assert checked == 5


def test_the_running_header_names_the_facility_and_the_chapter(facility_internal):
    data, built = facility_internal
    pages = pages_of(built.pdf)
    annex_page = _page_of(pages, "Annex: standards cited")
    following = flat(pages[annex_page])  # the page after the annex starts: only the margins
    assert data.facility.name in following  # say where we are
    assert "Annex: standards cited" in following
    assert "Trends over the visits" in flat(pages[_page_of(pages, "Trends over the visits") - 1])


def test_the_public_facility_report_shows_nothing_sensitive(world, facility_public):
    data, built = facility_public
    text = flat("\n".join(pages_of(built.pdf)))
    for where, content in (("pdf", text), ("html", built.html)):
        lowered = content.lower()
        leaked = [k for k, v in world.secret.items() if v.lower() in lowered]
        assert not leaked, (where, leaked)
        assert str(LONGEST_DETENTION) not in content.replace(",", ""), where
        assert "rptmark" not in lowered, where
        assert "CONFIDENTIAL" not in content, where
    # What it does show: the facility, its standards, small counts withheld, months not days.
    assert data.facility.name in text and data.standards
    assert "fewer than 5" in text
    latest = data.latest
    assert format_skeleton("yMMMM", latest.start_date, locale="en") in text
    assert format_date(latest.start_date, "long", locale="en") not in text


def test_the_public_report_never_reads_an_unpublished_visit(world):
    with world.sessions() as session:
        hidden = session.get(Facility, session.get(Visit, world.hidden_visit_id).facility_id)
        hidden_id = hidden.id
    _data, internal = build(world, "facility", facility_id=hidden_id, fmt="html")
    _data, public = build(world, "facility", facility_id=hidden_id, fmt="html", public=True)
    assert world.secret["unpublished-recommendation"] in internal.html  # it is really there
    assert world.secret["unpublished-evidence"] in internal.html
    for key in ("unpublished-recommendation", "unpublished-evidence"):
        assert world.secret[key] not in public.html, key


def test_the_public_visit_report_leaves_out_the_team_and_everything_sensitive(world):
    data, built = build(world, "visit", fmt="html", public=True)
    lowered = built.html.lower()
    assert not [k for k, v in world.secret.items() if v.lower() in lowered]
    assert "rptmark" not in lowered and "CONFIDENTIAL" not in built.html
    assert data.visit.team == () and data.visit.interviews is None and data.access == []
    assert all(not f.evidence and f.text is None for a in data.areas for f in a.findings)
    assert format_skeleton("yMMMM", data.visit.start_date, locale="en") in built.html
    assert format_date(data.visit.start_date, "long", locale="en") not in built.html
    assert data.red_flags and all(flag.label in built.html for flag in data.red_flags)


def test_a_public_visit_report_needs_a_published_visit(world):
    with world.sessions() as session:
        with pytest.raises(RecordNotFound, match="not published"):
            report_data.visit_report(session, session.get(Visit, world.hidden_visit_id),
                                     settings=world.settings, catalog=world.catalog,
                                     public=True)
        draft = session.scalars(select(Visit).where(Visit.state == VisitState.DRAFT)).first()
        with pytest.raises(RecordNotFound, match="not been submitted"):
            report_data.visit_report(session, draft, settings=world.settings,
                                     catalog=world.catalog)


def test_the_spanish_report_has_spanish_dates_citations_areas_and_flags(world):
    data, built = build(world, "visit", language="es")
    text = flat("\n".join(pages_of(built.pdf)))
    assert format_date(today(), "long", locale="es") in text  # "25 de noviembre de 2026"
    assert "Condiciones materiales" in text and "Atención a la salud" in text
    assert "México" in text or data.facility.country_name in text
    breach = next(f for a in data.areas for f in a.findings if f.status == "non_compliant")
    standard = world.catalog.standards.standards[breach.standard.id]
    assert flat(standard.citation("es")) in text
    assert flat(standard.paraphrase.get("es"))[:60] in text
    assert data.red_flags
    spanish = {f.id: f.label.get("es") for c in world.catalog for f in c.red_flags}
    for flag in data.red_flags:
        assert spanish[flag.code] in text
    assert '<html lang="es">' in built.html
    # Headings and labels come from the Spanish message catalogue (monitor/translations).
    spanish_words = reports.translations_for("es")
    for heading in ("Findings by monitoring area", "Scores and ratings", "Red flags",
                    "CONFIDENTIAL"):
        translated = spanish_words.gettext(heading)
        assert translated != heading, f"{heading!r} has no Spanish translation"
        assert translated in text, heading
    page_of = spanish_words.gettext("Page %(page)s of %(pages)s") % {"page": 1, "pages": 99}
    assert page_of.replace("99", str(built.pages)) in text


def test_a_report_in_a_language_without_reports_is_refused(world):
    with world.sessions() as session, pytest.raises(InputError, match="written in en, es, not .fr."):
        report_data.visit_report(session, session.get(Visit, world.visit_id),
                                 settings=world.settings, catalog=world.catalog, language="fr")


# --- thematic reports ------------------------------------------------------------------------

@pytest.mark.parametrize("theme", ["children", "legal_counsel", "health", "material_conditions"])
def test_each_theme_gathers_the_facilities_of_the_country(world, theme):
    data, built = build(world, "thematic", fmt="html", theme=theme, country="MEX",
                        period=WHOLE_PERIOD)
    with world.sessions() as session:
        visited = set(session.scalars(
            select(Facility.name).join(Visit, Visit.facility_id == Facility.id)
            .where(Facility.country == "MEX", Visit.state.in_(report_data.REPORTED_STATES))))
    assert visited and {row.facility.name for row in data.facilities} == visited
    for name in visited:
        assert name.replace("'", "&#39;") in built.html
    themes = report_data.load_themes(world.catalog)
    assert themes[theme].title.get("en") in built.html
    for row in data.flag_rows:
        assert row.label in built.html
    assert data.standard_rows and data.standards


def test_a_thematic_pdf_reads_back_with_its_tables(world):
    data, built = build(world, "thematic", theme="children", country="MEX",
                        period=WHOLE_PERIOD, public=True)
    text = flat("\n".join(pages_of(built.pdf)))
    assert "Children in detention" in text and "Mexico" in text
    assert "Children detained" in text and "Page 1 of" in text
    for row in data.facilities:
        assert row.facility.name in text
    lowered = text.lower()
    assert not [k for k, v in world.secret.items() if v.lower() in lowered]
    assert "CONFIDENTIAL" not in text


def test_thematic_reports_explain_what_is_wrong_with_their_request(world):
    with world.sessions() as session:
        def ask(**options):
            values = dict(theme="health", country="MEX", period=WHOLE_PERIOD)
            values.update(options)
            return report_data.thematic_report(session, values.pop("theme"),
                                               settings=world.settings, catalog=world.catalog,
                                               **values)
        with pytest.raises(InputError, match="children, health, legal_counsel"):
            ask(theme="sanitation")
        with pytest.raises(InputError, match="'XYZ' is not an ISO 3166-1 alpha-3"):
            ask(country="XYZ")
        with pytest.raises(InputError, match="both --from and --to"):
            ask(period=Period(date(2024, 1, 1), None))
        with pytest.raises(RecordNotFound, match="No submitted visit to a facility in Mexico"):
            ask(period=Period(date(2001, 1, 1), date(2001, 12, 31)))
        with pytest.raises(InputError, match="after it ends"):
            Period(date(2025, 1, 1), date(2024, 1, 1))


# --- cost and audit --------------------------------------------------------------------------

def test_the_facility_read_model_takes_a_few_queries_whatever_the_number_of_findings(world):
    statements: list[str] = []
    with world.sessions() as session:
        engine = session.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            facility = session.get(Facility, world.facility_id)
            statements.clear()
            data = report_data.facility_report(session, facility, settings=world.settings,
                                               catalog=world.catalog)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    findings = sum(len(a.findings) for a in data.areas)
    assert findings > 50
    assert len(statements) <= 14, statements


def test_every_generation_is_audited_with_ids_only(world):
    with world.sessions() as session:
        data = report_data.facility_report(session, session.get(Facility, world.facility_id),
                                           settings=world.settings, catalog=world.catalog,
                                           public=True)
        report_data.record_generation(session, data, fmt="pdf")
        session.flush()
        event_row = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "report.facility").order_by(AuditEvent.id.desc())).first()
        assert event_row.object_type == "facilities"
        assert event_row.object_id == str(world.facility_id)
        assert event_row.summary["public"] is True
        assert event_row.summary["visits"] == [v.id for v in data.visits]
        assert data.facility.name not in str(event_row.summary)
        session.rollback()


def test_the_cover_carries_the_organisation_logo(world, tmp_path):
    logo = tmp_path / "seal.png"
    Image.new("RGB", (60, 30), "#1F4E79").save(logo)
    settings = dataclasses.replace(world.settings, organisation_logo=logo)
    with world.sessions() as session:
        data = report_data.thematic_report(session, "health", country="GTM", period=WHOLE_PERIOD,
                                           settings=settings, catalog=world.catalog)
    built = reports.build(data)
    assert '<img src="data:image/png;base64,' in built.html
    first = PdfReader(io.BytesIO(built.pdf)).pages[0]
    assert len(first.images) == 1
    assert "Observatorio de Prueba" in first.extract_text()
