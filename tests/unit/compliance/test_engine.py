"""The compliance engine on small inline checklists and on the shipped core checklist."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from monitor.checklists.loader import load_checklist
from monitor.checklists.schema import Checklist
from monitor.compliance.engine import REQUIRED_RED_FLAGS, evaluate, prepare
from monitor.compliance.recommend import suggest_recommendations
from monitor.compliance.standards import Catalogue, load_catalogue
from monitor.compliance.types import Severity, Status
from monitor.core.errors import ChecklistError, InputError

CHECKLISTS = Path(__file__).resolve().parents[3] / "checklists"
C, P, N, NA = (Status.COMPLIANT, Status.PARTIALLY_COMPLIANT, Status.NON_COMPLIANT,
               Status.NOT_ASSESSED)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(CHECKLISTS / "standards.yaml", CHECKLISTS / "areas.yaml")


@pytest.fixture(scope="module")
def core(catalogue) -> Checklist:
    return load_checklist(CHECKLISTS / "core", standards=set(catalogue.standards),
                          areas=set(catalogue.areas))


def write_checklist(folder: Path, text: str) -> Path:
    path = folder / "checklist.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# -- a small checklist with every part the engine uses ----------------------------------------

MINI = """
    id: mini
    version: 1
    title: Mini checklist
    sections:
      - id: visit
        title: The visit
        area: treat.inspection
        questions:
          - id: visit_took_place
            type: yes_no
            label: Did the visit take place?
          - id: monitors_obstructed
            type: yes_no
            label: Were the monitors obstructed?
            standards: [mandela-r83]
            rule: {kind: map, values: {'yes': non_compliant, 'no': compliant}, severity: high}
      - id: living
        title: Living space
        area: cond.accommodation
        relevant: "${visit_took_place} = 'yes'"
        questions:
          - id: space_shortfall
            type: calculate
            label: Shortfall below 4 m² per person
            calculation: "4 - ${m2_per_person}"
          - id: m2_per_person
            type: calculate
            label: Floor space per person
            calculation: "${floor_area} div ${occupants}"
            unit: m²
            indicator: m2_per_person
            standards: [cpt-living-space-multi]
            rule: {kind: threshold, standard: cpt-living-space-multi,
                   partial: {operator: '>=', value: 3}, severity: high}
          - id: floor_area
            type: decimal
            label: Floor area (m²)
          - id: occupants
            type: integer
            label: People in the room
            indicator: occupants
          - id: crowding_mitigated
            type: yes_no_partly_na
            label: Is the crowding made up for (time out of the room)?
            relevant: "${m2_per_person} < 4"
            standards: [ecthr-mursic-3m2]
            rule: {kind: map, values: {'yes': compliant, partly: partially_compliant, 'no': non_compliant}}
          - id: ceiling_height
            type: decimal
            label: Ceiling height (m)
            standards: [cpt-ceiling-height]
            rule: {kind: threshold, standard: cpt-ceiling-height}
          - id: separation
            type: yes_no_partly_na
            label: Are categories of people held apart?
            standards: [mandela-r11]
            rule: {kind: map, values: {'yes': compliant, partly: partially_compliant, 'no': non_compliant}}
          - id: light_air
            type: yes_no_partly_na
            label: Enough light and air?
            standards: [mandela-r13]
            rule: {kind: map, values: {'yes': compliant, partly: partially_compliant, 'no': non_compliant}}
          - id: dormitory_overcrowded
            type: yes_no
            label: Are dormitories overcrowded?
            standards: [mandela-r13]
            rule: {kind: map, values: {'yes': non_compliant, 'no': compliant}, severity: critical}
      - id: outdoor
        title: Outdoor exercise
        area: regime.outdoor_exercise
        relevant: "${visit_took_place} = 'yes'"
        questions:
          - id: outdoor_area
            type: yes_no
            label: Is there an outdoor area?
          - id: outdoor_hours
            type: decimal
            label: Hours in the open air per day
            relevant: "${outdoor_area} = 'yes'"
            unit: hours/day
            indicator: hours_outdoors
            standards: [mandela-r23]
            rule: {kind: threshold, standard: mandela-r23, severity: high}
      - id: solitary
        title: Solitary confinement
        area: treat.solitary
        questions:
          - id: isolation_used
            type: yes_no
            label: Is isolation used?
          - id: solitary_days
            type: integer
            label: Longest isolation (days)
            relevant: "${isolation_used} = 'yes'"
            indicator: solitary_max_days
            standards: [mandela-r44-prolonged]
            rule: {kind: threshold, standard: mandela-r44-prolonged, severity: critical}
          - id: sanctions
            type: select_many
            label: Prohibited sanctions seen
            choices:
              - {code: collective, label: Collective punishment}
              - {code: food_water, label: Food or water withheld}
              - {code: none, label: None of these}
            standards: [mandela-r43]
            rule: {kind: expression, compliant: "selected(., 'none')", severity: critical}
      - id: interviews
        title: Interviews
        area: treat.torture
        questions:
          - id: interview_notes
            type: long_text
            label: Notes
            sensitive: true
          - id: abuse_reported
            type: yes_no
            label: Did anyone report abuse by staff?
            sensitive: true
            indicator: abuse
            standards: [mandela-r1]
            rule: {kind: map, values: {'yes': non_compliant, 'no': compliant}, severity: critical}
    red_flags:
      - id: solitary_beyond_limit
        severity: critical
        label: Solitary confinement beyond 15 days
        when: "${solitary_days} > 15"
        standards: [mandela-r44-prolonged]
      - id: crowded
        severity: high
        label: Less than 4 m² per person
        when: "${m2_per_person} < 4"
        standards: [cpt-living-space-multi]
      - id: abuse
        severity: critical
        label: Abuse reported
        when: "${abuse_reported} = 'yes'"
        standards: [mandela-r1]
      - id: visit_refused
        severity: high
        label: Visit refused
        when: "${visit_took_place} = 'no'"
        standards: [mandela-r83]
    """

#: A visit where everything asked is answered, and most of it is fine.
GOOD_VISIT: dict[str, Any] = {
    "visit_took_place": "yes", "monitors_obstructed": "no", "floor_area": 24, "occupants": 4,
    "ceiling_height": 2.6, "separation": "yes", "light_air": "yes",
    "dormitory_overcrowded": "no", "outdoor_area": "yes", "outdoor_hours": 2,
    "isolation_used": "no", "sanctions": ["none"], "interview_notes": "secret words",
    "abuse_reported": "no",
}


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> Checklist:
    return load_checklist(write_checklist(tmp_path_factory.mktemp("mini"), MINI))


def visit(**changes: Any) -> dict[str, Any]:
    answers = dict(GOOD_VISIT)
    for key, value in changes.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answers


# -- skip logic ---------------------------------------------------------------------------------


def test_a_closed_section_drops_its_answers_and_leaves_its_rules_not_assessed(mini, catalogue):
    result = evaluate(mini, visit(visit_took_place="no"), catalogue)

    assert "floor_area" not in result.values and "outdoor_hours" not in result.values
    assert {"floor_area", "ceiling_height", "outdoor_hours"}.isdisjoint(result.relevant)
    assert {"visit_took_place", "monitors_obstructed", "isolation_used"} <= result.relevant
    for standard in ("cpt-living-space-multi", "cpt-ceiling-height", "mandela-r13",
                     "mandela-r23"):
        assert result.finding(standard).status is NA, standard
    assert result.finding("mandela-r83").status is C  # its section was open
    assert [flag.code for flag in result.red_flags] == ["visit_refused"]
    accommodation = result.area("cond.accommodation")
    assert (accommodation.standards_asked, accommodation.rating) == (0, None)
    assert accommodation.rating_rule == "not rated: no question about this area was asked"


def test_a_question_whose_relevant_is_false_is_not_asked(mini, catalogue):
    result = evaluate(mini, visit(outdoor_area="no", outdoor_hours=0.5), catalogue)
    assert "outdoor_hours" not in result.relevant and "outdoor_hours" not in result.values
    assert result.finding("mandela-r23").status is NA
    assert result.indicators["hours_outdoors"] is None

    asked = evaluate(mini, visit(outdoor_area="yes", outdoor_hours=0.5), catalogue)
    assert asked.finding("mandela-r23").status is N


def test_an_unanswered_asked_question_counts_as_asked_but_not_assessed(mini, catalogue):
    result = evaluate(mini, visit(ceiling_height=None), catalogue)
    assert "ceiling_height" in result.relevant
    finding = result.finding("cpt-ceiling-height")
    assert finding.status is NA
    assert finding.evidence[0].answer is None
    area = result.area("cond.accommodation")
    assert (area.standards_asked, area.standards_assessed) == (4, 3)


# -- calculations -------------------------------------------------------------------------------


def test_calculations_run_after_their_inputs_whatever_the_document_order(mini, catalogue):
    result = evaluate(mini, visit(floor_area=12, occupants=4), catalogue)
    # space_shortfall reads m2_per_person, which reads floor_area and occupants: all written
    # after it, so only dependency order can compute them.
    assert result.values["m2_per_person"] == 3.0
    assert result.values["space_shortfall"] == 1.0
    assert result.indicators["m2_per_person"] == 3.0
    assert result.finding("cpt-living-space-multi").status is P
    # A computed value feeds skip logic: below 4 m², the mitigation question is asked.
    assert "crowding_mitigated" in result.relevant


def test_a_calculation_on_missing_or_zero_input_is_empty_and_not_assessed(mini, catalogue):
    for changes in ({"occupants": None}, {"occupants": 0}):
        result = evaluate(mini, visit(**changes), catalogue)
        assert "m2_per_person" not in result.values
        assert result.finding("cpt-living-space-multi").status is NA
        assert "crowding_mitigated" not in result.relevant  # an empty value is never < 4


def test_answers_to_computed_questions_are_ignored(mini, catalogue):
    result = evaluate(mini, visit(m2_per_person=99, floor_area=12, occupants=6), catalogue)
    assert result.values["m2_per_person"] == 2.0


# -- findings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("light", "crowded", "status", "severity"), [
    ("no", "yes", N, Severity.CRITICAL),  # both breach: the highest severity of the two
    ("no", "no", N, Severity.MEDIUM),  # only the medium rule breaches
    ("yes", "yes", N, Severity.CRITICAL),
    ("partly", "no", P, Severity.MEDIUM),
    ("yes", "no", C, Severity.CRITICAL),  # both met: the highest severity among them
    ("na", "no", C, Severity.CRITICAL),  # 'na' is silent, the other rule decides
    ("na", None, NA, Severity.CRITICAL),
])
def test_a_standard_takes_the_worst_status_of_its_rules(mini, catalogue, light, crowded,
                                                        status, severity):
    result = evaluate(mini, visit(light_air=light, dormitory_overcrowded=crowded), catalogue)
    finding = result.finding("mandela-r13")
    assert (finding.status, finding.severity) == (status, severity)
    assert [item.question_id for item in finding.evidence] == ["light_air",
                                                               "dormitory_overcrowded"]
    assert finding.area_id == "cond.accommodation"


def test_findings_are_ordered_by_area_then_catalogue(mini, catalogue):
    result = evaluate(mini, GOOD_VISIT, catalogue)
    assert [f.standard_id for f in result.findings] == [
        "mandela-r1", "mandela-r43", "mandela-r44-prolonged", "mandela-r83",  # treat
        "mandela-r11", "mandela-r13", "cpt-living-space-multi", "cpt-ceiling-height",
        "ecthr-mursic-3m2",  # cond
        "mandela-r23",  # regime
    ]


def test_finding_text_cites_the_standard_in_english_and_spanish(mini, catalogue):
    result = evaluate(mini, visit(outdoor_hours=0.5), catalogue)
    finding = result.finding("mandela-r23")
    assert finding.text(catalogue) == (
        "Not met: Nelson Mandela Rules, Rule 23(1) — 0.5 hours/day (question outdoor_hours); "
        "the standard asks for at least 1 hour/day.")
    assert finding.text(catalogue, "es") == (
        "No se cumple: Reglas Nelson Mandela, regla 23.1 — 0.5 hours/day (pregunta "
        "outdoor_hours); la norma exige al menos 1 hora/día.")


def test_finding_text_for_a_partial_band_and_for_silence(mini, catalogue):
    result = evaluate(mini, visit(floor_area=10, occupants=3, ceiling_height=None), catalogue)
    assert result.finding("cpt-living-space-multi").text(catalogue).endswith(
        "— 3.33 m² (question m2_per_person); the standard asks for at least 4 m2/person "
        "(partly met from at least 3 m2/person).")
    assert result.finding("cpt-ceiling-height").text(catalogue).endswith(
        "— no answer could be judged (questions ceiling_height).")


# -- sensitive answers --------------------------------------------------------------------------


def test_sensitive_answers_never_travel_in_evidence_or_indicators(mini, catalogue):
    result = evaluate(mini, visit(abuse_reported="yes"), catalogue)
    finding = result.finding("mandela-r1")
    assert finding.status is N
    (item,) = finding.evidence
    assert (item.answer, item.sensitive, item.status) == (None, True, N)
    assert "'yes'" not in finding.text(catalogue)
    assert "confidential answer" in finding.text(catalogue)
    (flag,) = [f for f in result.red_flags if f.code == "abuse"]
    assert [(e.question_id, e.answer, e.sensitive) for e in flag.evidence] == [
        ("abuse_reported", None, True)]
    assert "abuse" not in result.indicators
    # The values judged keep the note (internal use), but the evaluation never shows it.
    assert result.values["interview_notes"] == "secret words"
    assert "secret words" not in repr(result)


# -- red flags ----------------------------------------------------------------------------------


def test_red_flags_are_raised_with_their_evidence(mini, catalogue):
    result = evaluate(mini, visit(isolation_used="yes", solitary_days=20, floor_area=10,
                                  occupants=4), catalogue)
    assert [flag.code for flag in result.red_flags] == ["solitary_beyond_limit", "crowded"]
    solitary = result.red_flags[0]
    assert solitary.severity is Severity.CRITICAL
    assert solitary.label.get("en") == "Solitary confinement beyond 15 days"
    assert solitary.standards == ("mandela-r44-prolonged",)
    assert [(e.question_id, e.answer, e.status) for e in solitary.evidence] == [
        ("solitary_days", 20, N)]
    assert [(e.question_id, e.answer) for e in result.red_flags[1].evidence] == [
        ("m2_per_person", 2.5)]


def test_a_red_flag_never_fires_on_a_skipped_answer(mini, catalogue):
    result = evaluate(mini, visit(isolation_used="no", solitary_days=40), catalogue)
    assert result.red_flags == ()


# -- scores -------------------------------------------------------------------------------------


def test_area_score_counts_met_and_half_of_partly_met_over_assessed(mini, catalogue):
    result = evaluate(mini, visit(floor_area=12, occupants=4, crowding_mitigated="yes",
                                  ceiling_height=2.4), catalogue)
    area = result.area("cond.accommodation")
    # r11 met, r13 met, living space partly (3 m²), ceiling not met, Muršić met.
    assert (area.standards_met, area.standards_partly, area.standards_assessed) == (3, 1, 5)
    assert area.score == pytest.approx(3.5 / 5)
    assert (area.rating, area.rating_rule) == (3, "by score: 0.70 is at least 0.65 "
                                                  "('reasonably good')")
    assert area.rating_rule_in("es") == ("por puntuación: 0.70 es al menos 0.65 "
                                         "('razonablemente bueno')")
    assert area.level == "subarea"
    top = result.area("cond")
    assert (top.level, top.standards_assessed, top.score) == ("area", 5, area.score)


def test_not_assessed_is_in_neither_part_of_the_score_but_lowers_the_share(mini, catalogue):
    full = evaluate(mini, visit(ceiling_height=2.4), catalogue)
    silent = evaluate(mini, visit(ceiling_height=2.4, separation=None, light_air=None,
                                  dormitory_overcrowded=None), catalogue)
    a, b = full.area("cond.accommodation"), silent.area("cond.accommodation")
    assert (a.standards_assessed, a.standards_asked, a.assessed_share) == (4, 4, 1.0)
    assert (b.standards_assessed, b.standards_asked, b.assessed_share) == (2, 4, 0.5)
    assert a.score == pytest.approx(3 / 4)
    assert b.score == pytest.approx(1 / 2)  # living space met, ceiling not: silence is no help


def test_overall_score_and_counts(mini, catalogue):
    result = evaluate(mini, visit(outdoor_hours=0.5, separation="partly"), catalogue)
    assert result.standards_total == 10
    # Not asked: Muršić (6 m² per person skips its question) and solitary (no isolation).
    assert result.standards_asked == 8
    assert (result.standards_met, result.standards_partly, result.standards_assessed) == (6, 1, 8)
    assert result.score_overall == pytest.approx(6.5 / 8)
    assert result.share_assessed == pytest.approx(1.0)


def test_areas_cover_the_whole_catalogue_in_order(mini, catalogue):
    result = evaluate(mini, GOOD_VISIT, catalogue)
    ids = [area.area_id for area in result.areas]
    assert ids[0] == "proc" and ids[1].startswith("proc.")
    assert sorted(ids) == sorted(catalogue.areas)
    assert result.area("proc").rating_rule == ("not rated: no section of the checklist judges a "
                                               "standard here")


# -- ratings and caps ---------------------------------------------------------------------------

CAPS = """
    id: caps
    version: 1
    title: Caps
    sections:
      - id: rooms
        title: Rooms
        area: cond.accommodation
        questions:
    {questions}
    red_flags:
      - id: flag_b
        severity: critical
        label: B is broken
        when: "${{q_critical_b}} = 'no'"
        standards: [eu-return-a16]
      - id: light_flag
        severity: high
        label: No light
        when: "${{q_light}} = 'no'"
        standards: [mandela-r13]
      - id: elsewhere
        severity: critical
        label: Somewhere else
        when: "${{q_space}} = 'no'"
        standards: [mandela-r23]
    """
CAP_QUESTIONS = [  # (id, standards, severity): ten standards of cond.accommodation
    ("q_light", "mandela-r13", "medium"), ("q_space", "cpt-living-space-multi", "medium"),
    ("q_ceiling", "cpt-ceiling-height", "medium"), ("q_separation", "mandela-r11", "medium"),
    ("q_g8", "unhcr-dg-2012-g8", "medium"), ("q_extra", "cpt-living-space-single", "medium"),
    ("q_critical_a", "cpt-immigration-specific-centres", "critical"),
    ("q_critical_b", "eu-return-a16", "critical"),
    ("q_critical_both", "sphere-shelter-3, cpt-cell-min-width", "critical"),
]


@pytest.fixture(scope="module")
def caps(tmp_path_factory) -> Checklist:
    lines = []
    for qid, standards, severity in CAP_QUESTIONS:
        lines += [f"      - id: {qid}", "        type: yes_no_partly_na",
                  f"        label: Is {qid} fine?", f"        standards: [{standards}]",
                  "        rule: {kind: map, severity: " + severity + ", values: {'yes': "
                  "compliant, partly: partially_compliant, 'no': non_compliant}}"]
    text = textwrap.dedent(CAPS).format(questions="\n".join(lines))
    return load_checklist(write_checklist(tmp_path_factory.mktemp("caps"), text))


def rooms(checklist, catalogue, **answers):
    everything = {qid: "yes" for qid, _, _ in CAP_QUESTIONS}
    everything.update(answers)
    everything = {k: v for k, v in everything.items() if v is not None}
    return evaluate(checklist, everything, catalogue).area("cond.accommodation")


@pytest.mark.parametrize(("answers", "rating"), [
    ({}, 4),
    ({"q_light": "partly", "q_space": "no"}, 4),  # 8.5 / 10 = 0.85 exactly
    ({"q_light": "no", "q_space": "no"}, 3),  # 0.80
    ({"q_light": "partly", "q_space": "no", "q_ceiling": "no", "q_separation": "no"}, 3),  # 0.65
    ({"q_light": "no", "q_space": "no", "q_ceiling": "no", "q_separation": "no"}, 2),  # 0.60
    ({"q_light": "no", "q_space": "no", "q_ceiling": "no", "q_separation": "no", "q_g8": "no",
      "q_extra": "no"}, 2),  # 0.40
    ({"q_light": "no", "q_space": "no", "q_ceiling": "no", "q_separation": "no", "q_g8": "no",
      "q_extra": "no", "q_critical_b": "partly"}, 1),  # 0.35
])
def test_rating_bands_at_their_boundaries(caps, catalogue, answers, rating):
    area = rooms(caps, catalogue, **answers)
    assert area.rating == rating, (area.score, area.rating_rule)
    assert area.rating_rule.startswith("by score: ")


def cited(catalogue, standard_id, language="en"):
    return catalogue.standards[standard_id].citation(language)


def test_one_critical_breach_caps_at_not_sufficiently_good(caps, catalogue):
    area = rooms(caps, catalogue, q_critical_a="no")
    assert area.score == pytest.approx(0.9)
    assert area.rating == 2
    specific = "cpt-immigration-specific-centres"
    assert area.rating_rule == ("capped at 'not sufficiently good': critical breach of "
                                f"{cited(catalogue, specific)} (q_critical_a)")
    assert area.rating_rule_in("es") == (
        "limitada a 'no suficientemente bueno': incumplimiento crítico de "
        f"{cited(catalogue, specific, 'es')} (q_critical_a)")


def test_two_critical_breaches_cap_at_poor(caps, catalogue):
    area = rooms(caps, catalogue, q_critical_a="no", q_critical_both="no")
    assert area.score == pytest.approx(0.7)
    assert area.rating == 1
    assert area.rating_rule == (
        "capped at 'poor': 2 critical breaches: critical breach of "
        f"{cited(catalogue, 'cpt-cell-min-width')} / {cited(catalogue, 'sphere-shelter-3')} "
        "(q_critical_both); critical breach of "
        f"{cited(catalogue, 'cpt-immigration-specific-centres')} (q_critical_a)")


def test_one_answer_breaching_two_standards_is_one_breach(caps, catalogue):
    area = rooms(caps, catalogue, q_critical_both="no")
    assert area.rating == 2
    assert "q_critical_both" in area.rating_rule and "2 critical" not in area.rating_rule


def test_a_critical_red_flag_and_its_own_finding_are_one_breach(caps, catalogue):
    area = rooms(caps, catalogue, q_critical_b="no")
    assert area.rating == 2
    assert area.rating_rule == ("capped at 'not sufficiently good': red flag 'B is broken' "
                                "(q_critical_b)")


def test_a_critical_partial_answer_is_no_breach(caps, catalogue):
    assert rooms(caps, catalogue, q_critical_a="partly").rating == 4


def test_high_red_flags_and_other_areas_red_flags_do_not_cap(caps, catalogue):
    assert rooms(caps, catalogue, q_light="no").rating == 4  # high, not critical
    area = rooms(caps, catalogue, q_space="no")  # 'elsewhere' is critical but cites regime
    assert (area.rating, area.score) == (4, pytest.approx(0.9))


def test_a_cap_never_raises_a_rating_and_is_still_mentioned(caps, catalogue):
    area = rooms(caps, catalogue, q_light="no", q_space="no", q_ceiling="no", q_separation="no",
                 q_g8="no", q_extra="no", q_critical_b="no")
    assert area.rating == 1
    assert area.rating_rule == ("by score: 0.30 is below 0.40 ('poor'); red flag 'B is broken' "
                                "(q_critical_b)")


def test_half_assessed_is_rated_less_is_not(caps, catalogue):
    half = rooms(caps, catalogue, q_light=None, q_space=None, q_ceiling=None, q_separation=None)
    assert (half.standards_assessed, half.standards_asked) == (6, 10)
    assert half.rating == 4
    less = rooms(caps, catalogue, q_light=None, q_space=None, q_ceiling=None, q_separation=None,
                 q_g8=None, q_extra=None)
    assert (less.standards_assessed, less.assessed_share, less.rating) == (4, 0.4, None)
    assert less.rating_rule == ("not rated: 4 of 10 standards examined were assessed (40%); "
                                "at least 50% are needed")
    five = rooms(caps, catalogue, q_light=None, q_space=None, q_ceiling=None, q_separation=None,
                 q_g8=None)
    assert (five.assessed_share, five.rating) == (0.5, 4)


def test_not_rated_but_a_critical_breach_is_named(caps, catalogue):
    area = rooms(caps, catalogue, q_light=None, q_space=None, q_ceiling=None, q_separation=None,
                 q_g8=None, q_extra=None, q_critical_both=None, q_critical_a="no")
    assert area.rating is None
    assert area.rating_rule == (
        "not rated: 2 of 10 standards examined were assessed (20%); at least 50% are needed; "
        f"critical breach of {cited(catalogue, 'cpt-immigration-specific-centres')} "
        "(q_critical_a)")


# -- thematic visits ----------------------------------------------------------------------------


def test_a_thematic_visit_asks_its_sections_and_what_they_depend_on(mini, catalogue):
    result = evaluate(mini, visit(outdoor_hours=0.5), catalogue, sections=["outdoor"])
    assert result.relevant == {"visit_took_place", "outdoor_area", "outdoor_hours"}
    assert set(result.values) == {"visit_took_place", "outdoor_area", "outdoor_hours"}
    assert result.finding("mandela-r23").status is N
    assert result.finding("mandela-r13").status is NA
    assert result.area("regime.outdoor_exercise").rating == 1
    assert result.area("cond.accommodation").rating_rule == (
        "not rated: no question about this area was asked")
    assert result.standards_asked == 1
    # One section may be named on its own.
    assert evaluate(mini, visit(outdoor_hours=0.5), catalogue, sections="outdoor") == result


def test_a_thematic_section_pulls_in_the_inputs_of_its_calculations(mini, catalogue):
    result = prepare(mini, catalogue)
    assert result.scope(["living"]) >= {"floor_area", "occupants", "m2_per_person",
                                        "visit_took_place"}
    assert "outdoor_hours" not in result.scope(["living"])
    assert result.scope(None) is None


def test_an_unknown_section_is_refused_with_a_suggestion(mini, catalogue):
    with pytest.raises(InputError, match="no section 'outdoors'. Did you mean 'outdoor'?"):
        evaluate(mini, GOOD_VISIT, catalogue, sections=["outdoors"])


# -- prepare ------------------------------------------------------------------------------------


def test_prepare_is_cached_by_digest(mini, catalogue, tmp_path):
    assert prepare(mini, catalogue) is prepare(mini, catalogue)
    again = load_checklist(write_checklist(tmp_path, MINI))
    assert again is not mini and again.digest == mini.digest
    assert prepare(again, catalogue) is prepare(mini, catalogue)


def test_prepare_refuses_a_checklist_with_rule_problems(tmp_path, catalogue):
    checklist = load_checklist(write_checklist(tmp_path, """
        id: broken
        version: 1
        title: Broken
        sections:
          - id: rooms
            title: Rooms
            questions:
              - id: food
                type: integer
                label: Food score
                standards: [mandela-r22]
                rule: {kind: threshold, standard: mandela-r22}
        """))
    with pytest.raises(ChecklistError) as caught:
        evaluate(checklist, {"food": 3}, catalogue)
    (problem,) = caught.value.problems
    assert problem.line == 12 and problem.field == "food"


# -- the shipped core checklist -----------------------------------------------------------------


def compliant_answers(checklist: Checklist) -> dict[str, Any]:
    """Answer every rule-bearing choice question with its compliant code."""
    answers: dict[str, Any] = {}
    for question in checklist.questions():
        rule = question.rule
        if rule is not None and rule.kind == "map":
            answers[question.id] = next(code for code, status in rule.params["values"].items()
                                        if status == "compliant")
    return answers


#: A medium-sized centre: mostly fine, crowded, too little time outdoors, long isolation.
CORE_FACTS: dict[str, Any] = {
    "visit_took_place": "yes", "entry_delay_minutes": 20, "staff_within_hearing": "never",
    "management_cooperation": "adequate", "hours_to_judicial_review": 36,
    "legal_max_detention_exists": "yes", "national_max_detention_days": 180,
    "longest_detention_days": 150, "holding_hours_before_transfer": 12,
    "legal_access_interviewees": 12, "legal_access_denials": 0, "asylum_seekers_held": 40,
    "complaints_12m": 31, "deaths_in_custody_12m": 0, "isolation_used": "yes",
    "solitary_max_consecutive_days": 20, "health_visits_isolation_hours": 24,
    "prohibited_sanctions_seen": ["none"], "isolation_as_sanction": "no",
    "force_register_exists": "yes", "force_incidents_12m": 4,
    "population_total": 240, "capacity_official": 200, "dorm_floor_area_m2": 30,
    "dorm_occupants": 10, "ceiling_height_m": 2.7, "detainees_without_bed": 0,
    "meals_per_day": 3, "hours_between_evening_meal_and_breakfast": 12, "working_toilets": 16,
    "shower_access_per_week": 7, "outdoor_area_exists": "yes", "outdoor_hours_per_day": 0.5,
    "info_main_languages_count": 6, "info_languages_written_count": 4,
    "law_library_hours_per_week": 10, "working_phones_count": 8,
    "hours_to_initial_screening": 6, "days_to_medical_exam": 1,
    "screening_scope": ["physical_health", "mental_health", "suicide_self_harm",
                        "torture_signs", "communicable_disease"],
    "staff_training_topics": ["human_rights", "de_escalation", "mental_health_awareness",
                              "vulnerability_identification"],
    "day_to_day_operator": "state", "women_held": 30, "female_staff_on_duty_count": 3,
    "pregnant_or_nursing_held": 0, "children_held": 0, "torture_survivors_held": 0,
    "trafficking_victims_held": 0, "persons_with_disabilities_held": 2, "older_persons_held": 0,
    "stateless_persons_held": 0, "self_harm_incidents_12m": 3,
    "access_notes": "A note that names a detainee",
}


def test_core_checklist__a_realistic_visit(core, catalogue):
    answers = {**compliant_answers(core), **CORE_FACTS}
    result = evaluate(core, answers, catalogue)

    assert [flag.code for flag in result.red_flags] == [
        "solitary_beyond_limit", "occupancy_above_capacity", "living_space_below_minimum"]
    assert result.values["occupancy_rate"] == 120.0
    assert result.values["m2_per_person"] == 3.0
    assert result.values["access_obstructed"] == 0
    assert {key: result.indicators[key] for key in (
        "population", "capacity", "occupancy_rate", "children", "m2_per_person",
        "hours_outdoors", "solitary_max_days", "deaths", "legal_access_denials")} == {
        "population": 240, "capacity": 200, "occupancy_rate": 120.0, "children": 0,
        "m2_per_person": 3.0, "hours_outdoors": 0.5, "solitary_max_days": 20, "deaths": 0,
        "legal_access_denials": 0}
    statuses = {f.standard_id: f.status for f in result.findings}
    assert statuses["mandela-r13"] is N  # occupancy 120 %
    assert statuses["cpt-living-space-multi"] is P  # 3 m² per person
    assert statuses["mandela-r23"] is N  # half an hour outdoors
    assert statuses["mandela-r54"] is P  # information in 4 of 6 languages
    assert statuses["mandela-r44-prolonged"] is N
    assert statuses["cmw-crc-jgc-p12"] is C  # no children
    assert statuses["crc-a37c"] is NA  # no children: their questions were skipped
    assert result.finding("mandela-r23").text(catalogue).startswith(
        "Not met: Nelson Mandela Rules, Rule 23(1) — 0.5 hours/day (question "
        "outdoor_hours_per_day); the standard asks for at least 1 hour/day")

    solitary = result.area("treat.solitary")
    assert solitary.rating == 2
    assert solitary.rating_rule.startswith(
        "capped at 'not sufficiently good': red flag 'Solitary confinement beyond 15 "
        "consecutive days' (solitary_max_consecutive_days)")
    assert result.area("health").rating == 4
    assert result.area("cond.accommodation").rating in (2, 3)
    assert 0.85 < result.score_overall < 1
    assert result.share_assessed > 0.9
    assert "A note that names a detainee" not in repr(
        (result.findings, result.red_flags, result.areas, result.indicators))


def test_core_checklist__an_area_counts_what_its_own_sections_found(core, catalogue):
    answers = {**compliant_answers(core), **CORE_FACTS, "arrest_basic_needs_met": "no"}
    result = evaluate(core, answers, catalogue)
    # Food and water at arrest were not provided: Mandela Rule 22 is not met at this visit ...
    assert result.finding("mandela-r22").status is N
    assert result.finding("mandela-r22").area_id == "cond.food_water"
    # ... which counts against "arrest", where it was seen, not against "food and water".
    assert result.area("proc.arrest").standards_met == result.area("proc.arrest").standards_total - 2
    food = result.area("cond.food_water")
    assert (food.score, food.rating) == (1.0, 4)
    # Sub-areas judged only through standards whose primary area is elsewhere are still rated.
    conduct = result.area("staff.conduct_relations")
    assert (conduct.standards_total, conduct.rating) == (3, 4)


def test_core_checklist__declares_every_required_red_flag(core):
    assert set(REQUIRED_RED_FLAGS) <= {flag.id for flag in core.red_flags}


def test_core_checklist__every_required_red_flag_can_be_raised(core, catalogue):
    answers = {**compliant_answers(core), **CORE_FACTS}
    answers.update({
        "children_held": 3, "unaccompanied_children_held": 1, "lawyer_access_obstructed": "yes",
        "asylum_claim_possible": "no", "medical_exam_on_admission": "no",
        "solitary_max_consecutive_days": 30, "ill_treatment_allegations": "yes",
        "deaths_in_custody_12m": 1, "complaints_mechanism_exists": "no",
        "informed_reasons_detention": "no", "areas_withheld_any": "yes",
    })
    result = evaluate(core, answers, catalogue)
    assert {flag.code for flag in result.red_flags} == set(REQUIRED_RED_FLAGS)
    children = result.area("vuln.children")
    assert children.rating == 1
    assert children.rating_rule == (
        "capped at 'poor': 2 critical breaches: red flag 'Children detained' (children_held); "
        "red flag 'Unaccompanied or separated children detained' (unaccompanied_children_held)")
    assert result.area("treat").rating_rule.startswith("capped at 'poor': 3 critical breaches")
    # High red flags (crowding, living space, no complaints mechanism) cap nothing.
    assert result.area("cond").rating == 3


def test_core_checklist__a_visit_that_did_not_take_place(core, catalogue):
    result = evaluate(core, {"visit_took_place": "no",
                             "visit_not_held_reason": "entry_refused"}, catalogue)
    assert [flag.code for flag in result.red_flags] == ["access_obstructed"]
    assert result.finding("mandela-r83").status is N
    assert result.relevant == {"visit_took_place", "visit_not_held_reason", "access_notes",
                               "access_obstructed"}
    assert all(area.rating is None for area in result.areas if area.area_id != "treat.inspection"
               and area.area_id != "treat")


def test_core_checklist__no_answers_at_all(core, catalogue):
    result = evaluate(core, {}, catalogue)
    assert result.red_flags == ()
    assert result.score_overall is None and result.standards_assessed == 0
    assert all(finding.status is NA for finding in result.findings)
    assert all(area.rating is None for area in result.areas)



# -- suggested recommendations ------------------------------------------------------------------


def test_recommendations__one_per_breach_grouped_by_area_most_pressing_first(mini, catalogue):
    result = evaluate(mini, visit(outdoor_hours=0.5, separation="partly",
                                  dormitory_overcrowded="yes", abuse_reported="yes",
                                  floor_area=10, occupants=4, ceiling_height=2.4), catalogue)
    suggestions = suggest_recommendations(result, catalogue)
    assert [(s.standard_id, s.priority) for s in suggestions] == [
        ("mandela-r1", "urgent"),  # treat: critical breach
        ("mandela-r13", "urgent"),  # cond: critical breach
        ("cpt-living-space-multi", "high"),
        ("cpt-ceiling-height", "medium"),
        ("mandela-r11", "low"),  # partly met: one step below its medium severity
        ("mandela-r23", "high"),  # regime
    ]
    bad = {f.standard_id for f in result.findings if f.status in (N, P)}
    assert {s.standard_id for s in suggestions} == bad
    assert suggestions[1].area_id == "cond.accommodation"


def test_recommendations__text_from_the_paraphrase_and_the_evidence(mini, catalogue):
    result = evaluate(mini, visit(outdoor_hours=0.5), catalogue)
    (english,) = suggest_recommendations(result, catalogue)
    paraphrase = catalogue.standards["mandela-r23"].paraphrase
    assert english.text == (
        f"Bring practice into line with Nelson Mandela Rules, Rule 23(1): {paraphrase.get('en')} "
        "At this visit: 0.5 hours/day (question outdoor_hours); the standard asks for at least "
        "1 hour/day.")
    assert english.addressee_hint == "the facility's management"
    (spanish,) = suggest_recommendations(result, catalogue, "es")
    assert spanish.text.startswith("Ajustar la práctica a Reglas Nelson Mandela, regla 23.1: "
                                   f"{paraphrase.get('es')} En esta visita: 0.5 hours/day")
    assert spanish.addressee_hint == "la dirección del centro"


def test_recommendations__partly_met_and_sensitive_evidence(mini, catalogue):
    result = evaluate(mini, visit(separation="partly", abuse_reported="yes"), catalogue)
    by_standard = {s.standard_id: s for s in suggest_recommendations(result, catalogue)}
    assert by_standard["mandela-r11"].text.startswith(
        "Complete the measures needed to meet Nelson Mandela Rules, Rule 11")
    assert "At this visit it was only partly met: 'partly' (question separation)." in (
        by_standard["mandela-r11"].text)
    abuse = by_standard["mandela-r1"]
    assert "confidential answer (question abuse_reported)" in abuse.text
    assert "'yes'" not in abuse.text
    assert abuse.addressee_hint == ("the facility's management and the authority responsible "
                                    "for oversight")


def test_recommendations__a_red_flag_makes_its_standards_more_pressing(caps, catalogue):
    # q_light is medium, but the high red flag 'light_flag' cites mandela-r13.
    result = evaluate(caps, {"q_light": "no"}, catalogue)
    (suggestion,) = suggest_recommendations(result, catalogue)
    assert (suggestion.standard_id, suggestion.priority) == ("mandela-r13", "high")
    quiet = evaluate(caps, {"q_light": "partly"}, catalogue)
    assert [s.priority for s in suggest_recommendations(quiet, catalogue)] == ["low"]


def test_recommendations__none_for_a_visit_without_breaches(mini, catalogue):
    assert suggest_recommendations(evaluate(mini, GOOD_VISIT, catalogue), catalogue) == []
