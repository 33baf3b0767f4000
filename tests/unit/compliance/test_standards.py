"""The standards catalogue: the shipped data files, the loader's checks and the model's helpers."""

from __future__ import annotations

import difflib
import math
import textwrap
from pathlib import Path

import pytest
import yaml

from monitor.compliance.standards import (
    BINDINGS,
    JURISDICTIONS,
    LANGUAGES,
    Catalogue,
    Threshold,
    load_catalogue,
)
from monitor.core.errors import ChecklistError, Problem

ROOT = Path(__file__).parents[3]
SHIPPED_STANDARDS = ROOT / "checklists" / "standards.yaml"
SHIPPED_AREAS = ROOT / "checklists" / "areas.yaml"
# CI keeps the read-only research reference beside the repository, as ../shared.
REFERENCE = ROOT.parent / "shared" / "reference" / "standards.yaml"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(SHIPPED_STANDARDS, SHIPPED_AREAS)


@pytest.fixture(scope="module")
def reference() -> dict:
    if not REFERENCE.exists():
        pytest.skip(f"the research reference is not beside the repository ({REFERENCE.name} "
                    "expected in ../shared/reference/); the shipped-data tests still run")
    return yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))


# --- the shipped catalogue -----------------------------------------------------------------


def test_shipped_catalogue_has_every_standard_area_and_source(catalogue: Catalogue) -> None:
    assert len(catalogue.standards) == 120
    assert len(catalogue.top_areas()) == 7
    assert len(catalogue.subareas()) == 41
    assert len(catalogue.areas) == 48
    assert {s.source.id for s in catalogue.standards.values()} <= set(catalogue.sources)


def test_every_standard_has_a_paraphrase_in_english_and_spanish(catalogue: Catalogue) -> None:
    for standard in catalogue.standards.values():
        assert set(LANGUAGES) <= standard.paraphrase.languages, standard.id
        english, spanish = standard.paraphrase.get("en"), standard.paraphrase.get("es")
        assert english.strip() and spanish.strip(), standard.id
        assert english != spanish, f"{standard.id}: the Spanish text is the English one"


def test_every_text_of_sources_areas_and_citations_is_bilingual(catalogue: Catalogue) -> None:
    for source in catalogue.sources.values():
        assert set(LANGUAGES) <= source.title.languages, source.id
        assert set(LANGUAGES) <= source.short.languages, source.id
    for area in catalogue.areas.values():
        assert set(LANGUAGES) <= area.name.languages, area.id
    for standard in catalogue.standards.values():
        if standard.cite_text is not None:
            assert set(LANGUAGES) <= standard.cite_text.languages, standard.id
        if standard.notes is not None:
            assert set(LANGUAGES) <= standard.notes.languages, standard.id


def test_jurisdiction_and_binding_come_from_the_fixed_lists(catalogue: Catalogue) -> None:
    for standard in catalogue.standards.values():
        assert standard.jurisdiction in JURISDICTIONS, standard.id
        assert standard.binding in BINDINGS, standard.id
        assert standard.jurisdiction == standard.source.jurisdiction, standard.id
    assert catalogue.standard("ecthr-mursic-3m2").binding == "case_law"
    assert catalogue.standard("eu-return-a15-max").jurisdiction == "european-union"
    assert catalogue.standard("uk-dcr-r34").jurisdiction == "united-kingdom"
    assert catalogue.standard("sphere-water-2.1").binding == "humanitarian_standard"
    assert catalogue.standard("iccpr-a9-4").binding == "treaty"


def test_uncertain_standards_say_what_to_verify(catalogue: Catalogue) -> None:
    uncertain = [s for s in catalogue.standards.values() if s.uncertain]
    assert uncertain
    for standard in catalogue.standards.values():
        if standard.uncertain:
            assert standard.uncertain_note and standard.uncertain_note.strip(), standard.id
        else:
            assert standard.uncertain_note is None, standard.id


