"""The compliance engine: from one visit's answers to findings, red flags, scores and ratings.

:func:`prepare` compiles a checklist once (every expression parsed, every rule built, the order
of skip logic and calculations worked out); :func:`evaluate` then judges a visit in about a
millisecond (the 296-question core checklist: 0.3–0.8 ms on one core). Nothing here touches
the database, Flask or the network.

What happens to a visit's answers
---------------------------------
1. **Skip logic.** Questions and sections are visited in dependency order (a question after
   every question its ``relevant`` or ``calculation`` reads, and after its section). A section
   whose ``relevant`` is false closes everything inside it. A question that is closed, whose own
   ``relevant`` is false, or that lies outside the chosen ``sections`` of a thematic visit is
   *not asked*: its answer is dropped and its rule is not assessed. A thematic visit also asks
   the questions its chosen sections depend on (the questions their skip logic, calculations
   and rule expressions read, and so on), so that choosing "legal counsel" still asks whether
   the visit took place.
2. **Calculations.** ``calculate`` questions are computed in the same pass, so a computed value
   can feed later skip logic, calculations, rules and red flags.
3. **Rules.** Each rule judges its question's value (see :mod:`monitor.compliance.rules`); an
   empty, skipped or ``na`` value is ``not_assessed``.
4. **Findings.** One finding per standard the checklist judges. Its status is the worst
   assessed status among the rules that judge it (``non_compliant`` < ``partially_compliant``
   < ``compliant``); with none assessed it is ``not_assessed``. Its severity is the highest
   severity among the rules that produced that status. Reports group a finding under the
   standard's *primary* sub-area (``FindingResult.area_id``): the first one ``standards.yaml``
   lists for it, the same for every checklist and every visit.
5. **Red flags** (the checklist's ``red_flags``) are raised when their ``when`` expression is
   true on the values after skip logic. A red flag belongs to the primary sub-areas of its
   standards, and to their areas.
6. **Indicators**: each question's ``indicator`` name gets its value (sensitive questions are
   left out: indicators feed dashboards and maps).

Red flags of the core checklist
-------------------------------
The core checklist must raise these (:data:`REQUIRED_RED_FLAGS`): children detained;
unaccompanied or separated children detained; access to a lawyer obstructed or denied; no way
to apply for asylum; no medical examination on admission; solitary confinement beyond 15
consecutive days (the Nelson Mandela Rules' limit in the catalogue); more people held than the
official capacity; less than 4 m² per person; allegations of torture or ill-treatment; a death
in custody in the last 12 months; no complaints mechanism; people not told why they are
detained; monitors' access refused or obstructed. Each is declared, with its condition,
severity and standards, at the end of ``checklists/core/checklist.yaml``.

Scores
------
For every monitoring area, every sub-area and the visit as a whole::

    score = (standards met + 0.5 × standards partly met) / standards assessed

The visit as a whole counts every finding once. An area counts what the checklist's sections
about it found: each section names the sub-area it examines (``area:``), and a standard judged
in a sub-area's sections has there the worst status of *those* rules (a sub-area's area
counts the rules of all its sub-areas). So food at arrest judged poor lowers "arrest", not
"food and water", although the visit's finding on Mandela Rule 22 is non-compliant; and a
standard judged in two areas counts in both.

A standard that is not assessed is in neither part of the fraction: silence never raises or
lowers a score, it lowers the *assessed share* instead, which is always reported. The share is
``assessed / asked``, where a standard counts as *asked* when at least one question judging it
(there) was asked at this visit (a standard whose every question was skipped — no children
held, a section outside a thematic visit — was not examined and is not held against the
share).

Ratings
-------
Each area and sub-area gets a rating on the four-point scale of monitoring reports:

- **not rated** when no section of the checklist judges a standard in it, when no question about
  it was asked, when none of its standards is assessed, or when fewer than
  :data:`MIN_ASSESSED_SHARE` (half) of the standards asked are assessed (a rating then still
  names any critical breach);
- otherwise **by score**: at least 0.85 is 4 (*good*), at least 0.65 is 3 (*reasonably good*),
  at least 0.40 is 2 (*not sufficiently good*), below that 1 (*poor*) (:data:`RATING_BANDS`);
- then **caps**, which only ever lower a rating. A *critical breach* in an area is a raised red
  flag of severity ``critical`` belonging to the area, or an answer whose ``critical`` rule
  made a standard ``non_compliant`` in the area — unless a critical red flag of the area reads
  that answer or cites every standard it breaches, so that one situation is not counted twice
  (and one answer breaching two standards is one breach). One critical breach caps the rating
  at 2 (*not sufficiently good*); two or more cap it at 1 (*poor*). A cap that does not lower
  the rating is still named in the rating rule.

``AreaResult.rating_rule`` names the rule that gave the rating, e.g. ``capped at 'not
sufficiently good': critical breach of Nelson Mandela Rules, Rules 43(1)(b), 44
(solitary_max_consecutive_days)``; :meth:`AreaResult.rating_rule_in` gives it in Spanish.
"""

