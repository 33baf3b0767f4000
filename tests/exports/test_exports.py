"""Exports of every kind and format: valid files, public ones without anything sensitive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.core.errors import InputError, NotAllowed
from monitor.db.models import AuditEvent, Facility, Visit
from monitor.services import accounts
from monitor.services.exports import (
    ANSWER_COLUMNS,
    DICTIONARY_COLUMNS,
    FACILITY_COLUMNS,
    FINDING_COLUMNS,
    FORMATS,
    VISIT_COLUMNS,
    ExportRequest,
    SmallCounts,
    dictionary_path,
    finding_rows,
    is_count_question,
    run_export,
)
from monitor.services.public import published_visit_ids
from tests.exports.support import MARK, read_csv, read_geojson, read_xlsx, text_of

CASES = [(kind, fmt, shape) for kind, formats in FORMATS.items() for fmt in formats
         for shape in (("wide", "long") if kind == "visits" else ("wide",))]


def export(world, tmp_path: Path, kind: str, fmt: str, *, public: bool, shape: str = "wide",
           checklist_id: str | None = None, name: str | None = None):
    path = tmp_path / (name or f"{kind}-{shape}-{'public' if public else 'internal'}.{fmt}")
    with world.session() as session:
        result = run_export(session, ExportRequest(kind, fmt, public=public, shape=shape,
                                                   checklist_id=checklist_id),
                            path, catalog=world.catalog, vault=world.vault,
                            settings=world.settings)
        session.commit()
    return path, result


def check_valid(path: Path, kind: str, fmt: str, shape: str, rows_written: int) -> None:
    """The file opens with the reader its format calls for, and holds what was counted."""
    assert rows_written > 0
    if fmt == "geojson":
        document = read_geojson(path)
        assert document["type"] == "FeatureCollection"
        assert len(document["features"]) == rows_written
        for feature in document["features"]:
            assert feature["type"] == "Feature" and feature["id"] == feature["properties"]["id"]
            longitude, latitude = feature["geometry"]["coordinates"]
            assert -180 <= longitude <= 180 and -90 <= latitude <= 90
        return
    if fmt == "csv":
        rows = read_csv(path)
    else:
        sheets = read_xlsx(path)
        rows = next(iter(sheets.values()))
        if kind == "visits" and shape == "wide":
            assert list(sheets) == ["visits", "dictionary"]
            assert tuple(sheets["dictionary"][0]) == DICTIONARY_COLUMNS
    header, data = rows[0], rows[1:]
    assert len(data) == rows_written
    assert all(len(row) == len(header) for row in data)
    assert len(set(header)) == len(header), "column names must be unique"
    expected_start = {"facilities": FACILITY_COLUMNS, "findings": FINDING_COLUMNS,
                      "visits": ANSWER_COLUMNS if shape == "long" else VISIT_COLUMNS}.get(kind)
    if expected_start:
        assert tuple(header[:len(expected_start)]) == expected_start


@pytest.mark.parametrize(("kind", "fmt", "shape"), CASES)
def test_every_export_is_valid_and_public_ones_hold_no_marker(world, tmp_path, kind, fmt,
                                                              shape):
    public, public_result = export(world, tmp_path, kind, fmt, public=True, shape=shape)
    internal, internal_result = export(world, tmp_path, kind, fmt, public=False, shape=shape)
    check_valid(public, kind, fmt, shape, public_result.rows)
    check_valid(internal, kind, fmt, shape, internal_result.rows)

    files = [public] + ([dictionary_path(public)] if kind == "visits" and fmt == "csv"
                        and shape == "wide" else [])
    for path in files:
        assert MARK not in text_of(path), f"a marker leaked into {path.name}"
    planted = {
        "facilities": ["facility"],
        "visits": ["unpublished", "answer:ill_treatment_details"]
        + (["notes", "team"] if shape == "wide" else []),
        "recommendations": ["rec_note", "authority"],
        "findings": [],
    }[kind]
    seen = text_of(internal)
    for key in planted:
        assert world.markers[key] in seen, f"internal {kind} export lacks {key}"


def test_public_visits_are_exactly_the_published_ones(world, tmp_path):
    path, _ = export(world, tmp_path, "visits", "csv", public=True)
    with world.session() as session:
        published = set(session.scalars(published_visit_ids(world.settings)))
        every = set(session.scalars(select(Visit.id)))
    exported = {int(row[0]) for row in read_csv(path)[1:]}

    assert exported == published
    assert world.unpublished_visit not in exported and every - published


def test_sensitive_columns_are_removed_not_blanked(world, tmp_path):
    checklist = world.catalog.get("core")
    sensitive = checklist.sensitive_ids()
    public, _ = export(world, tmp_path, "visits", "csv", public=True)
    internal, _ = export(world, tmp_path, "visits", "csv", public=False)
    long_public, _ = export(world, tmp_path, "visits", "csv", public=True, shape="long")

    assert sensitive and not sensitive & set(read_csv(public)[0])
    assert not sensitive & {row[0] for row in read_csv(dictionary_path(public))}
    assert sensitive <= set(read_csv(internal)[0])
    assert not sensitive & {row[2] for row in read_csv(long_public)[1:]}
    assert not {"team", "notes", "organisation", "state"} & set(read_csv(public)[0])


def test_internal_export_decrypts_sensitive_answers(world, tmp_path):
    path, _ = export(world, tmp_path, "visits", "csv", public=False)
    rows = read_csv(path)
    header = rows[0]
    row = next(r for r in rows[1:] if int(r[0]) == world.published_visit)
    column = header.index("ill_treatment_details")

    assert row[column] == world.markers["answer:ill_treatment_details"]


def test_wide_columns_follow_the_checklist_order(world, tmp_path):
    path, _ = export(world, tmp_path, "visits", "csv", public=False, checklist_id="core")
    header = read_csv(path)[0]
    questions = [q.id for q in world.catalog.get("core").questions() if not q.is_computed]
    first = header.index(questions[0])

    assert header[first:] == questions
    dictionary = {row[0]: row for row in read_csv(dictionary_path(path))[1:]}
    meals = dictionary["meals_per_day"]
    assert dict(zip(DICTIONARY_COLUMNS, meals)) | {"label": "", "section_title": ""} == {
        "column": "meals_per_day", "label": "", "type": "integer", "section": "food_water",
        "section_title": "", "area": "cond.food_water", "unit": "", "choices": "",
        "sensitive": "no", "checklist": "core", "versions": "1", "note": ""}
    assert "How many meals" in meals[1]
    assert dictionary["visit_took_place"][7].startswith("yes=")
    assert dictionary["ill_treatment_details"][8] == "yes"


@pytest.mark.parametrize("public", [False, True], ids=["internal", "public"])
def test_wide_and_long_exports_agree(world, tmp_path, public):
    wide, _ = export(world, tmp_path, "visits", "csv", public=public)
    long, _ = export(world, tmp_path, "visits", "csv", public=public, shape="long")
    rows = read_csv(wide)
    header = rows[0]
    first = header.index("visit_took_place")
    from_wide = {(row[0], header[i]): row[i] for row in rows[1:]
                 for i in range(first, len(header)) if row[i] != ""}
    long_rows = read_csv(long)[1:]
    from_long = {(row[0], row[2]): row[3] for row in long_rows}
    facility_of = {row[0]: row[1] for row in rows[1:]}

    assert len(from_long) == len(long_rows), "one row per visit and question"
    assert from_long == from_wide
    assert all(facility_of[row[0]] == row[1] for row in long_rows)
    assert len(from_long) > 5000


def test_xlsx_visits_agree_with_csv(world, tmp_path):
    csv_path, _ = export(world, tmp_path, "visits", "csv", public=True, shape="long")
    xlsx_path, _ = export(world, tmp_path, "visits", "xlsx", public=True, shape="long")
    from_csv = read_csv(csv_path)
    from_xlsx = read_xlsx(xlsx_path)["data"]

    assert len(from_csv) == len(from_xlsx)
    for a, b in zip(from_csv[1:200], from_xlsx[1:200]):
        assert a == [str(v) for v in b]


def test_small_counts_are_suppressed_in_public_exports_only(world, tmp_path):
    with world.session() as session:
        visit = session.get(Visit, world.published_visit)
        answer = next(a for a in visit.answers if a.question_id == "children_held")
        saved, answer.value = answer.value, 2
        session.commit()
        try:
            public, _ = export(world, tmp_path, "visits", "csv", public=True)
            internal, _ = export(world, tmp_path, "visits", "csv", public=False)
            long_public, _ = export(world, tmp_path, "visits", "csv", public=True, shape="long")
        finally:
            answer.value = saved
            session.commit()

    def cell(path):
        rows = read_csv(path)
        row = next(r for r in rows[1:] if int(r[0]) == world.published_visit)
        return row[rows[0].index("children_held")]

    assert cell(internal) == "2"
    assert cell(public) == "fewer than 5"
    long_value = next(r[3] for r in read_csv(long_public)[1:]
                      if int(r[0]) == world.published_visit and r[2] == "children_held")
    assert long_value == cell(public)


def test_which_questions_count_people(world):
    checklist_ids = {"children_held": True, "deaths_in_custody_12m": True,
                     "population_total": True, "meals_per_day": False,
                     "longest_detention_days": False, "entry_delay_minutes": False,
                     "outdoor_hours_per_day": False, "visit_took_place": False}
    core = world.catalog.get("core")
    assert {qid: is_count_question(core.by_id[qid]) for qid in checklist_ids} == checklist_ids


def test_small_counts_keep_zero_and_large_counts_and_withhold_odd_values(world):
    small = SmallCounts(world.settings)
    assert [small(v) for v in (0, 1, 4, 5, 120, "2", True, None, -3, 2.5)] == [
        0, "fewer than 5", "fewer than 5", 5, 120, None, None, None, None, None]


def test_public_visits_leave_out_free_text_and_facts_about_one_person(world, tmp_path):
    public, _ = export(world, tmp_path, "visits", "csv", public=True)
    internal, _ = export(world, tmp_path, "visits", "csv", public=False)
    header = set(read_csv(public)[0])
    core = world.catalog.get("core")
    free_text = {q.id for q in core.questions() if q.type.value in ("text", "long_text")}

    assert free_text and not free_text & header
    assert {"longest_detention_days", "solitary_max_consecutive_days",
            "disciplinary_isolation_max_days"} <= set(read_csv(internal)[0]) - header
    assert {"children_held", "meals_per_day", "visit_took_place"} <= header


def test_public_dates_are_months(world, tmp_path):
    public, _ = export(world, tmp_path, "visits", "csv", public=True)
    findings, _ = export(world, tmp_path, "findings", "csv", public=True)
    rows = read_csv(public)
    starts = {row[rows[0].index("start_date")] for row in rows[1:]}
    assert starts and all(len(day) == 7 and day[4] == "-" for day in starts)
    assert all(len(row[4]) == 7 for row in read_csv(findings)[1:])
    notes = {row[0]: row[-1] for row in read_csv(dictionary_path(public))[1:]}
    assert notes["start_date"] == "Given as its month (YYYY-MM)."
    assert notes["children_held"] == "Counts from 1 to 4 are written 'fewer than 5'."


def test_public_recommendations_hide_unpublished_follow_ups(world, tmp_path):
    public, _ = export(world, tmp_path, "recommendations", "csv", public=True)
    internal, _ = export(world, tmp_path, "recommendations", "csv", public=False)

    def row_of(path):
        rows = read_csv(path)
        found = next(r for r in rows[1:] if r[0] == world.markers["rec_id"])
        return dict(zip(rows[0], found))

    inside, outside = row_of(internal), row_of(public)
    assert inside["status"] == "implemented" and "2026-03-04 implemented" in inside["history"]
    assert outside["status"] == "in_progress" and "2026-03" not in outside["history"]
    assert outside["status_since"] == "2026-01" and "2026-01 in_progress" in outside["history"]
    assert int(inside["updates"]) == int(outside["updates"]) + 1
    assert "text" not in outside and "addressee" not in outside and inside["text"]
    assert "notes" not in outside and "authority_responses" not in outside
    assert f"2026-01-02: {world.markers['rec_note']}" in inside["notes"]


def test_suggestions_are_not_exported(world, tmp_path):
    path, _ = export(world, tmp_path, "recommendations", "csv", public=False)
    rows = read_csv(path)
    statuses = {row[rows[0].index("status")] for row in rows[1:]}
    assert "suggested" not in statuses and "not_implemented" in statuses


def test_findings_rows_keep_their_shape(world):
    with world.session() as session:
        rows = list(finding_rows(session, world.catalog, world.settings, public=True))
    assert rows and all(len(r) == len(FINDING_COLUMNS) for r in rows)
    assert all(r[10] == "" and r[11] == "" for r in rows), "no evidence, no sentence"
    with world.session() as session:
        inside = next(iter(finding_rows(session, world.catalog, world.settings, public=False)))
    assert json.loads(inside[10]) and inside[11]


def test_every_export_is_audited_without_values(world, tmp_path):
    export(world, tmp_path, "visits", "xlsx", public=False, shape="long")
    with world.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export.visits")
                                .order_by(AuditEvent.id.desc())).first()
    assert event.summary == {"rows": event.summary["rows"], "public": False, "format": "xlsx",
                             "shape": "long"}
    assert event.summary["rows"] > 1000
    assert MARK not in json.dumps(event.summary)


def test_internal_exports_need_the_permission(world, tmp_path):
    with world.session() as session:
        monitor = accounts.create_user(session, "no.export@test.example", "a long enough phrase",
                                       role="monitor", organisation="Somewhere")
        session.flush()
        with pytest.raises(NotAllowed):
            run_export(session, ExportRequest("visits", "csv"), tmp_path / "x.csv",
                       catalog=world.catalog, vault=world.vault, settings=world.settings,
                       by=monitor)
        result = run_export(session, ExportRequest("visits", "csv", public=True),
                            tmp_path / "y.csv", catalog=world.catalog, vault=world.vault,
                            settings=world.settings, by=monitor)
        session.rollback()
    assert result.rows > 0 and not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(("request_", "message"), [
    (ExportRequest("visits", "geojson"), "GeoJSON is for facilities only"),
    (ExportRequest("people", "csv"), "Unknown export 'people'"),
    (ExportRequest("visits", "csv", shape="tall"), "Unknown shape 'tall'"),
])
def test_requests_that_make_no_sense_are_refused(request_, message):
    with pytest.raises(InputError, match=message):
        request_.check()


def test_unknown_checklist_is_named(world, tmp_path):
    with world.session() as session, pytest.raises(InputError, match="no checklist 'kore'"):
        run_export(session, ExportRequest("visits", "csv", checklist_id="kore"),
                   tmp_path / "v.csv", catalog=world.catalog, vault=world.vault,
                   settings=world.settings)


def test_geojson_keeps_facilities_without_a_location(world, tmp_path):
    with world.session() as session:
        facility = session.scalars(select(Facility).order_by(Facility.id)).first()
        saved = facility.latitude, facility.longitude
        facility.latitude = facility.longitude = None
        session.commit()
        try:
            path, result = export(world, tmp_path, "facilities", "geojson", public=True)
        finally:
            facility.latitude, facility.longitude = saved
            session.commit()
    features = {f["id"]: f for f in read_geojson(path)["features"]}
    assert features[facility.public_id]["geometry"] is None
    assert len(features) == result.rows