def test_areas_and_standards_name_each_other(catalogue: Catalogue) -> None:
    for standard in catalogue.standards.values():
        for area_id in standard.areas:
            assert standard.id in catalogue.area(area_id).standards, (standard.id, area_id)
    for top in catalogue.top_areas():
        from_children = {sid for sub in catalogue.subareas(top.id) for sid in sub.standards}
        assert set(top.standards) == from_children, top.id


# --- agreement with the research reference -------------------------------------------------


def test_every_reference_standard_is_in_the_catalogue(catalogue: Catalogue,
                                                      reference: dict) -> None:
    assert [s["id"] for s in reference["standards"]] == list(catalogue.standards)


def test_thresholds_equal_the_reference(catalogue: Catalogue, reference: dict) -> None:
    for entry in reference["standards"]:
        ours = catalogue.standard(entry["id"]).threshold
        theirs = entry.get("threshold")
        if theirs is None:
            assert ours is None, entry["id"]
        else:
            assert ours is not None, entry["id"]
            assert (ours.measure, ours.operator, ours.value, ours.unit) == (
                theirs["measure"], theirs["operator"], theirs["value"], theirs["unit"]
            ), entry["id"]


def test_uncertain_flags_are_carried_from_the_reference(catalogue: Catalogue,
                                                        reference: dict) -> None:
    theirs = {s["id"] for s in reference["standards"] if s.get("uncertain")}
    ours = {s.id for s in catalogue.standards.values() if s.uncertain}
    assert ours == theirs


def test_sources_and_areas_of_each_standard_match_the_reference(
    catalogue: Catalogue, reference: dict
) -> None:
    assert set(catalogue.sources) == {s["id"] for s in reference["sources"]}
    for entry in reference["standards"]:
        standard = catalogue.standard(entry["id"])
        assert standard.source.id == entry["source"], entry["id"]
        assert list(standard.areas) == entry["areas"], entry["id"]


def test_area_tree_matches_the_reference(catalogue: Catalogue, reference: dict) -> None:
    theirs = reference["monitoring_areas"]
    assert [a["id"] for a in theirs] == list(catalogue.areas)
    for entry in theirs:
        area = catalogue.area(entry["id"])
        assert area.parent == entry["parent"], entry["id"]
        assert list(area.standards) == entry["standards"], entry["id"]
        if entry.get("children"):
            assert [a.id for a in catalogue.subareas(entry["id"])] == entry["children"]


def test_paraphrases_are_our_own_words_not_the_references(
    catalogue: Catalogue, reference: dict
) -> None:
    for entry in reference["standards"]:
        ours = catalogue.standard(entry["id"]).paraphrase.get("en").lower()
        ratio = difflib.SequenceMatcher(None, entry["paraphrase"].lower(), ours).ratio()
        assert ratio < 0.8, f"{entry['id']} reads almost like the reference ({ratio:.2f})"


# --- thresholds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "meets", "fails"),
    [
        (">=", 4, [4, 4.0001, 12 / 3], [3.9999, 0]),
        (">", 4, [4.0001, 5], [4, 3]),
        ("<=", 15, [15, 14.999, 0], [15.001, 16]),
        ("<", 22, [21.999, 0], [22, 22.5]),
        ("==", 0, [0, 0.0], [1, 0.5]),
    ],
)
def test_threshold_holds_exactly_at_its_boundary(operator: str, value: float, meets: list[float],
                                                 fails: list[float]) -> None:
    threshold = Threshold("m", operator, value, "units")
    for observed in meets:
        assert threshold.holds(observed), (operator, value, observed)
    for observed in fails:
        assert not threshold.holds(observed), (operator, value, observed)


def test_threshold_tolerates_floating_point_noise_at_the_boundary() -> None:
    observed = 0.1 * 3 / 0.3 * 4  # 3.9999999999999996, "4 m² per person" computed
    assert observed != 4
    assert Threshold("m2", ">=", 4, "m2/person").holds(observed)
    assert not Threshold("m2", "<", 4, "m2/person").holds(observed)


