"""Data exports: facilities, visits (wide or long), findings and recommendations.

Two variants of every export:

*internal* (roles with ``export.internal``)
    Everything the organisation holds, answers to sensitive questions decrypted: the file is
    for the organisation's own analysis. A web caller passes ``organisation_id`` so that a
    coordinator exports only their organisation's visits.

*public* (``public=True``)
    What :mod:`monitor.privacy.policy` allows out, and nothing else. Visits come only through
    :func:`monitor.services.public.published_visit_ids`. Columns of sensitive questions are
    removed entirely (not blanked), and so are free-text questions, facts about one person
    (the longest detention...) and questions whose sensitivity is unknown (a checklist
    version that is not installed); small counts of people become "fewer than N"; dates
    are months. Team members and internal notes never appear; a finding is its status and
    standard (no evidence, no sentence); a recommendation is its standards, priority and
    status, without its wording, and its history shows only updates recorded at published
    visits or outside any visit. The registry of facilities is public without its notes.

Shapes of the visits export
    *wide*: one row per visit, one column per question, named by the question id, in the
    checklist's order (computed values are not answers and are left out). When the exported
    visits were answered with several checklists, each checklist gets its own block of
    columns, in order of checklist id, and every question column is then named
    ``<checklist id>.<question id>`` so that names stay unique; ``checklist_id`` restricts the
    export to one checklist (bare question ids). Within one checklist the newest installed
    version gives the order; questions only older versions asked follow it. A data dictionary
    (a ``dictionary`` sheet, or a ``<name>.dictionary.csv`` file beside a CSV) gives each
    column's label, type, section, area, unit and choices.

    *long*: one row per answer — ``visit_id, facility, question_id, value`` — streamed from
    the database (:func:`write_answers_long`), so memory does not grow with the number of
    answers. Values are written exactly as in the wide shape: the two always agree.

Every export through :func:`run_export` is written to the audit log as ``export.<kind>`` with
the row count, the variant and the format — never a value.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, distinct, select, type_coerce
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.types import NullType

from monitor.checklists.schema import Checklist, Question, QuestionType
from monitor.compliance.stored import finding_sentence
from monitor.core.crypto import Vault
from monitor.core.errors import InputError
from monitor.core.messages import N_
from monitor.core.settings import Settings
from monitor.db.models import (
    Answer,
    Facility,
    Finding,
    Organisation,
    Recommendation,
    RecommendationStatus,
    User,
    Visit,
    VisitMember,
)
from monitor.outputs.geojson import PointFeature, write_points
from monitor.outputs.tables import safe_cell, write_table
from monitor.services import audit, permissions
from monitor.services.catalog import ChecklistCatalog
from monitor.services.public import published_visit_ids

#: What can be exported, and in which formats.
FORMATS: dict[str, tuple[str, ...]] = {
    "facilities": ("csv", "xlsx", "geojson"),
    "visits": ("csv", "xlsx"),
    "findings": ("csv", "xlsx"),
    "recommendations": ("csv", "xlsx"),
}
SHAPES = ("wide", "long")
#: Rows fetched from the database at a time: large enough to be fast, small enough to keep
#: memory flat whatever the size of the table.
BATCH = 2000
#: A worksheet holds 1,048,576 rows, the header included.
XLSX_MAX_ROWS = 1_048_575

FINDING_COLUMNS = ("visit_id", "facility_id", "facility_name", "country", "visit_date",
                   "standard_id", "citation", "area_id", "status", "severity", "evidence", "text")

#: The facility columns, named as the facility importer recognises them, so that an exported
#: list imports again unchanged (``id`` holds the public id the importer matches on).
FACILITY_COLUMNS = ("id", "name", "other_names", "country", "admin_area", "locality",
                    "latitude", "longitude", "type", "operator", "operator_kind", "capacity",
                    "status")
FACILITY_INTERNAL_COLUMNS = ("notes", "created_at", "updated_at")

ANSWER_COLUMNS = ("visit_id", "facility", "question_id", "value")

VISIT_COLUMNS = ("visit_id", "facility_id", "facility_name", "country", "start_date",
                 "end_date", "scope", "announced", "checklist_id", "checklist_version")
VISIT_INTERNAL_COLUMNS = ("state", "organisation", "team", "submitted_at", "reviewed_at",
                          "published_at", "notes")
_VISIT_META_MEANING = {
    "visit_id": "Number of the visit in this installation.",
    "facility_id": "Public identifier of the facility visited (F-XXXXXX).",
    "facility_name": "Name of the facility visited.",
    "country": "Country of the facility (ISO 3166-1 alpha-3).",
    "start_date": "First day of the visit.",
    "end_date": "Last day of the visit.",
    "scope": "full, thematic or follow_up.",
    "announced": "Whether the visit was announced to the authorities beforehand.",
    "checklist_id": "Checklist the visit was answered with.",
    "checklist_version": "Version of that checklist.",
    "state": "draft, submitted, returned, reviewed or published.",
    "organisation": "Organisation that made the visit.",
    "team": "Members of the visit team (internal only).",
    "submitted_at": "When the team submitted the visit.",
    "reviewed_at": "When a coordinator reviewed it.",
    "published_at": "When it was published.",
    "notes": "Internal notes of the team (internal only).",
}

DICTIONARY_COLUMNS = ("column", "label", "type", "section", "section_title", "area", "unit",
                      "choices", "sensitive", "checklist", "versions", "note")
#: Dates of a visit that public exports give as months (the privacy policy's rule).
_PUBLIC_MONTHS = frozenset({"start_date", "end_date"})

RECOMMENDATION_COLUMNS = ("recommendation_id", "visit_id", "facility_id", "facility_name",
                          "country", "issued_on", "text", "standards", "area_id", "addressee",
                          "priority", "due_date", "status", "status_since", "updates", "history",
                          "notes", "authority_responses")
#: Public: the standards cited, priority, status and months only — the wording is left out
#: because suggestions quote the visit's answers (see :mod:`monitor.privacy.policy`).
PUBLIC_RECOMMENDATION_COLUMNS = ("recommendation_id", "visit_id", "facility_id",
                                 "facility_name", "country", "issued_on", "standards",
                                 "area_id", "priority", "status", "status_since", "updates",
                                 "history")


# --- what a public export may show (after monitor.privacy.policy) ------------------------------

#: How a question's answers appear in a public export.
KEEP, COUNT, MONTH, DROP = "keep", "count", "month", "drop"
FREE_TEXT = frozenset({QuestionType.TEXT, QuestionType.LONG_TEXT})
#: Used while monitor.privacy.policy is not installed (it names these summary fields too).
_ONE_PERSON_INDICATORS = frozenset({"longest_detention_days", "solitary_max_days"})


def _policy() -> Any:
    """:mod:`monitor.privacy.policy`, or ``None`` in a tree that does not have it yet."""
    try:
        from monitor.privacy import policy
    except ImportError:
        return None
    return policy


def is_count_question(question: Question) -> bool:
    """Whether *question* counts people or events (the answers a small count could identify).

    Whole-number questions without a unit, or counted in persons or incidents, are counts;
    durations and rates (ids ending in ``_days``, ``_months``, ``_hours``, ``_minutes``,
    ``_per_day``, ``_per_week``) are not.
    """
    if question.type is not QuestionType.INTEGER:
        return False
    if question.unit not in (None, "persons", "incidents"):
        return False
    return not question.id.endswith(("_days", "_months", "_hours", "_minutes", "_per_day",
                                     "_per_week"))


def is_about_one_person(question: Question) -> bool:
    """Whether the answer describes a single individual (the longest detention seen...).

    The privacy policy never publishes such facts: its private summary fields name them, and
    questions whose id or English label speaks of the "longest" case are treated the same.
    """
    policy = _policy()
    private = getattr(policy, "PRIVATE_SUMMARY_FIELDS", _ONE_PERSON_INDICATORS)
    if question.indicator and question.indicator in private:
        return True
    return "longest" in question.id or "longest" in question.label.get("en").lower()


def public_treatment(question: Question) -> str:
    """How *question* appears in public exports: :data:`KEEP`, :data:`COUNT` (small counts
    suppressed), :data:`MONTH` (a date given as its month) or :data:`DROP` (left out).

    Left out: sensitive questions, free text of any kind, computed values (not answers) and
    facts about one person — as :mod:`monitor.privacy.policy` decides for public output.
    """
    if question.sensitive or question.is_computed or question.type in FREE_TEXT:
        return DROP
    if is_about_one_person(question):
        return DROP
    if is_count_question(question):
        return COUNT
    if question.type is QuestionType.DATE:
        return MONTH
    return KEEP


def month_of(value: Any) -> str | None:
    """A date (or ``YYYY-MM-DD`` text) as its month, ``YYYY-MM``."""
    if value is None or value == "":
        return None
    if isinstance(value, (date, datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value)[:7]


class SmallCounts:
    """Suppress small counts in public exports.

    :func:`monitor.privacy.policy.suppress` decides (a count from 1 to
    ``settings.min_public_count - 1`` becomes "fewer than N"; zero stays: it identifies
    nobody). Anything else in a count's place — text, a negative or fractional number — is
    withheld rather than guessed at.
    """

    def __init__(self, settings: Settings) -> None:
        self.minimum = settings.min_public_count
        policy = _policy()
        self._suppress = getattr(policy, "suppress", None) or _fewer_than

    def __call__(self, value: Any) -> Any:
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        try:
            return self._suppress(value, self.minimum)
        except ValueError:
            return None


def _fewer_than(count: float, minimum: int) -> Any:
    """The policy's rule, for a tree without :mod:`monitor.privacy.policy`."""
    if count < 0 or int(count) != count:
        raise ValueError(f"not a count of people: {count!r}")
    return f"fewer than {minimum}" if 0 < count < minimum else int(count)


