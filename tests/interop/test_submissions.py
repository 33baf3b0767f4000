"""KoboToolbox and ODK submissions of an exported form become draft visits."""

from __future__ import annotations

import csv
import json
import random
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from monitor.checklists.loader import load_checklist
from monitor.core.crypto import Vault
from monitor.core.errors import InputError, RecordNotFound
from monitor.db.models import Answer, AuditEvent, Visit, VisitState
from monitor.interop.form_plan import plan_form
from monitor.interop.owner import importing_user
from monitor.interop.submissions import Action, apply_submissions, plan_submissions
from monitor.services import visits
from monitor.services.catalog import ChecklistCatalog
from monitor.services.facilities import FacilityData, create_facility
from monitor.services.findings import evaluate_visit
from monitor.services.synthetic import AnswerGenerator, FacilityProfile
from tests.interop.conftest import SUBMISSION_DATA

ORG = "Red de Monitoreo de Prueba"
CENTRAL = SUBMISSION_DATA / "central_odata.json"
KOBO = SUBMISSION_DATA / "kobo_export.csv"


@pytest.fixture
def vault(settings) -> Vault:
    return Vault(settings.data_keys)


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", org=ORG)


@pytest.fixture
def places(db):
    """The two (invented) facilities the fixture submissions name."""
    norte = create_facility(db, FacilityData(name="Centro de Estancia Temporal Norte",
                                             country="MEX", other_names=("CETN",)))
    eloi = create_facility(db, FacilityData(name="Centre de rétention de Saint-Éloi",
                                            country="FRA"))
    db.commit()
    return {"norte": norte, "eloi": eloi}


def run(db, path, *, catalog, vault, by, dry_run=False, **options):
    plan = plan_submissions(db, path, catalog=catalog, vault=vault, by=by, **options)
    if not dry_run:
        apply_submissions(db, plan, by=by, vault=vault)
        db.commit()
    return plan


def messages(plan) -> list[str]:
    return [str(p) for p in plan.problems]


def by_instance(db, instance_id: str) -> Visit:
    return db.scalar(select(Visit).where(Visit.source_instance_id == instance_id))


def test_odk_central_json_becomes_draft_visits(db, catalog, vault, coordinator, places):
    plan = run(db, CENTRAL, catalog=catalog, vault=vault, by=coordinator)
    assert plan.summary() == "created 3, updated 0, unchanged 0, rejected 1"
    said = messages(plan)
    assert "row 2, column access/entry_delay_minutes: 'about twenty' is not a number; the " \
           "answer is left out." in said
    assert "row 2, column access/management_cooperation: 'superb' is not one of the choices; " \
           "the answer is left out." in said
    assert any(m.startswith("row 3, column dm_facility_id: no facility of the registry is "
                            "called 'Estación que no existe'") for m in said)
    first = by_instance(db, "uuid:5f0c1f0e-1a2b-4c3d-8e9f-000000000001")
    assert first.facility_id == places["norte"].id  # matched by its folded name
    assert (first.start_date, first.end_date) == (date(2025, 2, 10), date(2025, 2, 11))
    assert first.state is VisitState.DRAFT and first.created_by_id == coordinator.id
    assert (first.checklist_id, first.checklist_version) == ("core", 1)
    answers = visits.current_answers(first, vault)
    assert answers["areas_withheld"] == ["isolation", "medical"]
    assert answers["entry_delay_minutes"] == 35 and answers["population_total"] == 412
    assert answers["access_notes"].startswith("Fictional note")
    secret = db.scalar(select(Answer).where(Answer.visit_id == first.id,
                                            Answer.question_id == "access_notes"))
    assert secret.value is None and secret.secret is not None  # sensitive: encrypted
    second = by_instance(db, "uuid:5f0c1f0e-1a2b-4c3d-8e9f-000000000002")
    assert second.facility_id == places["norte"].id  # matched by its other name, CETN
    assert "entry_delay_minutes" not in visits.current_answers(second, vault)
    fourth = by_instance(db, "uuid:5f0c1f0e-1a2b-4c3d-8e9f-000000000004")
    assert fourth.start_date == date(2025, 4, 14)  # no visit date: the submission's start
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "visits.import")) == 1


