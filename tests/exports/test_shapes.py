"""Visits answered with two checklists, hostile cell values, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from monitor.core.crypto import Vault
from monitor.core.errors import InputError
from monitor.services.catalog import load_catalog
from monitor.services.exports import (
    VISIT_COLUMNS,
    VISIT_INTERNAL_COLUMNS,
    ExportRequest,
    run_export,
    write_answers_long,
)
from monitor.services.facilities import FacilityData, create_facility
from tests.conftest import DATA
from tests.exports.support import make_visit, read_csv, read_xlsx

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3",
           "@SUM(A1:A9)"]


@pytest.fixture
def two_checklists(db, settings, make_user):
    catalog = load_catalog(settings.checklist_dir, extra=[DATA / "checklists" / "valid"])
    vault = Vault(settings.data_keys)
    user = make_user("coordinator")
    place = create_facility(db, FacilityData(name=HOSTILE[0], country="MEX"))
    core = make_visit(db, catalog, vault, by=user, facility=place, checklist_id="core", answers={
        "visit_took_place": "yes", "children_held": 3, "ill_treatment_details": HOSTILE[1],
        "equipment_refused_kinds": ["camera", "phone"]})
    basics = make_visit(db, catalog, vault, by=user, facility=place, checklist_id="visit_basics",
                        published=True, answers={
                            "visit_date": "2024-03-05", "population": 40, "children_held": 0,
                            "interview_notes": HOSTILE[2], "conditions_notes": HOSTILE[3],
                            "problems_seen": ["overcrowding", "heat"], "lawyers_visit": "yes"})
    db.commit()
    return catalog, vault, core.id, basics.id


def _export(db, settings, catalog, vault, tmp_path, fmt="csv", **options):
    path = tmp_path / f"visits-{len(list(tmp_path.iterdir()))}.{fmt}"
    run_export(db, ExportRequest("visits", fmt, **options), path, catalog=catalog, vault=vault,
               settings=settings)
    db.commit()
    return path


def test_each_checklist_gets_its_block_of_columns(db, settings, two_checklists, tmp_path):
    catalog, vault, core_id, basics_id = two_checklists
    rows = read_csv(_export(db, settings, catalog, vault, tmp_path))
    header = rows[0]
    core_questions = [f"core.{q.id}" for q in catalog.get("core").questions() if not q.is_computed]
    basics_questions = [f"visit_basics.{q.id}" for q in catalog.get("visit_basics").questions()
                        if not q.is_computed]
    first = header.index(core_questions[0])

    assert header[first:] == core_questions + basics_questions
    by_visit = {int(r[0]): dict(zip(header, r)) for r in rows[1:]}
    assert by_visit[core_id]["core.children_held"] == "3"
    assert by_visit[core_id]["visit_basics.children_held"] == ""
    assert by_visit[basics_id]["visit_basics.children_held"] == "0"
    assert by_visit[basics_id]["visit_basics.problems_seen"] == "overcrowding heat"


def test_one_checklist_gives_bare_question_ids(db, settings, two_checklists, tmp_path):
    catalog, vault, _core_id, basics_id = two_checklists
    rows = read_csv(_export(db, settings, catalog, vault, tmp_path, checklist_id="visit_basics"))
    header = rows[0]

    assert [int(r[0]) for r in rows[1:]] == [basics_id]
    assert "population" in header and not any("." in h for h in header)
    assert dict(zip(header, rows[1]))["interview_notes"] == "'" + HOSTILE[2]


@pytest.mark.parametrize("public", [False, True], ids=["internal", "public"])
def test_long_and_wide_agree_across_checklists(db, settings, two_checklists, tmp_path, public):
    catalog, vault, *_ = two_checklists
    wide = read_csv(_export(db, settings, catalog, vault, tmp_path, public=public))
    long = read_csv(_export(db, settings, catalog, vault, tmp_path, public=public, shape="long"))
    header = wide[0]
    first = len(VISIT_COLUMNS if public else VISIT_COLUMNS + VISIT_INTERNAL_COLUMNS)
    # Each visit has answers in its own checklist's block only, so dropping the block prefix
    # leaves one cell per visit and question.
    from_wide = {(r[0], header[i].rpartition(".")[2]): r[i] for r in wide[1:]
                 for i in range(first, len(header)) if r[i] != ""}
    from_long = {(r[0], r[2]): r[3] for r in long[1:]}

    assert from_long == from_wide and from_long


def test_hostile_text_cannot_run_as_a_formula(db, settings, two_checklists, tmp_path):
    catalog, vault, *_ = two_checklists
    csv_rows = read_csv(_export(db, settings, catalog, vault, tmp_path))
    xlsx_rows = read_xlsx(_export(db, settings, catalog, vault, tmp_path, fmt="xlsx"))["visits"]
    long_rows = read_csv(_export(db, settings, catalog, vault, tmp_path, shape="long"))
    facilities = tmp_path / "facilities.xlsx"
    run_export(db, ExportRequest("facilities", "xlsx"), facilities, catalog=catalog,
               vault=vault, settings=settings)
    facility_csv = tmp_path / "facilities.csv"
    run_export(db, ExportRequest("facilities", "csv"), facility_csv, catalog=catalog,
               vault=vault, settings=settings)

    for rows in (csv_rows, xlsx_rows, long_rows):
        cells = {str(c) for row in rows for c in row if c is not None}
        assert rows is long_rows or "'" + HOSTILE[0] in cells  # the facility's name
        assert "'" + HOSTILE[1] in cells  # a sensitive answer, decrypted for the organisation
        assert "'" + HOSTILE[2] in cells and "'" + HOSTILE[3] in cells
        assert not cells & set(HOSTILE)
    assert read_csv(facility_csv)[1][1] == "'" + HOSTILE[0]
    from openpyxl import load_workbook

    book = load_workbook(facilities)
    cell = book.active.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value == "'" + HOSTILE[0]


def test_public_visits_of_the_small_checklist(db, settings, two_checklists, tmp_path):
    catalog, vault, _core_id, basics_id = two_checklists
    rows = read_csv(_export(db, settings, catalog, vault, tmp_path, public=True))
    header = rows[0]

    assert [int(r[0]) for r in rows[1:]] == [basics_id]  # the core visit is a draft
    row = dict(zip(header, rows[1]))
    assert row["start_date"] == "2024-03"
    assert row["visit_date"] == "2024-03"  # dates are months
    assert row["population"] == "40"
    assert row["children_held"] == "0"  # zero identifies nobody
    assert "interview_notes" not in header  # sensitive
    assert "conditions_notes" not in header  # free text, even if not sensitive
    assert not set(HOSTILE[2:]) & {c.lstrip("'") for c in rows[1]}


def test_long_export_needs_the_key_for_sensitive_answers(db, settings, two_checklists, tmp_path):
    catalog, vault, *_ = two_checklists
    with pytest.raises(InputError, match="give the data key"):
        write_answers_long(db, tmp_path / "a.csv", catalog=catalog, vault=None, settings=settings)
    count = write_answers_long(db, tmp_path / "b.csv", catalog=catalog, vault=vault,
                               settings=settings)
    assert count == len(read_csv(tmp_path / "b.csv")) - 1 == 11


def test_organisation_filter_keeps_other_organisations_out(db, settings, make_user, tmp_path):
    catalog = load_catalog(settings.checklist_dir)
    vault = Vault(settings.data_keys)
    ours, theirs = make_user("coordinator", org="Ours"), make_user("coordinator", org="Theirs")
    place = create_facility(db, FacilityData(name="Shared place", country="ESP"))
    mine = make_visit(db, catalog, vault, by=ours, facility=place, checklist_id="core",
                      answers={"visit_took_place": "yes"})
    make_visit(db, catalog, vault, by=theirs, facility=place, checklist_id="core",
               answers={"visit_took_place": "no"})
    db.commit()
    for shape in ("wide", "long"):
        path = tmp_path / f"{shape}.csv"
        run_export(db, ExportRequest("visits", "csv", shape=shape,
                                     organisation_id=ours.organisation_id),
                   path, catalog=catalog, vault=vault, settings=settings)
        assert {r[0] for r in read_csv(path)[1:]} == {str(mine.id)}


@pytest.mark.parametrize("shape", ["wide", "long"])
def test_a_failed_export_leaves_no_partial_file(db, settings, two_checklists, tmp_path, shape):
    catalog, *_ = two_checklists
    folder = tmp_path / "out"
    with pytest.raises(InputError, match="give the data key"):
        run_export(db, ExportRequest("visits", "csv", shape=shape), folder / "visits.csv",
                   catalog=catalog, vault=None, settings=settings)
    assert list(folder.iterdir()) == []