# --- facilities -------------------------------------------------------------------------------


def facility_columns(*, public: bool) -> tuple[str, ...]:
    return FACILITY_COLUMNS if public else FACILITY_COLUMNS + FACILITY_INTERNAL_COLUMNS


def facility_rows(session: Session, *, public: bool) -> Iterator[tuple[Any, ...]]:
    """One row per facility of the registry (merged duplicates left out), by country and name.

    Public rows leave out the registry's internal notes and dates.
    """
    query = (select(Facility).where(Facility.merged_into_id.is_(None))
             .options(selectinload(Facility.aliases))
             .order_by(Facility.country, Facility.name, Facility.id)
             .execution_options(yield_per=BATCH))
    for facility in session.scalars(query):
        row: tuple[Any, ...] = (
            facility.public_id, facility.name, "; ".join(a.name for a in facility.aliases),
            facility.country, facility.admin_area, facility.locality, facility.latitude,
            facility.longitude, facility.type.value, facility.operator_name,
            facility.operator_kind.value, facility.capacity, facility.status.value,
        )
        if not public:
            row += (facility.notes, facility.created_at, facility.updated_at)
        yield row


def write_facilities(session: Session, path: Path, fmt: str, *, public: bool) -> int:
    """Write the registry as CSV, XLSX or GeoJSON; return the number of facilities."""
    columns = facility_columns(public=public)
    rows = facility_rows(session, public=public)
    if fmt != "geojson":
        return write_table(path, fmt, columns, _spreadsheet_limit(rows, fmt))
    lat, lon = columns.index("latitude"), columns.index("longitude")

    def features() -> Iterator[PointFeature]:
        for row in rows:
            values = dict(zip(columns, row))
            # The geometry carries the position; repeating it as properties would only give
            # readers two places to disagree.
            del values["latitude"], values["longitude"]
            values["other_names"] = [n for n in values["other_names"].split("; ") if n]
            yield PointFeature(row[0], values, longitude=row[lon], latitude=row[lat])

    return write_points(path, features(), name="facilities")


