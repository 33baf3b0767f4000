"""Properties of the engine on the shipped core checklist, with answers drawn by hypothesis.

Answers are drawn the way the visit form would accept them: every value fits its question's
type, and an answer its question's ``constraint`` refuses is left out. What is checked, and why
it must hold:

1. **Determinism.** The same answers give the same evaluation, whatever order the answers come
   in and whether the compiled checklist is cached or fresh.
2. **Silence never helps.** Removing an answer that its rule judged *compliant* never raises a
   score (of the visit or of any area), provided no other question's skip logic, calculation or
   rule reads that answer. Why: compliant is the best status, so each standard it judged either
   keeps its worst status or becomes not assessed, and taking a met standard out of
   ``(met + ½ partly) / assessed`` cannot raise the fraction, because the fraction is at most 1.
   (Removing a *non-compliant* answer can raise a score, by design: a standard is judged by the
   answers there are, and silence is not counted against it either — it lowers the share
   assessed instead, as test_engine.py shows.)
3. **"Not applicable" is silence.** Answering ``na`` gives the same findings and area results
   as leaving the question empty, for questions no expression reads.
4. **A worse answer never helps.** Making one answer worse by its own rule's order — a code the
   ``map`` rates lower, a number further on the failing side of a ``threshold`` — never improves
   any standard that rule judges (the finding is the worst status of its rules, and the rule's
   own status got worse or stayed). When the change leaves the set of questions asked the same,
   it also never raises a score (a sub-area's, an area's or the visit's) and never clears a red
   flag: the red flags raised before are all raised after.

The two core-checklist calculations that divide by a count a worse answer can bring to zero
(people per toilet, per phone) once broke property 4: a ratio with nothing to divide by was
"not assessed". The checklist now treats a count of zero as the worst ratio;
:func:`test_zero_toilets_or_phones_is_the_worst_ratio_not_a_gap` keeps it that way.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from monitor.checklists.expr import parse
from monitor.checklists.loader import load_checklist
from monitor.checklists.schema import Checklist, Question, QuestionType
from monitor.compliance.engine import CompiledChecklist, evaluate
from monitor.compliance.standards import Catalogue, load_catalogue
from monitor.compliance.types import Status, VisitEvaluation

CHECKLISTS = Path(__file__).resolve().parents[3] / "checklists"
CATALOGUE: Catalogue = load_catalogue(CHECKLISTS / "standards.yaml", CHECKLISTS / "areas.yaml")
CORE: Checklist = load_checklist(CHECKLISTS / "core", standards=set(CATALOGUE.standards),
                                 areas=set(CATALOGUE.areas))
QUESTIONS = [q for q in CORE.questions() if not q.is_computed]
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])



def _read_by_expressions() -> frozenset[str]:
    """Question ids that some relevant, calculation, section relevant or rule expression reads."""
    texts = [s.relevant for s in CORE.all_sections()]
    for question in CORE.questions():
        texts += [question.relevant, question.calculation]
        if question.rule is not None and question.rule.kind == "expression":
            texts += [question.rule.params.get("compliant"), question.rule.params.get("partial")]
    read: set[str] = set()
    for text in filter(None, texts):
        read |= parse(text).references
    return frozenset(read)


READ = _read_by_expressions()


# -- drawing answers ----------------------------------------------------------------------------

# Boundaries of the core checklist's thresholds and bands, and ordinary counts around them.
NOTABLE = [0, 1, 2, 3, 4, 12, 14, 15, 16, 18, 20, 24, 25, 30, 48, 60, 61, 72, 100, 200]


def random_answer(question: Question, rnd: random.Random) -> Any:
    """An answer the visit form could hold for *question* (its constraint is checked later)."""
    codes = question.choice_codes()
    if question.type in (QuestionType.YES_NO, QuestionType.YES_NO_PARTLY_NA,
                         QuestionType.SELECT_ONE):
        return rnd.choice(codes)
    if question.type is QuestionType.SELECT_MANY:
        return rnd.sample(codes, rnd.randint(1, min(3, len(codes))))
    number = rnd.choice(NOTABLE) if rnd.random() < 0.5 else rnd.randint(0, 40)
    if question.type is QuestionType.INTEGER:
        return number
    if question.type is QuestionType.DECIMAL:
        return float(number) if rnd.random() < 0.6 else round(rnd.uniform(0, 100), 2)
    if question.type is QuestionType.DATE:
        return rnd.choice(["2024-01-15", "2024-06-30"])
    return rnd.choice(["", "seen in the yard"])


def accepted(answers: dict[str, Any]) -> dict[str, Any]:
    """Drop answers their constraint refuses, as the form would, until all that remain pass."""
    kept = dict(answers)
    while True:
        refused = [qid for qid, value in kept.items()
                   if CORE.by_id[qid].constraint
                   and not parse(CORE.by_id[qid].constraint).test(kept, value)]
        if not refused:
            return kept
        for qid in refused:
            del kept[qid]


def visit_from(seed: int) -> dict[str, Any]:
    """A whole visit's answers drawn from *seed* (one question in ten left unanswered).

    Hypothesis draws the seed, not 300 separate values: examples stay small to show and quick
    to make, and a failing seed reproduces the visit exactly.
    """
    rnd = random.Random(seed)
    answers: dict[str, Any] = {"visit_took_place": "yes" if rnd.random() < 0.85 else "no"}
    for question in QUESTIONS:
        if question.id != "visit_took_place" and rnd.random() >= 0.1:
            answers[question.id] = random_answer(question, rnd)
    return accepted(answers)


SEEDS = st.integers(0, 2**32 - 1)


def rank(status: Status) -> int:
    return status.rank


def scores(result: VisitEvaluation) -> dict[str, float | None]:
    found = {area.area_id: area.score for area in result.areas}
    found["overall"] = result.score_overall
    return found


def never_higher(before: VisitEvaluation, after: VisitEvaluation) -> list[str]:
    """The scores that went up from *before* to *after* (both present)."""
    old, new = scores(before), scores(after)
    return [key for key in old if old[key] is not None and new[key] is not None
            and new[key] > old[key] + 1e-12]


# -- 1. determinism -----------------------------------------------------------------------------


@PROPERTY
@given(SEEDS)
def test_the_engine_is_deterministic(seed):
    answers = visit_from(seed)
    first = evaluate(CORE, answers, CATALOGUE)
    reversed_order = dict(reversed(list(answers.items())))
    assert evaluate(CORE, reversed_order, CATALOGUE) == first
    fresh = CompiledChecklist(CORE, CATALOGUE).evaluate(answers)
    assert fresh == first
    assert [f.standard_id for f in fresh.findings] == [f.standard_id for f in first.findings]


# -- 2. silence never helps ---------------------------------------------------------------------

LEAVES = [q for q in QUESTIONS if q.rule is not None and q.id not in READ]


@PROPERTY
@given(SEEDS, st.sampled_from([q.id for q in LEAVES]))
def test_removing_a_compliant_answer_never_raises_a_score(seed, question_id):
    answers, question = visit_from(seed), CORE.by_id[question_id]
    before = evaluate(CORE, answers, CATALOGUE)
    judged = {item.question_id: item.status for f in before.findings for item in f.evidence}
    assume(judged.get(question.id) is Status.COMPLIANT)
    silent = {k: v for k, v in answers.items() if k != question.id}
    after = evaluate(CORE, silent, CATALOGUE)

    assert never_higher(before, after) == []
    assert after.standards_met <= before.standards_met
    for standard in question.rule.standards:
        assert after.finding(standard).status in (before.finding(standard).status,
                                                  Status.NOT_ASSESSED)


# -- 3. 'na' is silence -------------------------------------------------------------------------

NA_LEAVES = [q for q in LEAVES if q.type is QuestionType.YES_NO_PARTLY_NA]


@PROPERTY
@given(SEEDS, st.sampled_from([q.id for q in NA_LEAVES]))
def test_answering_na_is_the_same_as_not_answering(seed, question_id):
    answers = visit_from(seed)
    answered_na = evaluate(CORE, {**answers, question_id: "na"}, CATALOGUE)
    silent = evaluate(CORE, {k: v for k, v in answers.items() if k != question_id}, CATALOGUE)

    def verdicts(result: VisitEvaluation) -> list[tuple[Any, ...]]:
        # The evidence still shows that 'na' was answered; what it concludes must not differ.
        return [(f.standard_id, f.status, f.severity, [e.status for e in f.evidence])
                for f in result.findings]

    assert verdicts(answered_na) == verdicts(silent)
    assert answered_na.areas == silent.areas
    assert answered_na.red_flags == silent.red_flags


# -- 4. a worse answer never helps --------------------------------------------------------------


def threshold_of(question: Question) -> tuple[str, float]:
    params = question.rule.params
    if "standard" in params:
        threshold = CATALOGUE.standards[params["standard"]].threshold
        return threshold.operator, threshold.value
    return params["operator"], float(params["value"])


def is_worse(question: Question, bad: Any, good: Any) -> bool:
    """Whether *bad* is worse than *good* by the question's own rule order."""
    rule = question.rule
    if rule.kind == "map":
        values = rule.params["values"]
        if bad not in values or good not in values:
            return False
        return Status(values[bad]).rank < Status(values[good]).rank
    operator, value = threshold_of(question)
    if operator in (">=", ">"):
        return bad < good
    if operator in ("<=", "<"):
        return bad > good
    return abs(bad - value) > abs(good - value)