def test_importing_again_changes_nothing_then_follows_edits(db, catalog, vault, coordinator,
                                                           places, tmp_path):
    run(db, CENTRAL, catalog=catalog, vault=vault, by=coordinator)
    count = db.scalar(select(func.count()).select_from(Visit))
    again = run(db, CENTRAL, catalog=catalog, vault=vault, by=coordinator)
    assert again.summary() == "created 0, updated 0, unchanged 3, rejected 1"
    assert db.scalar(select(func.count()).select_from(Visit)) == count
    document = json.loads(CENTRAL.read_text(encoding="utf-8"))
    document["value"][0]["conditions"]["accommodation"]["population_total"] = 420
    document["value"][0]["dm_visit_end_date"] = "2025-02-12"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document), encoding="utf-8")
    plan = run(db, edited, catalog=catalog, vault=vault, by=coordinator)
    assert plan.summary() == "created 0, updated 1, unchanged 2, rejected 1"
    first = by_instance(db, "uuid:5f0c1f0e-1a2b-4c3d-8e9f-000000000001")
    assert visits.current_answers(first, vault)["population_total"] == 420
    assert first.end_date == date(2025, 2, 12)
    # Once the team submitted it, a later export does not change it.
    db.refresh(first)
    first.state, first.submitted_at = VisitState.SUBMITTED, datetime(2025, 3, 1)
    db.commit()
    document["value"][0]["conditions"]["accommodation"]["population_total"] = 999
    edited.write_text(json.dumps(document), encoding="utf-8")
    late = run(db, edited, catalog=catalog, vault=vault, by=coordinator)
    assert late.summary() == "created 0, updated 0, unchanged 3, rejected 1"
    assert f"visit {first.id} was already submitted; the changes in this submission are not " \
           "applied." in " ".join(messages(late))
    assert visits.current_answers(first, vault)["population_total"] == 420


def test_an_edited_submission_finds_its_visit_by_the_deprecated_id(db, catalog, vault,
                                                                  coordinator, places, tmp_path):
    run(db, CENTRAL, catalog=catalog, vault=vault, by=coordinator)
    document = json.loads(CENTRAL.read_text(encoding="utf-8"))
    record = document["value"][3]
    old = record["meta"]["instanceID"]
    record["meta"] = {"instanceID": "uuid:5f0c1f0e-1a2b-4c3d-8e9f-0000000000ff",
                      "deprecatedID": old}
    record["__id"] = record["meta"]["instanceID"]
    record["access"]["visit_not_held_reason"] = "entry_refused"
    document["value"] = [record]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document), encoding="utf-8")
    plan = run(db, edited, catalog=catalog, vault=vault, by=coordinator)
    assert plan.summary() == "created 0, updated 1, unchanged 0, rejected 0"
    assert by_instance(db, old) is None
    visit = by_instance(db, "uuid:5f0c1f0e-1a2b-4c3d-8e9f-0000000000ff")
    assert visits.current_answers(visit, vault)["visit_not_held_reason"] == "entry_refused"


def test_kobo_csv_with_group_paths_and_choice_columns(db, catalog, vault, coordinator, places):
    plan = run(db, KOBO, catalog=catalog, vault=vault, by=coordinator)
    assert plan.summary() == "created 2, updated 0, unchanged 0, rejected 1"
    said = messages(plan)
    assert "row 4: the same submission as row 3; it is imported once." in said
    assert "column access/team_mood: not a question of the checklist 'core' version 1; the " \
           "column is ignored." in said
    first = by_instance(db, "uuid:9d3e8a52-0c1e-4b8e-a7a1-00000000000a")
    assert first.facility_id == places["eloi"].id
    assert visits.current_answers(first, vault)["areas_withheld"] == ["isolation", "medical"]
    second = by_instance(db, "uuid:9d3e8a52-0c1e-4b8e-a7a1-00000000000b")  # from _uuid
    assert second.start_date == date(2025, 5, 20)
    assert visits.current_answers(second, vault)["management_cooperation"] == "reluctant"