# --- visits: columns --------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerColumn:
    """One question column of the wide visits export."""

    name: str
    checklist_id: str
    question_id: str
    question: Question | None  # None: the question is in no installed version
    versions: tuple[int, ...] = ()
    sensitive: bool = False
    #: In a public export: :data:`KEEP`, :data:`COUNT` or :data:`MONTH` (see
    #: :func:`public_treatment`); internal exports keep every value as it is.
    treatment: str = KEEP
    section_title: str = ""
    area: str = ""


@dataclass
class VisitLayout:
    """The columns of a wide visits export, and what each one means."""

    meta: tuple[str, ...]
    answers: list[AnswerColumn] = field(default_factory=list)
    language: str = "en"
    public: bool = False
    minimum: int = 5

    @property
    def columns(self) -> tuple[str, ...]:
        return self.meta + tuple(c.name for c in self.answers)

    def dictionary_rows(self) -> Iterator[tuple[Any, ...]]:
        """Rows of the data dictionary: one per column, in column order."""
        notes = {
            COUNT: f"Counts from 1 to {self.minimum - 1} are written 'fewer than {self.minimum}'.",
            MONTH: "Given as its month (YYYY-MM).",
        }
        for name in self.meta:
            note = notes[MONTH] if self.public and name in _PUBLIC_MONTHS else ""
            yield (name, _VISIT_META_MEANING.get(name, ""), "visit", "", "", "", "", "", "no",
                   "", "", note)
        for column in self.answers:
            question = column.question
            versions = " ".join(str(v) for v in column.versions)
            if question is None:
                yield (column.name, "(not in any installed checklist version)", "unknown", "",
                       "", "", "", "", "unknown", column.checklist_id, versions, "")
                continue
            note = notes.get(column.treatment, "") if self.public else (
                "Sensitive: decrypted for this internal file; never share it."
                if column.sensitive else "")
            yield (
                column.name, question.label.get(self.language), question.type.value,
                question.section_id, column.section_title, column.area, question.unit or "",
                "; ".join(f"{c.code}={c.label.get(self.language)}" for c in question.choices),
                "yes" if column.sensitive else "no", column.checklist_id, versions, note,
            )


def _visit_query_filters(query, settings: Settings, *, public: bool, checklist_id: str | None,
                         organisation_id: int | None):
    if public:
        query = query.where(Visit.id.in_(published_visit_ids(settings)))
    if checklist_id:
        query = query.where(Visit.checklist_id == checklist_id)
    if organisation_id is not None:
        query = query.where(Visit.organisation_id == organisation_id)
    return query