def test_threshold_refuses_a_missing_measurement_and_an_unknown_operator() -> None:
    with pytest.raises(ValueError, match="not a number"):
        Threshold("m2", ">=", 4, "m2").holds(math.nan)
    with pytest.raises(ValueError, match="=>"):
        Threshold("m2", "=>", 4, "m2")


def test_shipped_thresholds_judge_their_boundaries(catalogue: Catalogue) -> None:
    solitary = catalogue.standard("mandela-r44-prolonged").threshold
    assert solitary.holds(15) and not solitary.holds(16)
    space = catalogue.standard("cpt-living-space-multi").threshold
    assert space.holds(4) and not space.holds(3.9)
    definition = catalogue.standard("mandela-r44-def").threshold
    assert definition.holds(21.5) and not definition.holds(22)


@pytest.mark.parametrize(
    ("standard_id", "english", "spanish"),
    [
        ("cpt-living-space-multi", "at least 4 m2/person", "al menos 4 m2/persona"),
        ("mandela-r44-def", "less than 22 hours/day", "menos de 22 horas/día"),
        ("mandela-r23", "at least 1 hour/day", "al menos 1 hora/día"),
        ("cpt-ceiling-height", "at least 2.5 m", "al menos 2.5 m"),
        ("eu-return-a15-max", "at most 18 months", "como máximo 18 meses"),
        ("cmw-crc-jgc-p12", "exactly 0 persons", "exactamente 0 personas"),
    ],
)
def test_threshold_describes_itself_in_both_languages(
    catalogue: Catalogue, standard_id: str, english: str, spanish: str
) -> None:
    threshold = catalogue.standard(standard_id).threshold
    assert threshold.describe() == english
    assert threshold.describe("es") == spanish
    assert threshold.describe("fr") == english  # unknown language: English


# --- citations and navigation ---------------------------------------------------------------


def test_citation_joins_the_short_title_and_the_article(catalogue: Catalogue) -> None:
    rule = catalogue.standard("mandela-r23")
    assert rule.citation() == "Nelson Mandela Rules, Rule 23(1)"
    assert rule.citation("es") == "Reglas Nelson Mandela, regla 23.1"
    article = catalogue.standard("iccpr-a9-4")
    assert article.citation() == "ICCPR, Art. 9(4)"
    assert article.citation("es") == "PIDCP, art. 9.4"


def test_citation_can_flag_an_uncertain_standard(catalogue: Catalogue) -> None:
    uncertain = catalogue.standard("cbp-teds-4.1")
    assert uncertain.citation(flag_uncertain=True).endswith("(to be verified)")
    assert uncertain.citation("es", flag_uncertain=True).endswith("(por verificar)")
    settled = catalogue.standard("mandela-r23")
    assert settled.citation(flag_uncertain=True) == settled.citation()


def test_areas_come_in_their_order_with_their_sub_areas(catalogue: Catalogue) -> None:
    assert [a.id for a in catalogue.top_areas()] == [
        "proc", "treat", "cond", "regime", "health", "staff", "vuln"]
    procedures = catalogue.subareas("proc")
    assert procedures[0].id == "proc.legal_basis"
    assert all(a.parent == "proc" for a in procedures)
    assert catalogue.area_of_subarea("vuln.lgbti").id == "vuln"
    assert catalogue.area("proc.legal_basis").manual_section == "4.1.1"
    assert catalogue.area("proc.arrest").manual_section_uncertain
    assert [s.id for s in catalogue.standards_for("vuln.elderly")] == ["unhcr-dg-2012-g9.6"]