from __future__ import annotations

import difflib
import heapq
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from monitor.checklists.expr import parse as parse_expression
from monitor.checklists.schema import Checklist, LocalText, Question
from monitor.compliance.check import check_rules
from monitor.compliance.rules import NOT_ASKED, CompiledRule, compile_rule
from monitor.compliance.scoring import (
    MIN_ASSESSED_SHARE,
    RATING_BANDS,
    Counts,
    find_breaches,
    rate,
)
from monitor.compliance.standards import Catalogue
from monitor.compliance.types import (
    AreaResult,
    Evidence,
    FindingResult,
    RedFlagResult,
    Severity,
    Status,
    VisitEvaluation,
)
from monitor.core.errors import ChecklistError, InputError, Problem

__all__ = [
    "MIN_ASSESSED_SHARE",
    "RATING_BANDS",
    "REQUIRED_RED_FLAGS",
    "CompiledChecklist",
    "evaluate",
    "prepare",
]

logger = logging.getLogger(__name__)

#: Red flags every full checklist is expected to declare (ids as in the core checklist).
REQUIRED_RED_FLAGS: tuple[str, ...] = (
    "children_detained", "unaccompanied_children_detained", "legal_counsel_obstructed",
    "no_asylum_access", "no_medical_exam_on_admission", "solitary_beyond_limit",
    "occupancy_above_capacity", "living_space_below_minimum", "ill_treatment_allegations",
    "death_in_custody", "no_complaints_mechanism", "not_informed_of_reasons",
    "access_obstructed",
)

_CACHE_SIZE = 16
_CACHE_ITEMS = 256  # evidence objects kept per rule (area results: eight times as many)
_NA = Status.NOT_ASSESSED
_RANK = {Status.NON_COMPLIANT: 0, Status.PARTIALLY_COMPLIANT: 1, Status.COMPLIANT: 2, _NA: 3}
_BY_RANK = (Status.NON_COMPLIANT, Status.PARTIALLY_COMPLIANT, Status.COMPLIANT, _NA)
_CRITICAL = Severity.CRITICAL.rank
_SEVERITY_RANK = {s: s.rank for s in Severity}
_SEVERITIES = tuple(Severity)  # by rank
Test = Callable[..., bool]
_SIZED = (str, list, tuple)  # types whose empty value counts as no answer (see is_empty)


# -- the compiled form ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Node:
    """One step of skip logic: a section (``question`` false) or a question."""

    question: bool
    id: str
    parent: str | None  # a question's section, a section's parent section
    relevant: Test | None
    calculate: Callable[..., Any] | None


@dataclass(frozen=True, slots=True)
class _Rule:
    question_id: str
    compiled: CompiledRule
    severity: Severity
    sensitive: bool
    unit: str | None
    threshold_text: str | None


@dataclass(frozen=True, slots=True)
class _Standard:
    id: str
    area: str | None  # the primary sub-area (or area)
    rules: tuple[int, ...]
    severities: tuple[int, ...] = ()  # the rank of each rule's severity
    questions: frozenset[str] = frozenset()  # the questions of those rules