def visit_layout(session: Session, catalog: ChecklistCatalog, settings: Settings, *,
                 public: bool, checklist_id: str | None = None,
                 organisation_id: int | None = None, language: str = "en") -> VisitLayout:
    """Plan the columns of a wide visits export for the visits it will hold.

    :raises InputError: *checklist_id* names no installed checklist and no exported visit.
    """
    keys_query = _visit_query_filters(
        select(distinct(Visit.checklist_id), Visit.checklist_version), settings, public=public,
        checklist_id=checklist_id, organisation_id=organisation_id)
    used: dict[str, set[int]] = {}
    for cid, version in session.execute(keys_query):
        used.setdefault(cid, set()).add(version)
    if checklist_id and checklist_id not in used:
        if not any(c.id == checklist_id for c in catalog):
            raise InputError(N_("There is no checklist '%(id)s'; the installed ones are "
                                "%(installed)s.", id=checklist_id,
                                installed=", ".join(sorted({c.id for c in catalog})) or "—"))
        used[checklist_id] = set()
    prefix = len(used) > 1
    layout = VisitLayout(meta=VISIT_COLUMNS if public else VISIT_COLUMNS + VISIT_INTERNAL_COLUMNS,
                         language=language, public=public, minimum=settings.min_public_count)
    for cid in sorted(used):
        installed = [c for c in catalog if c.id == cid]  # oldest first
        for column in _checklist_columns(cid, installed, prefix=prefix, public=public):
            layout.answers.append(column)
        if not public:
            # Answers to questions no installed version knows still belong to the
            # organisation's data; they follow the checklist's own columns.
            known = {c.question_id for c in layout.answers if c.checklist_id == cid}
            stray = session.scalars(_visit_query_filters(
                select(distinct(Answer.question_id)).join(Visit, Answer.visit_id == Visit.id)
                .where(Visit.checklist_id == cid), settings, public=False, checklist_id=None,
                organisation_id=organisation_id).order_by(Answer.question_id))
            for qid in stray:
                if qid not in known:
                    layout.answers.append(AnswerColumn(f"{cid}.{qid}" if prefix else qid, cid,
                                                       qid, None))
    return layout


def _checklist_columns(cid: str, installed: Sequence[Checklist], *, prefix: bool,
                       public: bool) -> Iterator[AnswerColumn]:
    """The question columns of one checklist: newest version's order, then older-only ones."""
    order: list[str] = []
    seen: dict[str, tuple[Checklist, Question]] = {}
    versions: dict[str, list[int]] = {}
    sensitive: set[str] = set()
    dropped: set[str] = set()
    for checklist in reversed(installed):  # newest first: its order and labels win
        for question in checklist.questions():
            if question.is_computed:
                continue
            versions.setdefault(question.id, []).append(checklist.version)
            if question.sensitive:
                sensitive.add(question.id)  # sensitive in any version: treated as sensitive
            if public_treatment(question) == DROP:
                dropped.add(question.id)  # likewise for any reason to keep it out of public
            if question.id not in seen:
                seen[question.id] = (checklist, question)
                order.append(question.id)
    for qid in order:
        if public and qid in dropped:
            continue
        checklist, question = seen[qid]
        section = checklist.section_by_id.get(question.section_id)
        yield AnswerColumn(
            name=f"{cid}.{qid}" if prefix else qid, checklist_id=cid, question_id=qid,
            question=question, versions=tuple(sorted(versions[qid])),
            sensitive=qid in sensitive,
            treatment=public_treatment(question) if public else KEEP,
            section_title=section.title.get() if section else "",
            area=checklist.area_of(qid) or "",
        )


# --- visits: rows -----------------------------------------------------------------------------


def visit_rows(session: Session, layout: VisitLayout, *, vault: Vault | None,
               settings: Settings, public: bool, checklist_id: str | None = None,
               organisation_id: int | None = None) -> Iterator[tuple[Any, ...]]:
    """One row per visit (ordered by id) with the columns of *layout*.

    The visit's answers are read in the same ordered stream as the visit itself, so no more
    than one visit's answers are held at a time.
    """
    index = {(c.checklist_id, c.question_id): i for i, c in enumerate(layout.answers)}
    treatments = {(c.checklist_id, c.question_id): c.treatment for c in layout.answers
                  if c.treatment != KEEP}
    small = SmallCounts(settings)
    width = len(layout.answers)
    meta_columns = [Visit.id, Facility.public_id, Facility.name, Facility.country,
                    Visit.start_date, Visit.end_date, Visit.scope, Visit.announced,
                    Visit.checklist_id, Visit.checklist_version]
    if not public:
        meta_columns += [Visit.state, Organisation.name, Visit.submitted_at, Visit.reviewed_at,
                         Visit.published_at, Visit.notes_secret]
    query = (select(*meta_columns, Answer.question_id, Answer.value, Answer.secret)
             .join(Facility, Visit.facility_id == Facility.id)
             .outerjoin(Answer, Answer.visit_id == Visit.id))
    if not public:
        query = query.join(Organisation, Visit.organisation_id == Organisation.id)
    query = _visit_query_filters(query, settings, public=public, checklist_id=checklist_id,
                                 organisation_id=organisation_id)
    query = query.order_by(Visit.id, Answer.question_id).execution_options(yield_per=BATCH)
    teams = {} if public else _team_names(session, settings, checklist_id, organisation_id)
    meta_width = len(meta_columns)
    for visit_id, group in groupby(session.execute(query), key=lambda r: r[0]):
        cells: list[Any] = [None] * width
        rows = list(group)  # one visit's answers: a few hundred at most
        first = rows[0]
        for row in rows:
            qid, value, secret = row[meta_width], row[meta_width + 1], row[meta_width + 2]
            if qid is None:
                continue
            cid = row[8]
            position = index.get((cid, qid))
            if position is None:  # public: a sensitive or unknown question
                continue
            if secret is not None:
                if public:
                    continue  # encrypted means sensitive, whatever the checklist says now
                value = vault.decrypt(secret) if vault is not None else _no_vault()
            treatment = treatments.get((cid, qid))
            if treatment is not None:
                value = _publish(treatment, value, small)
            cells[position] = value
        meta = list(first[:10])
        meta[6] = meta[6].value  # scope
        if public:
            meta[4], meta[5] = month_of(meta[4]), month_of(meta[5])
        else:
            state, organisation, submitted, reviewed, published, notes = first[10:16]
            notes_text = None
            if notes is not None:
                notes_text = vault.decrypt(notes) if vault is not None else _no_vault()
            meta += [state.value, organisation, "; ".join(teams.get(visit_id, ())), submitted,
                     reviewed, published, notes_text]
        yield tuple(meta) + tuple(cells)