def test_unknown_ids_raise_with_a_suggestion(catalogue: Catalogue) -> None:
    with pytest.raises(KeyError, match="Did you mean 'mandela-r23'"):
        catalogue.standard("mandela-23")
    with pytest.raises(KeyError, match="proc.arrest"):
        catalogue.area("proc.arest")
    with pytest.raises(ValueError, match="top-level"):
        catalogue.area_of_subarea("proc")


def test_catalogue_cannot_be_changed(catalogue: Catalogue) -> None:
    with pytest.raises(TypeError):
        catalogue.standards["new"] = catalogue.standard("mandela-r23")  # type: ignore[index]


# --- malformed catalogues -------------------------------------------------------------------

VALID_STANDARDS = """
sources:
  - id: mandela-2015
    title: {en: Standard Minimum Rules, es: Reglas Mínimas}
    short: {en: Nelson Mandela Rules, es: Reglas Nelson Mandela}
    publisher: UN General Assembly
    year: 2015
    ref: A/RES/70/175
    kind: soft_law
    jurisdiction: international
standards:
  - id: mandela-r23
    source: mandela-2015
    cite: {en: "Rule 23(1)", es: "regla 23.1"}
    jurisdiction: international
    binding: soft_law
    areas: [regime.outdoor_exercise]
    threshold:
      measure: outdoor_exercise_hours_per_day
      operator: ">="
      value: 1
      unit: hours/day
    uncertain: false
    paraphrase:
      en: An hour outdoors a day.
      es: Una hora diaria al aire libre.
  - id: mandela-r58
    source: mandela-2015
    cite: "Rule 58"
    jurisdiction: international
    binding: soft_law
    areas: [regime.contact_outside]
    paraphrase:
      en: Contact with family.
      es: Contacto con la familia.
"""

VALID_AREAS = """
areas:
  - id: regime
    name: {en: Regime, es: Régimen}
    parent: null
    order: 1
    manual_section: "4.4"
    standards: [mandela-r23, mandela-r58]
  - id: regime.outdoor_exercise
    name: {en: Outdoor exercise, es: Ejercicio al aire libre}
    parent: regime
    standards: [mandela-r23]
  - id: regime.contact_outside
    name: {en: Contact with the outside world, es: Contacto con el exterior}
    parent: regime
    standards: [mandela-r58]
"""


def _write(tmp_path: Path, standards: str = VALID_STANDARDS, areas: str = VALID_AREAS
           ) -> tuple[Path, Path]:
    # Drop the leading newline so that line 1 of the file is the first line of the text.
    standards_path = tmp_path / "standards.yaml"
    areas_path = tmp_path / "areas.yaml"
    standards_path.write_text(textwrap.dedent(standards).lstrip("\n"), encoding="utf-8")
    areas_path.write_text(textwrap.dedent(areas).lstrip("\n"), encoding="utf-8")
    return standards_path, areas_path


def _problems(tmp_path: Path, standards: str = VALID_STANDARDS, areas: str = VALID_AREAS
              ) -> list[Problem]:
    with pytest.raises(ChecklistError) as caught:
        load_catalogue(*_write(tmp_path, standards, areas))
    return list(caught.value.problems)