def test_xlsx_export_reads_like_the_csv(db, catalog, vault, coordinator, places, tmp_path):
    with KOBO.open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source, delimiter=";"))
    book = Workbook()
    sheet = book.active
    sheet.title = "Core checklist for visits"
    sheet.append(rows[0])
    for row in rows[1:]:
        typed = []
        for header, cell in zip(rows[0], row):
            if header in ("start", "end"):
                typed.append(datetime.fromisoformat(cell).replace(tzinfo=None))
            elif cell.isdigit() and not header.startswith("access/areas_withheld/"):
                typed.append(float(cell))  # spreadsheets store whole numbers as floats
            else:
                typed.append(cell or None)
        sheet.append(typed)
    target = tmp_path / "kobo.xlsx"
    book.save(target)
    plan = run(db, target, catalog=catalog, vault=vault, by=coordinator)
    assert plan.summary() == "created 2, updated 0, unchanged 0, rejected 1"
    first = by_instance(db, "uuid:9d3e8a52-0c1e-4b8e-a7a1-00000000000a")
    answers = visits.current_answers(first, vault)
    assert answers["population_total"] == 64 and answers["entry_delay_minutes"] == 10
    assert first.start_date == date(2025, 5, 6)


def test_a_dry_run_writes_nothing(db, catalog, vault, coordinator, places):
    plan = run(db, CENTRAL, catalog=catalog, vault=vault, by=coordinator, dry_run=True)
    db.rollback()
    assert plan.count(Action.CREATE) == 3
    assert db.scalar(select(func.count()).select_from(Visit)) == 0


def test_the_checklist_must_be_known(db, catalog, vault, coordinator, places, tmp_path):
    bare = tmp_path / "bare.csv"
    bare.write_text("dm_facility_id,start,visit_took_place,_uuid\nCETN,2025-01-01,yes,a1\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="--checklist"):
        plan_submissions(db, bare, catalog=catalog, vault=vault, by=coordinator)
    plan = run(db, bare, catalog=catalog, vault=vault, by=coordinator, checklist_id="core@1")
    assert plan.summary() == "created 1, updated 0, unchanged 0, rejected 0"
    with pytest.raises(RecordNotFound):
        plan_submissions(db, bare, catalog=catalog, vault=vault, by=coordinator,
                         checklist_id="core@7")


def test_answers_to_sensitive_questions_are_never_echoed(db, catalog, vault, coordinator,
                                                         places, tmp_path):
    definition = tmp_path / "small.yaml"
    definition.write_text(
        "id: small\nversion: 1\ntitle: Small\nsections:\n  - id: s\n    title: S\n"
        "    questions:\n      - id: injuries_seen\n        type: integer\n"
        "        label: Injuries seen\n        sensitive: true\n", encoding="utf-8")
    small = load_checklist(definition)
    own = ChecklistCatalog(catalog.standards, {small.key: small})
    rows = tmp_path / "rows.csv"
    rows.write_text("dm_checklist,dm_facility_id,dm_visit_date,s/injuries_seen,_uuid\n"
                    "small@1,CETN,2025-01-02,seven or eight,b1\n", encoding="utf-8")
    plan = run(db, rows, catalog=own, vault=vault, by=coordinator)
    assert messages(plan) == ["row 2, column s/injuries_seen: the answer does not fit this "
                              "integer question; the answer is left out."]


def test_whose_visits_they_are(db, make_user, coordinator):
    monitor = make_user("monitor", org=ORG)
    assert importing_user(db, organisation=ORG).id == coordinator.id
    assert importing_user(db).id == coordinator.id  # the only organisation
    assert importing_user(db, email=monitor.email.upper()).id == monitor.id
    with pytest.raises(RecordNotFound, match="no account"):
        importing_user(db, email="nobody@example.org")
    with pytest.raises(RecordNotFound, match=ORG):
        importing_user(db, organisation="Unknown group")
    make_user("monitor", org="Second organisation")
    with pytest.raises(InputError, match="--org NAME"):
        importing_user(db)
    with pytest.raises(InputError, match="no active admin or coordinator"):
        importing_user(db, organisation="Second organisation")


# --- the findings of imported answers are those of answers typed in ------------------------


def _submission_csv(path: Path, checklist, rows: list[tuple[str, str, dict]]) -> None:
    """Write a KoboToolbox-style CSV with the group-path headers of our export."""
    form = plan_form(checklist)
    header = ["start", "end", "dm_checklist", "dm_facility_id", "dm_visit_date",
              *(form.paths[q] for q in form.question_ids), "meta/instanceID", "_uuid",
              "_submission_time"]
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, header, delimiter=";")
        writer.writeheader()
        for instance, facility, answers in rows:
            record = {"start": "2025-06-01T09:00:00.000+02:00", "dm_facility_id": facility,
                      "dm_checklist": f"{checklist.id}@{checklist.version}",
                      "dm_visit_date": "2025-06-01", "meta/instanceID": instance,
                      "_submission_time": "2025-06-02T10:00:00"}
            for question_id in form.question_ids:
                value = answers.get(question_id)
                record[form.paths[question_id]] = (" ".join(value) if isinstance(value, list)
                                                   else "" if value is None else value)
            writer.writerow(record)