@dataclass(frozen=True, slots=True)
class _Flag:
    code: str
    severity: Severity
    label: LocalText
    test: Test
    references: tuple[str, ...]
    standards: tuple[str, ...]
    areas: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Area:
    id: str
    level: str
    units: tuple[_Standard, ...]  # each standard judged here, with the rules judging it here


class CompiledChecklist:
    """A checklist made ready to judge visits: build it with :func:`prepare`."""

    def __init__(self, checklist: Checklist, catalogue: Catalogue) -> None:
        self.checklist = checklist
        self.catalogue = catalogue
        questions = list(checklist.questions())
        self._position = {q.id: index for index, q in enumerate(questions)}
        self._order = _dependency_order(checklist)
        rules: list[_Rule] = []
        self._rule_of: dict[str, int] = {}
        rule_standards: dict[str, list[int]] = {}
        for question in questions:
            if question.rule is None:
                continue
            self._rule_of[question.id] = len(rules)
            for standard_id in dict.fromkeys(question.rule.standards):  # each standard once
                rule_standards.setdefault(standard_id, []).append(len(rules))
            rules.append(_compile(question, catalogue))
        self._rules = tuple(rules)
        self._area_order = _area_order(catalogue)
        self._standards = self._build_standards(rule_standards)
        self._areas = self._build_areas()
        self._flags = self._build_flags()
        self._flag_areas = {flag.code: flag.areas for flag in self._flags}
        self._indicators = tuple((q.indicator, q.id) for q in questions
                                 if q.indicator and not q.sensitive)
        self._scopes: dict[frozenset[str], frozenset[str]] = {}
        self._scope_lock = threading.Lock()
        # Visits repeat themselves: the same answer judged the same way gives the same
        # (immutable) evidence, and an area with the same counts and no breach the same result.
        self._evidence_cache: list[dict[tuple[Any, ...], Evidence]] = [{} for _ in self._rules]
        self._area_cache: dict[tuple[Any, ...], AreaResult] = {}

    # building

    def _primary_area(self, standard_id: str, rule_indices: list[int]) -> str | None:
        standard = self.catalogue.standards.get(standard_id)
        if standard is not None and standard.areas:
            return standard.areas[0]
        # Not in the catalogue (an unchecked checklist): the section where it is judged.
        first = self._rules[rule_indices[0]].question_id if rule_indices else None
        return self.checklist.area_of(first) if first else None

    def _build_standards(self, rule_standards: dict[str, list[int]]) -> tuple[_Standard, ...]:
        catalogue_order = {sid: index for index, sid in enumerate(self.catalogue.standards)}
        built = [_Standard(sid, self._primary_area(sid, indices), tuple(indices),
                           tuple(_SEVERITY_RANK[self._rules[i].severity] for i in indices),
                           frozenset(self._rules[i].question_id for i in indices))
                 for sid, indices in rule_standards.items()]
        unknown = len(self._area_order)

        def key(standard: _Standard) -> tuple[int, int, str]:
            area = self._area_order.get(standard.area or "", unknown)
            return (area, catalogue_order.get(standard.id, len(catalogue_order)), standard.id)

        return tuple(sorted(built, key=key))

    def _tops(self, area_id: str | None) -> tuple[str, ...]:
        """The area itself and its parent, as far as the catalogue knows them."""
        if area_id is None:
            return ()
        area = self.catalogue.areas.get(area_id)
        if area is None or area.parent is None:
            return (area_id,)
        return (area_id, area.parent)

    def _build_areas(self) -> tuple[_Area, ...]:
        """Each area's standards, judged by the rules of the sections that examine it.

        A rule counts in the sub-area of its question's section (the innermost ``area``) and
        in that sub-area's parent; a standard judged in two areas counts in both, each time
        by its rules there only.
        """
        by_area: dict[str, dict[str, list[int]]] = {}
        for index, rule in enumerate(self._rules):
            spec = self.checklist.by_id[rule.question_id].rule
            assert spec is not None
            for area_id in self._tops(self.checklist.area_of(rule.question_id)):
                standards = by_area.setdefault(area_id, {})
                for standard_id in dict.fromkeys(spec.standards):
                    standards.setdefault(standard_id, []).append(index)
        position = {standard.id: index for index, standard in enumerate(self._standards)}
        areas = []
        for area_id in self._area_order:
            level = "area" if self.catalogue.areas[area_id].parent is None else "subarea"
            judged = by_area.get(area_id, {})
            units = [self._unit(standard_id, indices) for standard_id, indices
                     in sorted(judged.items(), key=lambda item: position[item[0]])]
            areas.append(_Area(area_id, level, tuple(units)))
        return tuple(areas)

    def _unit(self, standard_id: str, indices: list[int]) -> _Standard:
        return _Standard(standard_id, None, tuple(indices),
                         tuple(_SEVERITY_RANK[self._rules[i].severity] for i in indices),
                         frozenset(self._rules[i].question_id for i in indices))

    def _build_flags(self) -> tuple[_Flag, ...]:
        flags = []
        for flag in self.checklist.red_flags:
            expression = parse_expression(flag.when)
            references = tuple(sorted((r for r in expression.references if r in self._position),
                                      key=self._position.__getitem__))
            areas: set[str] = set()
            for standard_id in flag.standards:
                standard = self.catalogue.standards.get(standard_id)
                if standard is not None and standard.areas:
                    areas.update(self._tops(standard.areas[0]))
            flags.append(_Flag(flag.id, Severity(flag.severity), flag.label, expression.test,
                               references, tuple(flag.standards), frozenset(areas)))
        return tuple(flags)

    # thematic visits

    def scope(self, sections: Collection[str] | None) -> frozenset[str] | None:
        """The ids of the questions a visit covering *sections* asks (``None``: every question).

        The questions of the chosen sections (and of the sections inside them), plus every
        question their skip logic, calculations and rule expressions read, and so on.

        :raises InputError: a section id is not in the checklist.
        """
        if sections is None:
            return None
        key = frozenset([sections] if isinstance(sections, str) else sections)
        found = self._scopes.get(key)
        if found is None:
            found = _scope(self.checklist, key, self._rules, self._rule_of)
            with self._scope_lock:
                self._scopes[key] = found
        return found

    # judging

    def evaluate(self, answers: Mapping[str, Any], *, sections: Collection[str] | None = None,
                 today: date | None = None) -> VisitEvaluation:
        """Judge one visit's answers. See :func:`evaluate`."""
        values, asked = self._skip_logic(answers, self.scope(sections), today)
        statuses, evidence = self._judge(values)
        findings, asked_standards = self._findings(statuses, evidence, asked)
        red_flags = self._red_flags(values, statuses, today)
        areas = self._score_areas(statuses, asked, red_flags)
        counts = Counts.of([f.status for f in findings], asked_standards)
        indicators: dict[str, Any] = {}
        for name, question_id in self._indicators:
            if indicators.get(name) is None:
                indicators[name] = values.get(question_id)
        return VisitEvaluation(
            findings=findings, red_flags=red_flags, areas=areas, score_overall=counts.score,
            share_assessed=counts.share, standards_met=counts.met,
            standards_assessed=counts.assessed, indicators=indicators, values=values,
            relevant=frozenset(asked), standards_partly=counts.partly,
            standards_asked=counts.asked, standards_total=len(findings))

    def _skip_logic(self, answers: Mapping[str, Any], scope: frozenset[str] | None,
                    today: date | None) -> tuple[dict[str, Any], set[str]]:
        values: dict[str, Any] = {}
        asked: set[str] = set()
        open_sections: dict[str, bool] = {}
        for node in self._order:
            if not node.question:
                is_open = node.parent is None or open_sections[node.parent]
                if is_open and node.relevant is not None:
                    is_open = node.relevant(values, None, today=today)
                open_sections[node.id] = is_open
                continue
            if not open_sections[node.parent] or (scope is not None and node.id not in scope):
                continue
            if node.relevant is not None and not node.relevant(values, None, today=today):
                continue
            asked.add(node.id)
            value = (node.calculate(values, None, today=today) if node.calculate is not None
                     else answers.get(node.id))
            if value is not None and (type(value) not in _SIZED or value):
                values[node.id] = value
        return values, asked

    def _judge(self, values: dict[str, Any]) -> tuple[list[Status], list[Evidence]]:
        statuses: list[Status] = []
        evidence: list[Evidence] = []
        for rule, cache in zip(self._rules, self._evidence_cache):
            value = values.get(rule.question_id)
            if value is None or value == NOT_ASKED:
                status = _NA
            else:
                status = rule.compiled.judge(value, values)
            statuses.append(status)
            shown = None if rule.sensitive else _frozen(value)
            key = (type(shown), shown, status)
            try:
                item = cache.get(key)
            except TypeError:  # an unhashable answer: build its evidence every time
                key, item = None, None
            if item is None:
                compiled = rule.compiled
                item = Evidence(rule.question_id, shown, status, compiled.kind,
                                rule.threshold_text, rule.sensitive, rule.severity, rule.unit,
                                compiled.threshold, compiled.partial, compiled.from_standard)
                if key is not None and len(cache) < _CACHE_ITEMS:
                    cache[key] = item
            evidence.append(item)
        return statuses, evidence

    def _findings(self, statuses: list[Status], evidence: list[Evidence], asked: set[str]
                  ) -> tuple[tuple[FindingResult, ...], list[bool]]:
        findings, asked_standards = [], []
        for standard in self._standards:
            worst, severity = 4, -1
            for index, rule_severity in zip(standard.rules, standard.severities):
                rank = _RANK[statuses[index]]
                if rank < worst:
                    worst, severity = rank, rule_severity
                elif rank == worst and rule_severity > severity:
                    severity = rule_severity
            findings.append(FindingResult(standard.id, standard.area, _BY_RANK[worst],
                                          _SEVERITIES[severity],
                                          tuple([evidence[i] for i in standard.rules])))
            asked_standards.append(not asked.isdisjoint(standard.questions))
        return tuple(findings), asked_standards

    def _red_flags(self, values: dict[str, Any], statuses: list[Status], today: date | None
                   ) -> tuple[RedFlagResult, ...]:
        raised = []
        for flag in self._flags:
            if not flag.test(values, None, today=today):
                continue
            evidence = []
            for question_id in flag.references:
                question = self.checklist.by_id[question_id]
                index = self._rule_of.get(question_id)
                status = statuses[index] if index is not None else _NA
                value = values.get(question_id)
                if value is None:
                    continue  # unanswered or skipped: nothing to show
                evidence.append(Evidence(question_id, None if question.sensitive else _frozen(value),
                                         status, "red_flag", None, question.sensitive,
                                         flag.severity, question.unit))
            raised.append(RedFlagResult(flag.code, flag.severity, flag.label, tuple(evidence),
                                        flag.standards))
        return tuple(raised)

    def _score_areas(self, statuses: list[Status], asked: set[str],
                     red_flags: tuple[RedFlagResult, ...]) -> tuple[AreaResult, ...]:
        critical_flags = [(flag, self._flag_areas[flag.code]) for flag in red_flags
                          if flag.severity is Severity.CRITICAL]
        rules, cache, results = self._rules, self._area_cache, []
        # Per rule, once: its status as a rank, and whether its question was asked.
        ranks = [_RANK[status] for status in statuses]
        rule_asked = [rule.question_id in asked for rule in rules]
        for area in self._areas:
            n_asked = assessed = met = partly = 0
            breached: dict[str, list[str]] = {}  # question id -> standards it breaches here
            for unit in area.units:
                indices = unit.rules
                if len(indices) == 1:  # the common case, without the loop
                    index = indices[0]
                    worst, severity, was_asked = ranks[index], unit.severities[0], rule_asked[index]
                else:
                    worst, severity, was_asked = 4, -1, False
                    for index, rule_severity in zip(indices, unit.severities):
                        rank = ranks[index]
                        if rank < worst:
                            worst, severity = rank, rule_severity
                        elif rank == worst and rule_severity > severity:
                            severity = rule_severity
                        was_asked = was_asked or rule_asked[index]
                n_asked += was_asked
                if worst == 3:
                    continue
                assessed += 1
                if worst == 2:
                    met += 1
                elif worst == 1:
                    partly += 1
                elif severity == _CRITICAL:
                    for index in indices:
                        if ranks[index] == 0 and rules[index].severity is Severity.CRITICAL:
                            breached.setdefault(rules[index].question_id, []).append(unit.id)
            counts = Counts(len(area.units), n_asked, assessed, met, partly)
            flags = [flag for flag, areas in critical_flags if area.id in areas]
            key = None if (flags or breached) else (area.id, counts)
            found = cache.get(key) if key is not None else None
            if found is None:
                rating, reason = rate(counts, find_breaches(flags, breached), self.catalogue)
                found = AreaResult(
                    area_id=area.id, level=area.level, score=counts.score,
                    assessed_share=counts.share, standards_assessed=counts.assessed,
                    standards_total=counts.total, standards_met=counts.met, rating=rating,
                    rating_reason=reason, standards_partly=counts.partly,
                    standards_asked=counts.asked)
                if key is not None and len(cache) < _CACHE_ITEMS * 8:
                    cache[key] = found
            results.append(found)
        return tuple(results)