def _publish(treatment: str, value: Any, small: SmallCounts) -> Any:
    """A public answer: a small count suppressed, a date made a month, others as they are."""
    if treatment == COUNT:
        return small(value)
    if treatment == MONTH:
        return month_of(value)
    return value


def _no_vault() -> Any:
    raise InputError("This export holds encrypted answers: give the data key "
                     "(MONITOR_DATA_KEYS or the key file) to decrypt them.")


def _team_names(session: Session, settings: Settings, checklist_id: str | None,
                organisation_id: int | None) -> dict[int, list[str]]:
    query = _visit_query_filters(
        select(VisitMember.visit_id, User.name).join(User, VisitMember.user_id == User.id)
        .join(Visit, VisitMember.visit_id == Visit.id), settings, public=False,
        checklist_id=checklist_id, organisation_id=organisation_id).order_by(VisitMember.visit_id,
                                                                              User.name)
    teams: dict[int, list[str]] = {}
    for visit_id, name in session.execute(query):
        teams.setdefault(visit_id, []).append(name)
    return teams


def write_visits_wide(session: Session, path: Path, fmt: str, *, catalog: ChecklistCatalog,
                      vault: Vault | None, settings: Settings, public: bool,
                      checklist_id: str | None = None, organisation_id: int | None = None,
                      language: str = "en") -> int:
    """Write one row per visit, with its data dictionary (a sheet, or a companion CSV).

    :returns: the number of visits written.
    """
    layout = visit_layout(session, catalog, settings, public=public, checklist_id=checklist_id,
                          organisation_id=organisation_id, language=language)
    rows = visit_rows(session, layout, vault=vault, settings=settings, public=public,
                      checklist_id=checklist_id, organisation_id=organisation_id)
    if fmt == "xlsx":
        return write_workbook(path, [("visits", layout.columns, rows),
                                     ("dictionary", DICTIONARY_COLUMNS, layout.dictionary_rows())])
    count = write_table(path, fmt, layout.columns, rows)
    write_table(dictionary_path(path), "csv", DICTIONARY_COLUMNS, layout.dictionary_rows())
    return count


def dictionary_path(path: Path) -> Path:
    """Where the data dictionary of a wide CSV export goes: ``visits.csv`` → ``visits.dictionary.csv``."""
    return path.with_name(f"{path.stem}.dictionary.csv")


def write_visit_dictionary(session: Session, path: Path, *, catalog: ChecklistCatalog,
                           settings: Settings, public: bool, checklist_id: str | None = None,
                           organisation_id: int | None = None, language: str = "en") -> int:
    """Write only the data dictionary of the wide visits export (CSV)."""
    layout = visit_layout(session, catalog, settings, public=public, checklist_id=checklist_id,
                          organisation_id=organisation_id, language=language)
    return write_table(path, "csv", DICTIONARY_COLUMNS, layout.dictionary_rows())


# --- visits: one row per answer ---------------------------------------------------------------