def _line(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the *occurrence*-th line containing *needle* in the written file."""
    lines = [n for n, line in enumerate(text.lstrip("\n").splitlines(), 1) if needle in line]
    return lines[occurrence - 1]


def _only(problems: list[Problem], field: str) -> Problem:
    found = [p for p in problems if p.field == field]
    assert len(found) == 1, f"expected one problem at {field}, got {[str(p) for p in problems]}"
    return found[0]


def test_the_valid_fixture_loads(tmp_path: Path) -> None:
    loaded = load_catalogue(*_write(tmp_path))
    assert list(loaded.standards) == ["mandela-r23", "mandela-r58"]
    assert loaded.standard("mandela-r58").citation("es") == "Reglas Nelson Mandela, Rule 58"
    assert [a.order for a in loaded.subareas("regime")] == [1, 2]


def test_duplicate_standard_id_is_reported_at_its_second_line(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace("- id: mandela-r58", "- id: mandela-r23")
    problem = _only(_problems(tmp_path, text), "standards[mandela-r23].id")
    assert problem.line == _line(text, "- id: mandela-r23", occurrence=2)
    assert f"line {_line(text, '- id: mandela-r23')}" in problem.message
    assert problem.path == tmp_path / "standards.yaml"


def test_unknown_source_is_reported_with_a_suggestion(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace("source: mandela-2015\n    cite: {",
                                   "source: mandela-2051\n    cite: {")
    problem = _only(_problems(tmp_path, text), "standards[mandela-r23].source")
    assert problem.line == _line(text, "source: mandela-2051")
    assert "mandela-2051" in problem.message
    assert "mandela-2015" in (problem.hint or "")


def test_unknown_area_is_reported(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace("areas: [regime.contact_outside]", "areas: [regime.contacts]")
    problems = _problems(tmp_path, text)
    problem = _only(problems, "standards[mandela-r58].areas")
    assert problem.line == _line(text, "areas: [regime.contacts]")
    assert "regime.contacts" in problem.message
    assert "regime.contact_outside" in (problem.hint or "")


def test_bad_operator_is_reported_with_the_likely_one(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace('operator: ">="', 'operator: "=>"')
    problem = _only(_problems(tmp_path, text), "standards[mandela-r23].threshold.operator")
    assert problem.line == _line(text, 'operator: "=>"')
    assert "'>='" in (problem.hint or "")


def test_threshold_value_must_be_a_number(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace("value: 1", "value: one hour")
    problem = _only(_problems(tmp_path, text), "standards[mandela-r23].threshold.value")
    assert problem.line == _line(text, "value: one hour")


def test_missing_spanish_paraphrase_is_reported(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace("      es: Contacto con la familia.\n", "")
    problem = _only(_problems(tmp_path, text), "standards[mandela-r58].paraphrase")
    assert "'es'" in problem.message
    assert problem.line == _line(text, "en: Contact with family.")


def test_plain_string_paraphrase_counts_as_english_only(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace(
        "    paraphrase:\n      en: Contact with family.\n      es: Contacto con la familia.\n",
        "    paraphrase: Contact with family.\n")
    problem = _only(_problems(tmp_path, text), "standards[mandela-r58].paraphrase")
    assert "Spanish" in problem.message
    assert problem.line == _line(text, "paraphrase: Contact with family.")


def test_area_name_missing_a_language_is_reported(tmp_path: Path) -> None:
    text = VALID_AREAS.replace("{en: Outdoor exercise, es: Ejercicio al aire libre}",
                               "{en: Outdoor exercise}")
    problem = _only(_problems(tmp_path, areas=text), "areas[regime.outdoor_exercise].name")
    assert problem.path == tmp_path / "areas.yaml"
    assert problem.line == _line(text, "{en: Outdoor exercise}")


def test_unquoted_manual_section_is_caught_before_it_becomes_a_number(tmp_path: Path) -> None:
    text = VALID_AREAS.replace('manual_section: "4.4"', "manual_section: 4.4")
    problem = _only(_problems(tmp_path, areas=text), "areas[regime].manual_section")
    assert problem.line == _line(text, "manual_section: 4.4")
    assert "'4.4'" in (problem.hint or "")


def test_uncertain_standard_without_a_note_is_reported(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace("uncertain: false", "uncertain: true")
    problem = _only(_problems(tmp_path, text), "standards[mandela-r23].uncertain_note")
    assert problem.line == _line(text, "uncertain: true")


def test_area_and_standard_that_disagree_are_reported_in_both_directions(tmp_path: Path) -> None:
    areas = VALID_AREAS.replace("    standards: [mandela-r58]\n",
                                "    standards: [mandela-r58, mandela-r23]\n")
    problem = _only(_problems(tmp_path, areas=areas), "areas[regime.contact_outside].standards")
    assert "mandela-r23" in problem.message
    assert problem.line == _line(areas, "standards: [mandela-r58, mandela-r23]")

    standards = VALID_STANDARDS.replace("areas: [regime.contact_outside]",
                                        "areas: [regime.contact_outside, regime.outdoor_exercise]")
    problem = _only(_problems(tmp_path, standards), "standards[mandela-r58].areas")
    assert "regime.outdoor_exercise" in problem.message


def test_top_level_area_missing_a_standard_of_its_sub_areas_is_reported(tmp_path: Path) -> None:
    areas = VALID_AREAS.replace("standards: [mandela-r23, mandela-r58]", "standards: [mandela-r23]")
    problem = _only(_problems(tmp_path, areas=areas), "areas[regime].standards")
    assert "mandela-r58" in problem.message


def test_sub_area_id_must_start_with_its_parent(tmp_path: Path) -> None:
    areas = VALID_AREAS.replace("- id: regime.contact_outside", "- id: regime_contact")
    problems = _problems(tmp_path, areas=areas)
    problem = _only(problems, "areas[regime_contact].id")
    assert problem.line == _line(areas, "- id: regime_contact")


def test_unknown_key_is_reported_with_the_intended_spelling(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace("    binding: soft_law\n    areas: [regime.contact_outside]",
                                   "    bindng: soft_law\n    areas: [regime.contact_outside]")
    problems = _problems(tmp_path, text)
    unknown = _only(problems, "standards[mandela-r58].bindng")
    assert unknown.line == _line(text, "bindng: soft_law")
    assert "'binding'" in (unknown.hint or "")
    missing = _only(problems, "standards[mandela-r58].binding")
    assert missing.line == _line(text, "- id: mandela-r58")


def test_repeated_yaml_key_is_reported_with_both_lines(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace("    cite: \"Rule 58\"\n",
                                   "    cite: \"Rule 58\"\n    cite: \"Rule 59\"\n")
    problems = _problems(tmp_path, text)
    problem = next(p for p in problems if "twice" in p.message)
    assert problem.line == _line(text, 'cite: "Rule 59"')
    assert str(_line(text, 'cite: "Rule 58"')) in problem.message


def test_yaml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    text = VALID_STANDARDS.replace('operator: ">="', "operator: >=")
    problems = _problems(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].path == tmp_path / "standards.yaml"
    assert problems[0].line == _line(text, "operator: >=")


def test_missing_file_is_reported_by_name(tmp_path: Path) -> None:
    standards, _areas = _write(tmp_path)
    with pytest.raises(ChecklistError) as caught:
        load_catalogue(standards, tmp_path / "no-areas.yaml")
    (problem,) = caught.value.problems
    assert problem.path == tmp_path / "no-areas.yaml"
    assert "cannot be read" in problem.message


def test_every_problem_is_listed_at_once_in_file_order(tmp_path: Path) -> None:
    standards = (VALID_STANDARDS
                 .replace('operator: ">="', 'operator: "=>"')
                 .replace("binding: soft_law\n    areas: [regime.contact_outside]",
                          "binding: binding\n    areas: [regime.contact_outside]")
                 .replace("international\n    binding: soft_law\n    areas: [regime.o",
                          "mexico\n    binding: soft_law\n    areas: [regime.o"))
    areas = VALID_AREAS.replace("{en: Regime, es: Régimen}", "{es: Régimen}")
    problems = _problems(tmp_path, standards, areas)
    fields = [p.field for p in problems]
    assert fields == [
        "standards[mandela-r23].jurisdiction",
        "standards[mandela-r23].threshold.operator",
        "standards[mandela-r58].binding",
        "areas[regime].name",
    ]
    assert "soft_law" in (problems[2].hint or "")  # the list of accepted values
    message = str(ChecklistError(problems))
    assert message.startswith("4 problems")
    assert "standards.yaml:" in message and "areas.yaml:" in message
