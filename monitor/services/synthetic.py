"""Realistic, fictional answers to a checklist: for the demo and the performance benchmark.

Deterministic from a seed. Each facility has a hidden "quality" (how well it treats people) that
drifts from visit to visit; answers to questions with a compliance rule are drawn so that better
facilities meet more standards. Skip logic is respected: a question is answered only when its
``relevant`` expressions (its own and its sections') hold for the answers drawn so far, and
computed values are worked out as the pass goes, so later questions can depend on them.
Nothing here is real; free texts say so.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from monitor.checklists.expr import ExpressionError, is_empty, parse
from monitor.checklists.schema import Checklist, Question, QuestionType
from monitor.compliance.standards import Catalogue

_TEXTS = (
    "Synthetic note for testing: no real person or place is described.",
    "Observación ficticia generada para pruebas.",
    "Fictional observation: conditions as described by the generator.",
)


@dataclass(frozen=True)
class FacilityProfile:
    """What the generator knows about a facility: size, kind, and its hidden quality."""

    capacity: int
    facility_type: str
    quality: float  # 0 (worst) … 1 (best)
    holds_children: bool = False


class AnswerGenerator:
    """Draws a complete, consistent set of answers for one visit."""

    def __init__(self, checklist: Checklist, catalogue: Catalogue) -> None:
        self.checklist = checklist
        self.catalogue = catalogue
        self._section_relevant = {
            s.id: [parse(r.relevant) for r in checklist.section_chain(s.id) if r.relevant]
            for s in checklist.all_sections()
        }
        self._order = list(checklist.questions())

    def answers(self, rng: random.Random, profile: FacilityProfile, *, took_place: bool = True,
                sections: set[str] | None = None) -> dict[str, Any]:
        """Return question id → value for one visit (computed values left out)."""
        values: dict[str, Any] = {}
        computed: dict[str, Any] = {}
        # A question may depend on one that comes later in the checklist (staff questions on
        # the number of women held, say): repeat the pass until nothing new becomes relevant.
        for _ in range(3):
            before = len(values)
            self._pass(rng, profile, values, computed, took_place, sections)
            if len(values) == before:
                break
        return values

    def _pass(self, rng: random.Random, profile: FacilityProfile, values: dict[str, Any],
              computed: dict[str, Any], took_place: bool, sections: set[str] | None) -> None:
        for question in self._order:
            if question.id in values:
                continue
            scope = {**values, **computed}
            if not self._is_relevant(question, scope):
                continue
            if question.is_computed:
                try:
                    computed[question.id] = parse(question.calculation).evaluate(scope)
                except ExpressionError:
                    computed[question.id] = None
                continue
            if sections is not None and not self._in_sections(question, sections):
                continue
            value = self._draw(question, rng, profile, profile.quality, scope, took_place)
            if value is not None and question.constraint:
                if not parse(question.constraint).test({**scope, question.id: value}, value):
                    value = self._fallback(question, rng, scope)
            if is_empty(value) and question.required:
                value = self._fallback(question, rng, scope) if question.type not in (
                    QuestionType.TEXT, QuestionType.LONG_TEXT) else _TEXTS[0]
            if not is_empty(value):
                values[question.id] = value

    def _in_sections(self, question: Question, sections: set[str]) -> bool:
        return any(s.id in sections for s in self.checklist.section_chain(question.section_id))

    def _is_relevant(self, question: Question, scope: Mapping[str, Any]) -> bool:
        for expression in self._section_relevant[question.section_id]:
            if not expression.test(scope):
                return False
        return question.relevant is None or parse(question.relevant).test(scope)

    # -- drawing -------------------------------------------------------------------------------

    def _draw(self, q: Question, rng: random.Random, p: FacilityProfile, quality: float,
              scope: Mapping[str, Any], took_place: bool) -> Any:
        special = _SPECIAL.get(q.id)
        if special is not None:
            return special(rng, p, scope, took_place)
        if q.rule is not None:
            drawn = self._by_rule(q, rng, quality, scope)
            if drawn is not None:
                return drawn
        return self._plain(q, rng, scope)

    def _by_rule(self, q: Question, rng: random.Random, quality: float,
                 scope: Mapping[str, Any]) -> Any:
        rule = q.rule
        roll = rng.random()
        wanted = ("compliant" if roll < quality else
                  "partially_compliant" if roll < quality + (1 - quality) * 0.35 else "non_compliant")
        if rule.kind == "map":
            by_status: dict[str, list[str]] = {}
            for code, status in dict(rule.params.get("values", {})).items():
                by_status.setdefault(str(status), []).append(str(code))
            for status in (wanted, "compliant" if wanted != "compliant" else "non_compliant"):
                if by_status.get(status):
                    code = rng.choice(by_status[status])
                    return [code] if q.type is QuestionType.SELECT_MANY else code
            return None
        if rule.kind == "threshold" and q.type in (QuestionType.INTEGER, QuestionType.DECIMAL):
            operator, value = self._threshold(rule.params)
            if operator is None:
                return None
            return _around(q, rng, operator, value, wanted != "non_compliant")
        return None

    def _threshold(self, params: Mapping[str, Any]) -> tuple[str | None, float]:
        if "operator" in params:
            return str(params["operator"]), float(params["value"])
        standard = self.catalogue.standards.get(str(params.get("standard")))
        if standard is None or standard.threshold is None:
            return None, 0.0
        return standard.threshold.operator, float(standard.threshold.value)

    def _plain(self, q: Question, rng: random.Random, scope: Mapping[str, Any]) -> Any:
        kind = q.type
        if kind in (QuestionType.YES_NO, QuestionType.YES_NO_PARTLY_NA, QuestionType.SELECT_ONE):
            codes = [c for c in q.choice_codes() if c != "na"] or list(q.choice_codes())
            return rng.choice(codes) if codes else None
        if kind is QuestionType.SELECT_MANY:
            codes = list(q.choice_codes())
            exclusive = [c for c in codes if c in ("none", "ninguno", "nothing")]
            pool = [c for c in codes if c not in exclusive]
            if exclusive and rng.random() < 0.4:
                return [exclusive[0]]
            return sorted(rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))) if pool else None
        if kind is QuestionType.INTEGER:
            return rng.choice((0, 0, 1, 2, 3, 5, 8, 12))
        if kind is QuestionType.DECIMAL:
            return round(rng.uniform(0, 10), 1)
        if kind is QuestionType.DATE:
            return (date(2024, 1, 1) + timedelta(days=rng.randint(0, 700))).isoformat()
        if kind in (QuestionType.TEXT, QuestionType.LONG_TEXT):
            return rng.choice(_TEXTS) if rng.random() < 0.5 else None
        return None

    def _fallback(self, q: Question, rng: random.Random, scope: Mapping[str, Any]) -> Any:
        """A value that satisfies the question's constraint, or none at all."""
        candidates: list[Any]
        if q.type in (QuestionType.TEXT, QuestionType.LONG_TEXT):
            return _TEXTS[0]
        if q.type is QuestionType.DATE:
            return date(2024, 6, 1).isoformat()
        if q.type is QuestionType.INTEGER:
            candidates = [0, 1, 2, 5, 10, 24, 48]
        elif q.type is QuestionType.DECIMAL:
            candidates = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 24.0]
        else:
            candidates = list(q.choice_codes())
        rng.shuffle(candidates)
        if q.constraint is None:
            return candidates[0] if candidates else None
        for value in candidates:
            if parse(q.constraint).test({**scope, q.id: value}, value):
                return value
        return None