def answer_rows(session: Session, *, catalog: ChecklistCatalog | None, vault: Vault | None,
                settings: Settings | None, public: bool = False,
                checklist_id: str | None = None,
                organisation_id: int | None = None) -> Iterator[tuple[Any, ...]]:
    """Stream ``(visit_id, facility, question_id, value)`` for every answer, by visit.

    Cleared answers (no value) are left out. Public rows come only from public visits, leave
    out every question :func:`public_treatment` drops (and unknown ones), suppress small
    counts and give dates as months: the same values as the public wide shape.

    :raises InputError: an encrypted answer must be decrypted and no vault was given.
    """
    # Decoding each value through the JSON column type (SQLite) or the driver's JSON loader
    # (psycopg) costs more than the rest of the export together; the values as text plus a
    # cache of the frequent ones ("yes", "partly", small numbers) keep the long export above
    # 100,000 rows a second.
    if session.get_bind().dialect.name == "sqlite":
        value_column = type_coerce(Answer.value, NullType())
    else:
        value_column = cast(Answer.value, Text)
    decode = _JsonValues()
    query = (select(Answer.visit_id, Facility.public_id, Answer.question_id, value_column,
                    Answer.secret, Visit.checklist_id)
             .join(Visit, Answer.visit_id == Visit.id)
             .join(Facility, Visit.facility_id == Facility.id)
             .where((Answer.value.is_not(None)) | (Answer.secret.is_not(None))))
    allowed: dict[str, set[str]] = {}
    treatments: dict[tuple[str, str], str] = {}
    if public:
        if catalog is None or settings is None:
            raise ValueError("a public export needs the catalog and the settings")
        query = query.where(Answer.secret.is_(None))
        small = SmallCounts(settings)
        for cid in {c.id for c in catalog}:
            for column in _checklist_columns(cid, [c for c in catalog if c.id == cid],
                                             prefix=False, public=True):
                allowed.setdefault(cid, set()).add(column.question_id)
                if column.treatment != KEEP:
                    treatments[(cid, column.question_id)] = column.treatment
    if public or checklist_id or organisation_id is not None:
        query = _visit_query_filters(query, settings, public=public,  # type: ignore[arg-type]
                                     checklist_id=checklist_id, organisation_id=organisation_id)
    query = query.order_by(Answer.visit_id, Answer.question_id).execution_options(yield_per=BATCH)
    rows = session.execute(query)
    if not public:
        for visit_id, facility, qid, value, secret, _cid in rows:
            if secret is not None:
                value = vault.decrypt(secret) if vault is not None else _no_vault()
            else:
                value = decode(value)
            yield visit_id, facility, qid, value
        return
    empty: set[str] = set()
    for visit_id, facility, qid, value, _secret, cid in rows:
        if qid not in allowed.get(cid, empty):
            continue
        value = decode(value)
        treatment = treatments.get((cid, qid))
        if treatment is not None:
            value = _publish(treatment, value, small)
            if value is None:  # withheld: the wide shape leaves its cell empty too
                continue
        yield visit_id, facility, qid, value


class _JsonValues:
    """Decode answer values read as text (SQLite may give numbers as numbers: kept as they are).

    Short texts (``"yes"``, ``"partly"``) repeat endlessly, so their decoded values are kept;
    the cache is emptied when full, so memory stays bounded whatever the number of rows.
    """

    LIMIT = 4096

    def __init__(self) -> None:
        self._known: dict[str, Any] = {}

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._known[value]
        except KeyError:
            pass
        decoded = json.loads(value)
        if len(value) <= 64:
            if len(self._known) >= self.LIMIT:
                self._known.clear()
            self._known[value] = decoded
        return decoded


def write_answers_long(session: Session, path: Path, fmt: str = "csv", *,
                       catalog: ChecklistCatalog | None = None, vault: Vault | None = None,
                       settings: Settings | None = None, public: bool = False,
                       checklist_id: str | None = None,
                       organisation_id: int | None = None) -> int:
    """Stream every answer to *path*, one row each; return the number of rows.

    Memory stays flat: rows are fetched :data:`BATCH` at a time and written as they come.
    Internal exports need *vault* when there are answers to sensitive questions; public ones
    need *catalog* and *settings*.
    """
    rows = answer_rows(session, catalog=catalog, vault=vault, settings=settings, public=public,
                       checklist_id=checklist_id, organisation_id=organisation_id)
    if fmt == "csv":
        return _write_answers_csv(path, rows)
    return write_table(path, fmt, ANSWER_COLUMNS, _spreadsheet_limit(rows, fmt))