ORDERED = [q.id for q in QUESTIONS if q.rule is not None and q.rule.kind in ("map", "threshold")
           and q.type is not QuestionType.SELECT_MANY]
ORDINARY = list(ORDERED)


@st.composite
def worse_pairs(draw: st.DrawFn, candidates: list[str]) -> tuple[str, Any, Any]:
    question = CORE.by_id[draw(st.sampled_from(candidates))]
    rnd = random.Random(draw(SEEDS))
    good, bad = random_answer(question, rnd), random_answer(question, rnd)
    if is_worse(question, good, bad):
        good, bad = bad, good
    assume(is_worse(question, bad, good))
    return question.id, good, bad


@PROPERTY
@given(SEEDS, worse_pairs(ORDINARY))
def test_a_worse_answer_never_helps(seed, pair):
    question_id, good, bad = pair
    question = CORE.by_id[question_id]
    answers = visit_from(seed)
    with_good = accepted({**answers, question.id: good})
    with_bad = accepted({**answers, question.id: bad})
    assume(with_good.get(question.id) == good and with_bad.get(question.id) == bad)
    assume({k: v for k, v in with_good.items() if k != question.id}
           == {k: v for k, v in with_bad.items() if k != question.id})
    better = evaluate(CORE, with_good, CATALOGUE)
    worse = evaluate(CORE, with_bad, CATALOGUE)

    for standard in question.rule.standards:
        assert rank(worse.finding(standard).status) <= rank(better.finding(standard).status), (
            standard)
    if worse.relevant == better.relevant:
        assert never_higher(better, worse) == []
        assert {f.code for f in better.red_flags} <= {f.code for f in worse.red_flags}


