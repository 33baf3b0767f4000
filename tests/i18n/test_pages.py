"""Every page, in Spanish and in English, with nothing of the interface left in the other language.

The routes come from the application's own URL map (a page added later is walked too), filled
with real ids from the demo data, opened by a signed-in administrator and, for the public
ones, by an anonymous visitor. On each Spanish page no English interface sentence of the
catalogue may appear verbatim; on each English page no Spanish one. Sentences of a few words
only are left out of that comparison ("Id", "Visit to …" could match names and data).
Reports are checked as HTML, and one as PDF text: both are built from the same catalogue.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.core.crypto import Vault
from monitor.core.settings import Settings
from monitor.db.models import (
    Facility,
    Interview,
    InterviewKind,
    User,
    Visit,
    VisitState,
    VisitSummary,
)
from monitor.db.session import make_session_factory
from monitor.services import demo
from monitor.services.catalog import load_catalog
from monitor.services.public import published_visit_ids
from monitor.web.app import create_app
from tests.conftest import fresh_sqlite, login, make_settings
from tests.i18n.conftest import PLACEHOLDER, page_text, po_path, read_catalogue

#: A catalogue sentence is compared only when a fragment of it has at least this many words.
MIN_WORDS = 4
ADMIN = ("admin@demo.example", "demo-admin-pass")
LANGUAGES = ("en", "es")


@dataclass
class World:
    settings: Settings
    sessions: sessionmaker[Session]
    values: dict[str, list[str]]
    interview_pairs: list[tuple[str, str]]


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("i18n-world")
    settings = make_settings(folder, fresh_sqlite(sqlite_template, folder))
    factory = make_session_factory(settings.database_url)
    with factory() as session:
        demo.load(session, catalog=load_catalog(settings.checklist_dir),
                  vault=Vault(settings.data_keys))
        session.commit()
        world = World(settings, factory, *_values(session, settings))
    yield world
    factory.kw["bind"].dispose()


def _values(session: Session, settings: Settings) -> tuple[dict[str, list[str]],
                                                              list[tuple[str, str]]]:
    """Real values for each URL parameter: a few of each kind, not every record."""
    published = list(session.scalars(published_visit_ids(settings)))
    public_visit = session.get(Visit, published[0])
    # One visit in each state there is, the published one first.
    visits = [public_visit]
    for state in VisitState:
        found = session.scalars(select(Visit).where(Visit.state == state).limit(1)).first()
        if found is not None and found not in visits:
            visits.append(found)
    unvisited = session.scalars(select(Facility).where(
        ~Facility.id.in_(select(Visit.facility_id)))).first()
    facilities = [public_visit.facility] + ([unvisited] if unvisited else [])
    # An interview, so that its page is walked too (the demo records none).
    draft = next((v for v in visits if v.state is VisitState.DRAFT), visits[-1])
    author = session.scalars(select(User).where(User.email == ADMIN[0])).one()
    interview = Interview(visit_id=draft.id, code="I-01", kind=InterviewKind.INDIVIDUAL,
                          consent_interview=True, created_by_id=author.id)
    session.add(interview)
    session.commit()
    countries = sorted({f.country for f in facilities})
    summary = session.scalars(select(VisitSummary).limit(1)).first()
    assert summary is not None, "the demo data has no submitted visit"
    values = {
        "visit_id": [str(v.id) for v in visits],
        "public_id": [f.public_id for f in facilities],
        "iso3": countries,
        "filename": ["facilities.csv"],
        "checklist_id": [public_visit.checklist_id],
        "version": [str(public_visit.checklist_version)],
        "section_id": ["access"],
        "kind": ["visits"],
    }
    return values, [(str(draft.id), str(interview.id))]


def _urls(app, world: World) -> Iterator[tuple[str, str]]:
    """(endpoint, path) for every GET route, with each combination of the real values."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if rule.arguments == {"visit_id", "interview_id"}:
            for visit_id, interview_id in world.interview_pairs:
                yield rule.endpoint, rule.build({"visit_id": visit_id,
                                                 "interview_id": interview_id})[1]
            continue
        unknown = set(rule.arguments) - set(world.values)
        assert not unknown, (f"{rule.rule}: teach this walk real values for {sorted(unknown)} "
                             "(tests/i18n/test_pages.py, _values)")
        names = sorted(rule.arguments)
        for combo in itertools.product(*(world.values[n] for n in names)):
            yield rule.endpoint, rule.build(dict(zip(names, combo)), append_unknown=False)[1]


# --- the interface sentences of each language --------------------------------------------------


#: Where a catalogue text is cut into fragments: placeholders and the ends of sentences.
_CUT = re.compile(PLACEHOLDER.pattern.replace("(\\w+)", "\\w+") + r"|[.;:!?…](?:\s|$)")


def _fragments(text: str) -> Iterator[str]:
    """The sentences and runs of words between placeholders, as a page shows them."""
    for piece in _CUT.split(text.replace("%%", "%")):
        piece = " ".join(piece.split()).strip(" .,:;·—–()“”\"'")
        if len(piece.split()) >= MIN_WORDS:
            yield piece


@pytest.fixture(scope="module")
def sentences() -> dict[str, set[str]]:
    """Per language, interface fragments that must not show up on a page in the other one."""
    catalogue: Catalog = read_catalogue(po_path("es"), "es")
    english: set[str] = set()
    spanish: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        strings = (message.string,) if isinstance(message.string, str) else tuple(message.string)
        english.update(f for text in ids for f in _fragments(text))
        spanish.update(f for text in strings for f in _fragments(text or ""))
    # A fragment written the same in both languages (a file format list, a column name) is no sign.
    return {"es": english - spanish, "en": spanish - english}