def test_imported_answers_give_the_findings_of_answers_entered_directly(
        db, catalog, vault, coordinator, places, tmp_path):
    checklist = catalog.get("core")
    generator = AnswerGenerator(checklist, catalog.standards)
    facility = places["norte"]
    drawn = []
    for seed, quality, took_place in ((1, 0.2, True), (2, 0.8, True), (3, 0.5, False)):
        answers = generator.answers(random.Random(seed), FacilityProfile(
            capacity=200, facility_type="immigration_detention_centre", quality=quality,
            holds_children=True), took_place=took_place)
        drawn.append((f"uuid:00000000-0000-4000-8000-00000000000{seed}", answers))
    export = tmp_path / "submissions.csv"
    _submission_csv(export, checklist, [(i, facility.public_id, a) for i, a in drawn])
    plan = run(db, export, catalog=catalog, vault=vault, by=coordinator)
    assert plan.summary() == "created 3, updated 0, unchanged 0, rejected 0"
    assert [p for p in plan.problems if p.level == "error"] == []
    for instance, answers in drawn:
        imported = by_instance(db, instance)
        direct = visits.create_visit(db, facility=facility, by=coordinator, checklist=checklist,
                                     start_date=date(2025, 6, 1))
        visits.save_answers(db, direct, answers, by=coordinator, vault=vault,
                            checklist=checklist)
        db.commit()
        mine = evaluate_visit(imported, catalog, vault)
        theirs = evaluate_visit(direct, catalog, vault)
        assert mine.findings, "nothing was judged: the test would prove nothing"
        assert [(f.standard_id, f.status) for f in mine.findings] == [
            (f.standard_id, f.status) for f in theirs.findings]
        assert [f.code for f in mine.red_flags] == [f.code for f in theirs.red_flags]
        assert [(a.area_id, a.score, a.rating) for a in mine.areas] == [
            (a.area_id, a.score, a.rating) for a in theirs.areas]
        assert mine.indicators == theirs.indicators
        assert mine.score_overall == theirs.score_overall


def test_a_form_of_chosen_sections_gives_thematic_visits(db, catalog, vault, coordinator,
                                                        places, tmp_path):
    rows = tmp_path / "health.csv"
    rows.write_text(
        "dm_checklist;dm_sections;dm_facility_id;dm_visit_date;access/visit_took_place;"
        "health/health_screening/medical_exam_on_admission;meta/instanceID\n"
        "core@1;health;CETN;2025-07-01;yes;no;uuid:c1\n", encoding="utf-8")
    plan = run(db, rows, catalog=catalog, vault=vault, by=coordinator)
    assert plan.summary() == "created 1, updated 0, unchanged 0, rejected 0"
    visit = by_instance(db, "uuid:c1")
    assert (visit.scope.value, visit.sections) == ("thematic", ["health"])
    evaluation = evaluate_visit(visit, catalog, vault)
    assert "no_medical_exam_on_admission" in [f.code for f in evaluation.red_flags]


def test_headers_are_xml_names_joined_with_slashes_or_dots(db, catalog, vault, coordinator,
                                                          places, tmp_path):
    labelled = tmp_path / "labels.csv"
    labelled.write_text("Facility visited;Did the visit take place?;_uuid\nCETN;Yes;x1\n",
                        encoding="utf-8")
    with pytest.raises(InputError, match="XML values and headers"):
        plan_submissions(db, labelled, catalog=catalog, vault=vault, by=coordinator,
                         checklist_id="core")
    dotted = tmp_path / "dotted.csv"
    dotted.write_text("dm_facility_id;start;access.visit_took_place;"
                      "conditions.accommodation.population_total;meta.instanceID\n"
                      "CETN;2025-08-01T10:00:00;yes;12;uuid:d1\n", encoding="utf-8")
    plan = run(db, dotted, catalog=catalog, vault=vault, by=coordinator, checklist_id="core")
    assert plan.summary() == "created 1, updated 0, unchanged 0, rejected 0"
    answers = visits.current_answers(by_instance(db, "uuid:d1"), vault)
    assert answers == {"visit_took_place": "yes", "population_total": 12}