def test_zero_toilets_or_phones_is_the_worst_ratio_not_a_gap():
    """Going from one working toilet (or phone) to none never improves a score.

    ``persons_per_toilet`` divides by the number of working toilets; with none, the checklist
    takes the whole population as the ratio, so the Sphere standard stays breached instead of
    becoming *not assessed* (which would lift the sub-area's score).
    """
    base = {"visit_took_place": "yes", "population_total": 100, "toilet_privacy": "no",
            "shower_access_per_week": 7}
    one = evaluate(CORE, {**base, "working_toilets": 1}, CATALOGUE)
    none = evaluate(CORE, {**base, "working_toilets": 0}, CATALOGUE)
    assert none.finding("sphere-excreta-3.2").status is Status.NON_COMPLIANT
    assert one.relevant == none.relevant
    assert never_higher(one, none) == []

    base = {"visit_took_place": "yes", "population_total": 100,
            "family_visits_conditions": "no", "consular_contact_by_choice": "yes"}
    one = evaluate(CORE, {**base, "working_phones_count": 1}, CATALOGUE)
    none = evaluate(CORE, {**base, "working_phones_count": 0}, CATALOGUE)
    assert none.finding("ice-pbnds-5.6-phones").status is Status.NON_COMPLIANT
    assert never_higher(one, none) == []