def test_the_comparison_has_sentences_to_look_for(sentences: dict[str, set[str]]) -> None:
    assert len(sentences["es"]) > 200 and len(sentences["en"]) > 200
    assert "Some answers were not saved" in sentences["es"]


# --- walking the pages -------------------------------------------------------------------------


@dataclass
class Page:
    url: str
    status: int
    kind: str  # "html", "pdf" or "other"
    text: str
    lang: str | None
    html: str


def _open(client, url: str, language: str) -> Page | None:
    response = client.get(url, headers={"Accept-Language": language})
    if response.status_code in (301, 302, 303, 307, 308):
        return None  # a redirect (to the sign-in page, a canonical address): nothing to read
    mimetype = response.mimetype or ""
    if mimetype == "text/html":
        html = response.get_data(as_text=True)
        shown = page_text(html)
        return Page(url, response.status_code, "html", shown.text, shown.lang, html)
    if mimetype == "application/pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(response.get_data()))
        text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
        return Page(url, response.status_code, "pdf", text, None, "")
    return Page(url, response.status_code, "other", "", None, "")


def _client(app, language: str, signed_in: bool):
    client = app.test_client()
    if signed_in:
        response = login(client, *ADMIN)
        assert response.status_code == 302, "the demo administrator cannot sign in"
    # The language comes from the switch, as a person would choose it.
    client.get(f"/?lang={language}")
    return client


@pytest.fixture(scope="module")
def app(world: World):
    application = create_app(world.settings)
    application.config.update(TESTING=True)
    return application


@pytest.fixture(scope="module")
def walked(app, world: World) -> dict[tuple[str, bool], list[Page]]:
    """Every page in both languages, signed in as the administrator and anonymously."""
    pages: dict[tuple[str, bool], list[Page]] = {}
    for language, signed_in in itertools.product(LANGUAGES, (True, False)):
        client = _client(app, language, signed_in)
        found = []
        pdf_read = False
        for endpoint, url in _urls(app, world):
            if url.endswith(".pdf"):
                # A PDF takes seconds to build and is made from the same templates as the
                # HTML edition walked here: one Spanish visit report is read as a sample.
                if pdf_read or endpoint != "reports.visit" or language != "es" or not signed_in:
                    continue
                pdf_read = True
            page = _open(client, url, "en" if language == "es" else "es")
            if page is not None:
                found.append(page)
        pages[(language, signed_in)] = found
    return pages


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("signed_in", [True, False], ids=["admin", "anonymous"])
def test_no_interface_text_in_the_other_language(walked, sentences, language: str,
                                                 signed_in: bool) -> None:
    pages = [p for p in walked[(language, signed_in)] if p.kind in ("html", "pdf")]
    assert len(pages) >= (30 if signed_in else 8), "the walk reached too few pages"
    problems = []
    for page in pages:
        leaked = sorted(s for s in sentences[language] if s in page.text)
        if leaked:
            problems.append(f"{page.url} ({page.status}): " + " | ".join(leaked[:5]))
    other = "English" if language == "es" else "Spanish"
    assert not problems, (f"{len(problems)} pages in '{language}' show {other} interface text "
                          "(wrap it for translation, or translate it in "
                          "monitor/translations/es/LC_MESSAGES/messages.po):\n  "
                          + "\n  ".join(problems))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_says_its_language_and_offers_the_other(walked, language: str) -> None:
    other, name = ("en", "English") if language == "es" else ("es", "Español")
    problems = []
    for signed_in in (True, False):
        for page in walked[(language, signed_in)]:
            if page.kind != "html" or "<html" not in page.html[:200].lower():
                continue  # a fragment (a map frame) or a file
            if page.lang != language:
                problems.append(f"{page.url}: lang={page.lang!r}")
            switch = re.search(r'<button[^>]*lang="([\w-]+)"[^>]*>\s*([^<]+?)\s*</button>', page.html)
            if "site-header" in page.html and (switch is None or switch.groups() != (other, name)):
                problems.append(f"{page.url}: no switch to {name}")
    assert not problems, "\n".join(problems)


def test_dates_and_numbers_follow_the_language(app, world: World) -> None:
    spanish = _client(app, "es", signed_in=True)
    english = _client(app, "en", signed_in=True)
    with world.sessions() as session:
        # A facility with a visit and a capacity that needs a thousands separator.
        facility = session.scalars(select(Facility).where(Facility.capacity >= 1000)
                                   .where(Facility.id.in_(select(Visit.facility_id)))).first()
        assert facility is not None, "the demo data has no large facility with a visit"
        public_id, capacity = facility.public_id, facility.capacity
        day: date = session.scalars(select(Visit.start_date)
                                    .where(Visit.facility_id == facility.id)).first()
    es_page = page_text(spanish.get(f"/facilities/{public_id}").get_data(as_text=True)).text
    en_page = page_text(english.get(f"/facilities/{public_id}").get_data(as_text=True)).text
    from babel.dates import format_date
    from babel.numbers import format_decimal

    assert format_date(day, "medium", locale="es") in es_page
    assert format_date(day, "medium", locale="en") in en_page
    assert format_date(day, "medium", locale="en") not in es_page
    assert format_decimal(capacity, locale="es") in es_page  # 1.800
    assert format_decimal(capacity, locale="en") in en_page  # 1,800
    assert format_decimal(capacity, locale="en") not in es_page