# -- helpers for building -----------------------------------------------------------------------


def _compile(question: Question, catalogue: Catalogue) -> _Rule:
    assert question.rule is not None
    compiled = compile_rule(question, catalogue)
    text = compiled.threshold.describe("en").strip() if compiled.threshold is not None else None
    return _Rule(question.id, compiled, Severity(question.rule.severity), question.sensitive,
                 question.unit, text)


def _area_order(catalogue: Catalogue) -> dict[str, int]:
    """Area ids in report order: each area followed by its sub-areas."""
    order: dict[str, int] = {}
    for top in catalogue.top_areas():
        order[top.id] = len(order)
        for sub in catalogue.subareas(top.id):
            order[sub.id] = len(order)
    return order


def _dependency_order(checklist: Checklist) -> tuple[_Node, ...]:
    """Sections and questions ordered so each comes after everything it reads.

    Among the nodes that are ready, document order decides, so the result is deterministic.

    :raises ChecklistError: skip logic and calculations go round in a loop (the checklist
        validator reports these first; this guards checklists built without it).
    """
    nodes: list[_Node] = []
    needs: list[set[int]] = []
    where: dict[str, int] = {}
    pending_refs: list[tuple[int, frozenset[str]]] = []
    for section in checklist.all_sections():
        relevant = parse_expression(section.relevant) if section.relevant else None
        where[f"s:{section.id}"] = len(nodes)
        nodes.append(_Node(False, section.id, section.parent_id,
                           relevant.test if relevant else None, None))
        needs.append({where[f"s:{section.parent_id}"]} if section.parent_id else set())
        pending_refs.append((len(nodes) - 1, relevant.references if relevant else frozenset()))
        for question in section.questions:
            relevant_q = parse_expression(question.relevant) if question.relevant else None
            calculation = (parse_expression(question.calculation)
                           if question.is_computed and question.calculation else None)
            where[f"q:{question.id}"] = len(nodes)
            nodes.append(_Node(True, question.id, section.id,
                               relevant_q.test if relevant_q else None,
                               calculation.evaluate if calculation else None))
            needs.append({where[f"s:{section.id}"]})
            refs = (relevant_q.references if relevant_q else frozenset()) | (
                calculation.references if calculation else frozenset())
            pending_refs.append((len(nodes) - 1, refs))
    for index, refs in pending_refs:
        needs[index].update(where[f"q:{r}"] for r in refs if f"q:{r}" in where)
        needs[index].discard(index)
    waiting_on = [len(n) for n in needs]
    followers: list[list[int]] = [[] for _ in nodes]
    for index, required in enumerate(needs):
        for other in required:
            followers[other].append(index)
    ready = [index for index, count in enumerate(waiting_on) if count == 0]
    heapq.heapify(ready)
    order: list[_Node] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(nodes[index])
        for follower in followers[index]:
            waiting_on[follower] -= 1
            if waiting_on[follower] == 0:
                heapq.heappush(ready, follower)
    if len(order) < len(nodes):
        stuck = sorted(node.id for index, node in enumerate(nodes) if waiting_on[index] > 0)
        raise ChecklistError([Problem(
            checklist.source or checklist.id, None, None,
            f"Skip logic and calculations go round in a loop among: {', '.join(stuck)}.",
            "A question cannot depend, even through other questions or its section, on its "
            "own answer; remove one of the references.")])
    return tuple(order)