def _write_answers_csv(path: Path, rows: Iterable[tuple[Any, ...]]) -> int:
    """The CSV writer of :mod:`monitor.outputs.tables`, specialised for answer rows.

    Only the value can hold text a person typed, so only the value goes through
    :func:`safe_cell` on every row; visit numbers are integers, and facility and question
    ids come from a small set, each checked once.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    checked: dict[str, Any] = {}
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ANSWER_COLUMNS)
        write = writer.writerow
        for visit_id, facility, qid, value in rows:
            if len(checked) > 20_000:  # keep memory flat even with a huge registry
                checked.clear()
            if facility not in checked:
                checked[facility] = safe_cell(facility)
            if qid not in checked:
                checked[qid] = safe_cell(qid)
            write((visit_id, checked[facility], checked[qid], safe_cell(value)))
            count += 1
    return count


# --- findings ---------------------------------------------------------------------------------


def finding_rows(session: Session, catalog: ChecklistCatalog, settings: Settings, *,
                 public: bool, organisation_id: int | None = None) -> Iterator[Sequence[Any]]:
    """One row per finding; public rows come only from public visits.

    A public finding is its status and the standard it cites: the evidence and the sentence
    (which quote the visit's answers) are left empty and the visit date is given as a month,
    as :mod:`monitor.privacy.policy` decides.
    """
    query = (select(Finding, Visit.start_date, Facility.public_id, Facility.name, Facility.country)
             .join(Visit, Finding.visit_id == Visit.id)
             .join(Facility, Visit.facility_id == Facility.id)
             .order_by(Visit.id, Finding.standard_id))
    if public:
        query = query.where(Visit.id.in_(published_visit_ids(settings)))
    if organisation_id is not None:
        query = query.where(Visit.organisation_id == organisation_id)
    for finding, visit_date, public_id, name, country in session.execute(query).yield_per(2000):
        standard = catalog.standards.standards.get(finding.standard_id)
        citation = standard.citation("en") if standard else finding.standard_id
        if public:
            yield (finding.visit_id, public_id, name, country, month_of(visit_date),
                   finding.standard_id, citation, finding.area_id, finding.status.value,
                   finding.severity.value, "", "")
            continue
        yield (finding.visit_id, public_id, name, country, visit_date, finding.standard_id,
               citation, finding.area_id, finding.status.value, finding.severity.value,
               json.dumps(finding.evidence, ensure_ascii=False, sort_keys=True),
               finding_sentence(finding, catalog.standards, "en"))


# --- recommendations --------------------------------------------------------------------------


def recommendation_columns(*, public: bool) -> tuple[str, ...]:
    return PUBLIC_RECOMMENDATION_COLUMNS if public else RECOMMENDATION_COLUMNS


def recommendation_rows(session: Session, settings: Settings, *, public: bool,
                        organisation_id: int | None = None) -> Iterator[tuple[Any, ...]]:
    """One row per recommendation made (suggestions not yet confirmed are left out).

    ``history`` lists each status change as ``date status`` (oldest first), ``status_since``
    the date of the last one; internal rows add the notes and authority responses of the
    history, each as ``date: text``. Public rows (:data:`PUBLIC_RECOMMENDATION_COLUMNS`) see
    only changes recorded at a published visit or outside any visit, and their ``status`` is
    the last of those, so a follow-up visit that is not public yet does not show through;
    their dates are months.
    """
    query = (select(Recommendation, Facility.public_id, Facility.name, Facility.country)
             .join(Visit, Recommendation.visit_id == Visit.id)
             .join(Facility, Recommendation.facility_id == Facility.id)
             .where(Recommendation.status != RecommendationStatus.SUGGESTED)
             .options(selectinload(Recommendation.updates))
             .order_by(Recommendation.visit_id, Recommendation.id)
             .execution_options(yield_per=500))
    public_visits: set[int] = set()
    if public:
        query = query.where(Visit.id.in_(published_visit_ids(settings)))
        public_visits = set(session.scalars(published_visit_ids(settings)))
    if organisation_id is not None:
        query = query.where(Visit.organisation_id == organisation_id)
    for rec, public_id, name, country in session.execute(query):
        standards = " ".join(rec.standards or ())
        if not public:
            updates = list(rec.updates)
            yield (
                rec.id, rec.visit_id, public_id, name, country, rec.issued_on, rec.text,
                standards, rec.area_id, rec.addressee, rec.priority.value, rec.due_date,
                rec.status.value, updates[-1].recorded_on if updates else rec.issued_on,
                len(updates), _history(updates, lambda day: day.isoformat()),
                " | ".join(f"{u.recorded_on.isoformat()}: {u.note}" for u in updates if u.note),
                " | ".join(f"{u.recorded_on.isoformat()}: {u.authority_response}"
                           for u in updates if u.authority_response),
            )
            continue
        updates = [u for u in rec.updates if u.visit_id is None or u.visit_id in public_visits]
        # A confirmed recommendation always has its first update at its own (published) visit;
        # without one, nothing public says more than "made, not implemented".
        status = updates[-1].status.value if updates else RecommendationStatus.NOT_IMPLEMENTED.value
        yield (
            rec.id, rec.visit_id, public_id, name, country, month_of(rec.issued_on), standards,
            rec.area_id, rec.priority.value, status,
            month_of(updates[-1].recorded_on if updates else rec.issued_on), len(updates),
            _history(updates, month_of),
        )


def _history(updates: Sequence[Any], when: Callable[[date], Any]) -> str:
    """Each status change as ``when status``, oldest first."""
    return "; ".join(f"{when(u.recorded_on)} {u.status.value}" for u in updates)


# --- writing ----------------------------------------------------------------------------------


def _spreadsheet_limit(rows: Iterable[Sequence[Any]], fmt: str) -> Iterator[Sequence[Any]]:
    """Pass *rows* through, stopping with a clear error where a worksheet would overflow."""
    if fmt != "xlsx":
        yield from rows
        return
    for count, row in enumerate(rows, start=1):
        if count > XLSX_MAX_ROWS:
            raise InputError(N_("The export has more than %(limit)s rows, more than a "
                                "spreadsheet sheet holds; export it as CSV instead.",
                                limit=f"{XLSX_MAX_ROWS:,}"))
        yield row


def write_workbook(path: Path,
                   sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> int:
    """Stream several sheets to one XLSX file (formula injection neutralised in every cell).

    :returns: the number of data rows of the first sheet.
    """
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    first = 0
    for number, (title, columns, rows) in enumerate(sheets):
        sheet = book.create_sheet(title[:31])
        sheet.append(list(columns))
        count = 0
        for row in _spreadsheet_limit(rows, "xlsx"):
            sheet.append([safe_cell(v) for v in row])
            count += 1
        if number == 0:
            first = count
    book.save(path)
    return first


@dataclass(frozen=True)
class ExportRequest:
    """What to export: a kind, a format and the options that apply to it."""

    kind: str
    fmt: str = "csv"
    public: bool = False
    shape: str = "wide"
    checklist_id: str | None = None
    organisation_id: int | None = None
    language: str = "en"

    def check(self) -> None:
        """:raises InputError: the kind, format or shape is unknown, or they do not go together."""
        if self.kind not in FORMATS:
            raise InputError(N_("Unknown export '%(kind)s'; choose one of %(kinds)s.",
                                kind=self.kind, kinds=", ".join(FORMATS)))
        if self.fmt not in FORMATS[self.kind]:
            values = {"kind": self.kind, "formats": ", ".join(FORMATS[self.kind]),
                      "format": self.fmt}
            raise InputError(N_("%(kind)s can be exported as %(formats)s, not %(format)s "
                                "(GeoJSON is for facilities only).", **values)
                             if self.fmt == "geojson" else
                             N_("%(kind)s can be exported as %(formats)s, not %(format)s.",
                                **values))
        if self.shape not in SHAPES:
            raise InputError(N_("Unknown shape '%(shape)s'; choose wide or long.",
                                shape=self.shape))


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    kind: str
    rows: int
    files: tuple[Path, ...]


def _has_dictionary_file(request: ExportRequest) -> bool:
    return request.kind == "visits" and request.shape == "wide" and request.fmt == "csv"


def _write(session: Session, request: ExportRequest, path: Path, common: dict[str, Any], *,
           catalog: ChecklistCatalog, vault: Vault | None, settings: Settings) -> int:
    if request.kind == "facilities":
        return write_facilities(session, path, request.fmt, public=request.public)
    if request.kind == "visits" and request.shape == "long":
        return write_answers_long(session, path, request.fmt, catalog=catalog, vault=vault,
                                  settings=settings, checklist_id=request.checklist_id, **common)
    if request.kind == "visits":
        return write_visits_wide(session, path, request.fmt, catalog=catalog, vault=vault,
                                 settings=settings, checklist_id=request.checklist_id,
                                 language=request.language, **common)
    if request.kind == "findings":
        return write_table(path, request.fmt, FINDING_COLUMNS,
                           finding_rows(session, catalog, settings, **common))
    return write_table(path, request.fmt, recommendation_columns(public=request.public),
                       recommendation_rows(session, settings, **common))


def run_export(session: Session, request: ExportRequest, path: Path, *,
               catalog: ChecklistCatalog, vault: Vault | None, settings: Settings,
               by: User | None = None) -> ExportResult:
    """Write the export *request* asks for to *path* and record it in the audit log.

    :param by: the person exporting (web); ``None`` for the operator's command line. An
        internal export needs the ``export.internal`` permission.
    :raises InputError: the request does not make sense (see :meth:`ExportRequest.check`).
    :raises NotAllowed: *by* may not make internal exports.
    """
    request.check()
    if by is not None and not request.public:
        permissions.require(by, "export.internal")
    files = [path]
    common: dict[str, Any] = {"public": request.public,
                              "organisation_id": request.organisation_id}
    try:
        rows = _write(session, request, path, common, catalog=catalog, vault=vault,
                      settings=settings)
    except BaseException:
        # A file cut short is worse than none: nobody should mistake it for the whole export.
        path.unlink(missing_ok=True)
        if _has_dictionary_file(request):
            dictionary_path(path).unlink(missing_ok=True)
        raise
    if _has_dictionary_file(request):
        files.append(dictionary_path(path))
    summary: dict[str, Any] = {"rows": rows, "public": request.public, "format": request.fmt}
    if request.kind == "visits":
        summary["shape"] = request.shape
        if request.checklist_id:
            summary["checklist"] = request.checklist_id
    audit.record(session, f"export.{request.kind}", by=by, summary=summary)
    return ExportResult(request.kind, rows, tuple(files))

