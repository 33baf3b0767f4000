"""A finding read back from storage says what the live evaluation said, in every language.

Sentences and suggested recommendations are not stored (``monitor.compliance.stored``): they
are said again from the stored evidence. These tests store evaluations of many synthetic visits
exactly as a submit does — evidence records through JSON — and compare what is said from the
records with what the engine said at the time.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from monitor.checklists.loader import load_checklist
from monitor.compliance.engine import evaluate
from monitor.compliance.recommend import suggest, suggest_recommendations
from monitor.compliance.standards import load_catalogue
from monitor.compliance.stored import evidence_record, finding_from_record, finding_sentence
from monitor.compliance.types import Evidence, Status
from monitor.services.synthetic import AnswerGenerator, FacilityProfile

CHECKLISTS = Path(__file__).resolve().parents[3] / "checklists"
CATALOGUE = load_catalogue(CHECKLISTS / "standards.yaml", CHECKLISTS / "areas.yaml")
CORE = load_checklist(CHECKLISTS / "core", standards=set(CATALOGUE.standards),
                      areas=set(CATALOGUE.areas))
SENSITIVE = CORE.sensitive_ids()


class Stored:
    """A finding row as the database returns it (JSON columns come back as plain values)."""

    def __init__(self, finding) -> None:
        self.standard_id, self.area_id = finding.standard_id, finding.area_id
        self.status, self.severity = finding.status.value, finding.severity.value
        records = [evidence_record(e, SENSITIVE) for e in finding.evidence]
        self.evidence = json.loads(json.dumps(records))


def _evaluations(count: int):
    generator = AnswerGenerator(CORE, CATALOGUE)
    rng = random.Random(2024)
    for _ in range(count):
        profile = FacilityProfile(capacity=rng.choice((40, 300)), quality=rng.random(),
                                  facility_type=rng.choice(("prison", "immigration_detention_centre")),
                                  holds_children=rng.random() < 0.3)
        yield evaluate(CORE, generator.answers(rng, profile), CATALOGUE)


EVALUATIONS = list(_evaluations(12))


@pytest.mark.parametrize("language", CATALOGUE.languages)
def test_every_sentence_said_from_storage_is_the_one_the_engine_said(language):
    compared = thresholds = 0
    for evaluation in EVALUATIONS:
        for finding in evaluation.findings:
            assert finding_sentence(Stored(finding), CATALOGUE, language) == finding.text(
                CATALOGUE, language), finding.standard_id
            compared += 1
            thresholds += any(e.threshold is not None for e in finding.decisive())
    assert compared > 1000 and thresholds > 50  # breaches of numeric thresholds were covered


def test_suggestions_drafted_from_storage_are_the_ones_drafted_at_submit():
    for evaluation in EVALUATIONS:
        rebuilt = [finding_from_record(s.standard_id, s.area_id, s.status, s.severity, s.evidence,
                                       CATALOGUE)
                   for s in map(Stored, evaluation.findings)]
        flags = [(flag.severity.value, flag.standards) for flag in evaluation.red_flags]
        for language in CATALOGUE.languages:
            assert suggest(rebuilt, flags, CATALOGUE, language) == suggest_recommendations(
                evaluation, CATALOGUE, language)


def test_a_sensitive_answer_is_neither_stored_nor_said():
    for evaluation in EVALUATIONS:  # the core checklist's rules read no sensitive question
        for item in [e for f in evaluation.findings for e in f.evidence] + [
                e for flag in evaluation.red_flags for e in flag.evidence]:
            assert item.question_id not in SENSITIVE or item.answer is None
    # The checklist's marking is enough, even when the engine's evidence did not say so.
    question = sorted(SENSITIVE)[0]
    item = Evidence(question, 7, Status.NON_COMPLIANT, "map", None, False, unit="days")
    record = evidence_record(item, SENSITIVE)
    assert record["answer"] is None and record["sensitive"] is True
    said = finding_from_record("x", None, "non_compliant", "high", [record], CATALOGUE)
    assert "confidential answer" in said.text(CATALOGUE) and "7" not in said.text(CATALOGUE)


def test_a_partial_threshold_keeps_both_conditions():
    finding = next(f for ev in EVALUATIONS for f in ev.findings
                   if f.status is Status.PARTIALLY_COMPLIANT
                   and any(e.partial is not None and e.status is f.status for e in f.evidence))
    record = next(r for r in Stored(finding).evidence if "partial" in r)
    assert set(record["condition"]) == {"measure", "operator", "value", "unit"}
    spanish = finding_sentence(Stored(finding), CATALOGUE, "es")
    assert "cumplimiento parcial desde" in spanish


def test_a_record_from_an_older_version_still_reads():
    """Before thresholds were kept as numbers a record held the English condition only."""
    finding = next(f for ev in EVALUATIONS for f in ev.findings
                   if f.status is Status.NON_COMPLIANT
                   and any(e.threshold is not None for e in f.decisive()))
    stored = Stored(finding)
    for record in stored.evidence:
        for key in ("condition", "partial", "from_standard", "unit"):
            record.pop(key, None)
    sentence = finding_sentence(stored, CATALOGUE, "en")
    assert sentence.startswith("Not met: ") and "asks for" not in sentence
    assert finding_sentence(stored, CATALOGUE, "en") != finding.text(CATALOGUE, "en")


def test_unknown_values_in_a_record_do_not_break_reading():
    class Odd:
        standard_id, area_id, status, severity = "no-such-standard", None, "weird", "odd"
        evidence = [{"question": "q", "status": "bogus", "condition": {"operator": "~~"}}, "x"]

    sentence = finding_sentence(Odd(), CATALOGUE, "es")
    assert sentence.startswith("No evaluado: no-such-standard") or "no-such-standard" in sentence