def _scope(checklist: Checklist, sections: frozenset[str], rules: tuple[_Rule, ...],
           rule_of: dict[str, int]) -> frozenset[str]:
    unknown = sorted(sections - set(checklist.section_by_id))
    if unknown:
        known = sorted(checklist.section_by_id)
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise InputError(f"The checklist '{checklist.id}' has no section "
                         f"'{unknown[0]}'.{hint} Its sections are: {', '.join(known)}.")
    wanted: list[str] = []
    for section_id in sorted(sections):
        for section in checklist.section_by_id[section_id].walk():
            wanted.extend(q.id for q in section.questions)
    chosen: set[str] = set()
    while wanted:
        question_id = wanted.pop()
        if question_id in chosen or question_id not in checklist.by_id:
            continue
        chosen.add(question_id)
        question = checklist.by_id[question_id]
        texts = [question.relevant, question.calculation]
        texts.extend(s.relevant for s in checklist.section_chain(question.section_id))
        for text in texts:
            if text:
                wanted.extend(parse_expression(text).references)
        index = rule_of.get(question_id)
        if index is not None:
            wanted.extend(rules[index].compiled.references)
    return frozenset(chosen)


def _frozen(value: Any) -> Any:
    """Evidence is immutable: a list of ticked codes becomes a tuple."""
    return tuple(value) if isinstance(value, list) else value