def _holds(operator: str, value: float, limit: float) -> bool:
    return {">=": value >= limit, ">": value > limit, "<=": value <= limit, "<": value < limit,
            "==": value == limit, "=": value == limit}.get(operator, True)


def _around(q: Question, rng: random.Random, operator: str, limit: float, meets: bool) -> Any:
    """A non-negative number for which ``value <operator> limit`` is *meets*."""
    span = max(abs(limit), 1.0)
    if operator in (">=", ">"):
        value = rng.uniform(limit, limit + span * 2) if meets else rng.uniform(max(0.0, limit - span), limit)
    elif operator in ("<=", "<"):
        value = rng.uniform(0, limit) if meets else rng.uniform(limit, limit + span * 2 + 1)
    else:
        value = limit if meets else limit + rng.randint(1, 6)
    value = max(round(value) if q.type is QuestionType.INTEGER else round(value, 1), 0)
    step = 1 if q.type is QuestionType.INTEGER else 0.1
    for _ in range(1000):  # nudge across the limit when rounding landed on the wrong side
        if _holds(operator, value, limit) == meets:
            break
        upward = (operator in (">=", ">")) == meets or (operator in ("==", "=") and not meets)
        value = round(value + step if upward else max(0, value - step), 1)
    return int(value) if q.type is QuestionType.INTEGER else value


# --- questions whose values hang together (population, space, children) --------------------

def _population(rng, p, scope, took_place):
    return max(1, int(p.capacity * rng.uniform(0.45, 1.15 + (1 - p.quality) * 0.6)))


def _capacity(rng, p, scope, took_place):
    return p.capacity


def _children(rng, p, scope, took_place):
    if p.facility_type == "children_shelter":
        return max(1, int(scope.get("population_total") or 10))
    if not p.holds_children and rng.random() > 0.12:
        return 0
    return rng.randint(0, max(1, int((scope.get("population_total") or 20) * 0.08)))


def _unaccompanied(rng, p, scope, took_place):
    children = int(scope.get("children_held") or 0)
    return rng.randint(0, children) if children else 0


def _women(rng, p, scope, took_place):
    population = int(scope.get("population_total") or 0)
    return int(population * rng.uniform(0.05, 0.3))


def _floor_area(rng, p, scope, took_place):
    return round(rng.uniform(20, 90), 1)


def _occupants(rng, p, scope, took_place):
    area = float(scope.get("dorm_floor_area_m2") or 40)
    space = rng.uniform(2.2, 6.5) if rng.random() > p.quality * 0.7 else rng.uniform(4.0, 8.0)
    return max(1, int(area / space))


def _visit_took_place(rng, p, scope, took_place):
    return "yes" if took_place else "no"


def _days_to_exam(rng, p, scope, took_place):
    return round(rng.choice((0.5, 1, 1, 2, 3, 5, 8)) * (1.6 - p.quality), 1)


def _longest_detention(rng, p, scope, took_place):
    return int(rng.uniform(5, 200) * (1.5 - p.quality))


_SPECIAL = {
    "visit_took_place": _visit_took_place,
    "population_total": _population,
    "capacity_official": _capacity,
    "children_held": _children,
    "unaccompanied_children_held": _unaccompanied,
    "women_held": _women,
    "dorm_floor_area_m2": _floor_area,
    "dorm_occupants": _occupants,
    "days_to_medical_exam": _days_to_exam,
    "longest_detention_days": _longest_detention,
}


def drift(quality: float, rng: random.Random) -> float:
    """The facility's quality at its next visit: a small random walk inside [0.05, 0.95]."""
    return min(0.95, max(0.05, quality + rng.gauss(0.01, 0.08)))