# -- the public entry points --------------------------------------------------------------------

_cache: OrderedDict[tuple[str, int], CompiledChecklist] = OrderedDict()
_cache_lock = threading.Lock()


def prepare(checklist: Checklist, catalogue: Catalogue) -> CompiledChecklist:
    """Compile *checklist* for judging visits against *catalogue* (cached).

    Every expression is parsed and every rule built once. The result is cached by the
    checklist's digest (and the catalogue object), so calling this for each visit is cheap.

    :param checklist: a loaded checklist.
    :param catalogue: the standards catalogue.
    :returns: the compiled checklist.
    :raises ChecklistError: a rule cannot be used (the problems of
        :func:`monitor.compliance.check.check_rules`), or skip logic goes round in a loop.
    """
    key = (checklist.digest or f"object:{id(checklist)}", id(catalogue))
    with _cache_lock:
        found = _cache.get(key)
        if found is not None and found.catalogue is catalogue and (
                found.checklist is checklist or checklist.digest):
            _cache.move_to_end(key)
            return found
    problems = check_rules(checklist, catalogue)
    if problems:
        raise ChecklistError(problems)
    compiled = CompiledChecklist(checklist, catalogue)
    with _cache_lock:
        _cache[key] = compiled
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    logger.info("checklist %s v%s compiled: %d rules, %d standards, %d red flags",
                checklist.id, checklist.version, len(compiled._rules), len(compiled._standards),
                len(compiled._flags))
    return compiled


def evaluate(checklist: Checklist, answers: Mapping[str, Any], catalogue: Catalogue, *,
             sections: Collection[str] | None = None, today: date | None = None
             ) -> VisitEvaluation:
    """Judge one visit's answers against the standards.

    :param checklist: the checklist version the visit was answered with.
    :param answers: answers by question id (choice codes, numbers, text, lists of codes);
        answers to unknown ids and to computed questions are ignored.
    :param catalogue: the standards catalogue.
    :param sections: for a thematic visit, the ids of the sections it covers; ``None`` for a
        full visit.
    :param today: the date ``today()`` means in expressions (today's UTC date by default).
    :returns: findings, red flags, area results, scores, indicators and the values judged.
    :raises ChecklistError: the checklist's rules cannot be used (see :func:`prepare`).
    :raises InputError: a section in *sections* is not in the checklist.
    """
    return prepare(checklist, catalogue).evaluate(answers, sections=sections, today=today)
