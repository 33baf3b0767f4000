"""Checks that need a whole checklist: ids, choices, expressions, references, translations.

:mod:`monitor.checklists.parse` has already checked each value's shape; here the parts are
checked against each other and against the standards catalogue and monitoring areas. Every
check adds problems and carries on, so one run lists everything to fix.

Questions marked ``sensitive`` never have a value of theirs (a choice code, an answer in a rule,
an expression's text) echoed in a message.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

import pycountry

from monitor.checklists.expr import Expression, ExpressionError
from monitor.checklists.expr import parse as parse_expression
from monitor.checklists.parse import (
    LANGUAGE_CODE,
    ExpressionRef,
    IdRef,
    ParsedChecklist,
    Place,
    QuestionEntry,
    capital,
    did_you_mean,
    kind_of,
)
from monitor.checklists.schema import (
    CHOICE_TYPES,
    SEVERITIES,
    STATUSES,
    QuestionType,
)
from monitor.checklists.yamlsource import LocatedMap
from monitor.core.errors import Problem

__all__ = ["ID_PATTERN", "RULE_KINDS", "validate"]

#: Ids of checklists, sections, questions and red flags.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
#: The rule kinds the checklist format defines (their parameters are checked by the
#: compliance layer).
RULE_KINDS = ("map", "threshold", "expression")
_SELECT_TYPES = frozenset({QuestionType.SELECT_ONE, QuestionType.SELECT_MANY})
_EXPRESSION_HELP = "The expression language is described in checklists/README.md (Expressions)."


def validate(parsed: ParsedChecklist, *, standards: Collection[str] | None = None,
             areas: Collection[str] | None = None) -> list[Problem]:
    """Check a parsed checklist as a whole.

    :param parsed: what :func:`monitor.checklists.parse.parse_checklist` returned.
    :param standards: the ids of the standards catalogue; ``None`` skips the catalogue check.
    :param areas: the ids of the monitoring (sub-)areas; ``None`` skips the area check.
    :returns: the problems found (the parse problems are not repeated).
    """
    if parsed.place is None:
        return []  # the file could not be read; parsing said why
    checker = _Checker(parsed, standards, areas)
    checker.run()
    return checker.problems


class _Checker:
    def __init__(self, parsed: ParsedChecklist, standards: Collection[str] | None,
                 areas: Collection[str] | None) -> None:
        self.parsed = parsed
        self.standards = frozenset(standards) if standards is not None else None
        self.areas = frozenset(areas) if areas is not None else None
        self.problems: list[Problem] = []
        self.question_ids = {e.question.id for e in parsed.questions if e.question.id}

    def problem(self, path: Path, line: int | None, where: str | None, message: str,
                hint: str | None = None) -> None:
        self.problems.append(Problem(path, line, where, message, hint))

    def run(self) -> None:
        self.top()
        self.ids()
        self.questions()
        self.choice_sets()
        self.rules()
        self.red_flags()
        self.texts()
        self.expressions()
        self.references()

    # the top of the file

    def top(self) -> None:
        place = self.parsed.place
        assert place is not None
        raw, path = place.raw, place.path
        checklist_id = raw.get("id")
        if isinstance(checklist_id, str) and checklist_id.strip():
            self.id_format(checklist_id, path, raw.line_of("id"), "id", "checklist id")
        if "version" in raw:
            version = raw["version"]
            if isinstance(version, bool) or not isinstance(version, int):
                shown = (f"'{version}'" if isinstance(version, str)
                         else str(version) if isinstance(version, float) else kind_of(version))
                self.problem(path, raw.line_of("version"), "version",
                             f"The version must be a whole number, not {shown}.",
                             "Write 'version: 1' for a first version and raise it by one for "
                             "each published change.")
            elif version < 1:
                self.problem(path, raw.line_of("version"), "version",
                             f"The version must be 1 or more, not {version}.",
                             "Write 'version: 1' for a first version.")
        seen: set[str] = set()
        for language in self.parsed.languages:
            if not LANGUAGE_CODE.match(language):
                self.problem(path, raw.line_of("languages"), "languages",
                             f"'{language}' is not a language code.",
                             "Use a two- or three-letter code such as en, es or fr.")
            if language in seen:
                self.problem(path, raw.line_of("languages"), "languages",
                             f"The language '{language}' is listed twice.", "List it once.")
            seen.add(language)

    # ids

    def id_format(self, value: str, path: Path, line: int, where: str, what: str) -> None:
        if ID_PATTERN.match(value):
            return
        fixed = re.sub(r"[^a-z0-9_]+", "_", value.strip().lower()).strip("_")
        if fixed and not fixed[0].isalpha():
            fixed = f"q_{fixed}"
        hint = f"Try '{fixed}'." if fixed else "Use letters a-z, digits and _."
        self.problem(path, line, where,
                     f"The {what} '{value}' is not allowed: ids use lower-case letters a-z, "
                     "digits and _, and start with a letter.", hint)

    def ids(self) -> None:
        first: dict[str, Place] = {}
        for entry in self.parsed.sections:
            section_id, place = entry.section.id, entry.place
            if not section_id:
                continue
            self.id_format(section_id, place.path, place.line("id"), place.field, "section id")
            if section_id in first:
                self.problem(place.path, place.line("id"), place.field,
                             f"The section id '{section_id}' is already used "
                             f"{self.where_else(first[section_id], place)}.",
                             "Section ids must be unique within a checklist; rename one of them.")
            else:
                first[section_id] = place
        first = {}
        for question in self.parsed.questions:
            question_id, place = question.question.id, question.place
            if not question_id:
                continue
            self.id_format(question_id, place.path, place.line("id"), place.field, "question id")
            if question_id in first:
                self.problem(place.path, place.line("id"), place.field,
                             f"The question id '{question_id}' is already used "
                             f"{self.where_else(first[question_id], place)}.",
                             "Question ids must be unique within a checklist; rename one of "
                             "them.")
            else:
                first[question_id] = place
        first = {}
        for flag in self.parsed.red_flags:
            flag_id, place = flag.red_flag.id, flag.place
            if not flag_id:
                continue
            self.id_format(flag_id, place.path, place.line("id"), place.field, "red flag id")
            if flag_id in first:
                self.problem(place.path, place.line("id"), place.field,
                             f"The red flag id '{flag_id}' is already used "
                             f"{self.where_else(first[flag_id], place)}.",
                             "Red flag ids must be unique; rename one of them.")
            else:
                first[flag_id] = place

    @staticmethod
    def where_else(earlier: Place, later: Place) -> str:
        if earlier.path == later.path:
            return f"on line {earlier.line('id')}"
        return f"in {earlier.path.name} on line {earlier.line('id')}"

    # questions

    def questions(self) -> None:
        for entry in self.parsed.questions:
            if entry.type_known:
                self.question_choices(entry)
                self.question_calculation(entry)
            place, raw = entry.place, entry.place.raw
            if raw.get("constraint_message") is not None and raw.get("constraint") is None:
                self.problem(place.path, place.line("constraint_message"), place.field,
                             "The question has a constraint message but no constraint.",
                             "Add the 'constraint' the message explains, or remove the message.")

    def question_choices(self, entry: QuestionEntry) -> None:
        question, place = entry.question, entry.place
        kind = question.type
        if kind in _SELECT_TYPES:
            if entry.choice_list is not None:
                if entry.choice_list not in self.parsed.choice_lists:
                    names = sorted(self.parsed.choice_lists)
                    self.problem(place.path, place.line("choices"), place.field,
                                 f"There is no choice list named '{entry.choice_list}'.",
                                 did_you_mean(entry.choice_list, names,
                                              "Declare it under 'choice_lists' at the top of "
                                              "the checklist, or list the choices here."))
            elif not entry.choices_written:
                self.problem(place.path, place.line(), place.field,
                             f"A {kind.value} question needs choices.",
                             "Add 'choices:' with a list of {code, label}, or the name of a "
                             "list in 'choice_lists'.")
        elif entry.choices_written:
            if kind in CHOICE_TYPES:
                codes = ", ".join(question.choice_codes())
                self.problem(place.path, place.line("choices"), place.field,
                             f"A {kind.value} question has built-in choices ({codes}); it "
                             "takes no 'choices'.",
                             "Remove 'choices', or use type select_one for other answers.")
            else:
                self.problem(place.path, place.line("choices"), place.field,
                             f"A {kind.value} question takes no 'choices'.",
                             "Remove 'choices', or change the type to select_one or "
                             "select_many.")

    def question_calculation(self, entry: QuestionEntry) -> None:
        question, place = entry.question, entry.place
        written = "calculation" in place.raw
        if question.type is QuestionType.CALCULATE and not written:
            self.problem(place.path, place.line(), place.field,
                         "A calculate question needs a 'calculation'.",
                         "Add 'calculation:' with the expression that computes the value, such "
                         "as \"${floor_area_m2} div ${occupants}\".")
        elif question.type is not QuestionType.CALCULATE and written:
            self.problem(place.path, place.line("calculation"), place.field,
                         f"Only calculate questions take a 'calculation'; this one is of type "
                         f"{question.type.value}.",
                         "Change the type to calculate, or remove the calculation.")

    # choices

    def choice_sets(self) -> None:
        for choice_set in self.parsed.choice_sets:
            first: dict[str, int] = {}
            for choice, line in choice_set.items:
                if choice.code in first:
                    code = ("A choice code" if choice_set.sensitive
                            else f"The choice code '{choice.code}'")
                    self.problem(choice_set.path, line, choice_set.field,
                                 f"{code} is already used on line {first[choice.code]} "
                                 f"in {choice_set.title}.",
                                 "Each choice needs its own code; rename or remove one of them.")
                else:
                    first[choice.code] = line

    # rules

    def rules(self) -> None:
        for entry in self.parsed.questions:
            rule, raw = entry.question.rule, entry.place.raw.get("rule")
            if rule is None or not isinstance(raw, LocatedMap):
                continue
            place = Place(entry.place.path, raw, entry.place.field)
            self.rule_kind(raw, place)
            self.severity(raw.get("severity"), "severity" in raw, place, "rule")
            self.rule_standards(entry, raw, place)
            if rule.kind == "map":
                self.map_values(raw.get("values"), place, entry.question.sensitive)

    def rule_kind(self, raw: LocatedMap, place: Place) -> None:
        kind = raw.get("kind")
        kinds = ", ".join(RULE_KINDS)
        if kind is None:
            self.problem(place.path, place.line(), place.field, "The rule has no 'kind'.",
                         f"Add 'kind:' with one of: {kinds}.")
        elif not isinstance(kind, str) or kind not in RULE_KINDS:
            shown = f"'{kind}'" if isinstance(kind, str) else kind_of(kind)
            self.problem(place.path, place.line("kind"), place.field,
                         f"The rule kind {shown} is not known.",
                         did_you_mean(kind, RULE_KINDS, f"Use one of: {kinds}."))

    def severity(self, value: object, written: bool, place: Place, what: str) -> None:
        if not written or (isinstance(value, str) and value in SEVERITIES):
            return
        if value is None:
            message = f"The {what} severity is left empty."
        else:
            shown = f"'{value}'" if isinstance(value, str) else kind_of(value)
            message = f"The {what} severity {shown} is not one of {', '.join(SEVERITIES)}."
        self.problem(place.path, place.line("severity"), place.field, message,
                     did_you_mean(value, SEVERITIES, f"Use one of: {', '.join(SEVERITIES)}."))

    def rule_standards(self, entry: QuestionEntry, raw: LocatedMap, place: Place) -> None:
        question = entry.question
        own = raw.get("standards")
        if isinstance(own, list):
            for index, standard in enumerate(own):
                if not isinstance(standard, str) or standard in question.standards:
                    continue
                if self.standards is not None and standard not in self.standards:
                    self.problem(place.path, own.line_of(index), place.field,
                                 f"The rule judges the standard '{standard}', which the "
                                 "question does not cite and the standards catalogue does not "
                                 "hold.",
                                 did_you_mean(standard, self.standards,
                                              "Check the id against standards.yaml."))
        elif not question.standards:
            self.problem(place.path, place.line(), place.field,
                         "The rule has no standard to judge: the question cites none and the "
                         "rule names none.",
                         "Add 'standards: [...]' to the question or to the rule.")
        cited = raw.get("standard")
        if isinstance(cited, str) and self.standards is not None and cited not in self.standards:
            self.problem(place.path, place.line("standard"), place.field,
                         f"The rule takes its threshold from the standard '{cited}', which is "
                         "not in the standards catalogue.",
                         did_you_mean(cited, self.standards, "Check the id against "
                                      "standards.yaml."))

    def map_values(self, values: object, place: Place, sensitive: bool) -> None:
        if not isinstance(values, LocatedMap):
            return  # the compliance layer checks each kind's parameters
        for answer, status in values.items():
            if isinstance(status, str) and status in STATUSES:
                continue
            shown = f"'{status}'" if isinstance(status, str) else kind_of(status)
            which = "an answer" if sensitive else f"the answer '{answer}'"
            self.problem(place.path, values.line_of(answer), place.field,
                         f"The rule gives {which} the status {shown}, which is not a status.",
                         did_you_mean(status, STATUSES,
                                      f"Use one of: {', '.join(STATUSES)}."))

    # red flags

    def red_flags(self) -> None:
        for entry in self.parsed.red_flags:
            severity = entry.place.raw.get("severity")
            if isinstance(severity, str) and severity.strip():
                self.severity(severity, True, entry.place, "red flag")

    # translations

    def texts(self) -> None:
        declared = self.parsed.languages
        for ref in self.parsed.texts:
            missing = [language for language in declared if language not in ref.text.languages]
            if missing:
                names = _join(language_name(language) for language in missing)
                hint = (f"Write it as a map of language to text: "
                        f"{{{', '.join(f'{lang}: ...' for lang in declared)}}}."
                        if ref.plain else
                        f"Add {_join(f'{lang}: ...' for lang in missing)} beside the other "
                        "languages.")
                self.problem(ref.path, ref.line, ref.field,
                             f"{capital(ref.what)} has no {names} text.", hint)
            for language in ref.text.languages:
                if language not in declared and not ref.plain:
                    self.problem(ref.path, ref.line, ref.field,
                                 f"{capital(ref.what)} has text in '{language}', which is not "
                                 f"one of the checklist's languages ({', '.join(declared)}).",
                                 did_you_mean(language, declared,
                                              f"Add '{language}' to 'languages', or remove "
                                              "this text."))

    # expressions

    def expressions(self) -> None:
        edges: dict[str, list[tuple[str, ExpressionRef]]] = {}
        for ref in self.parsed.expressions:
            expression = self.expression(ref)
            if expression is None:
                continue
            if ref.node is not None:
                for name in sorted(expression.references):
                    if name in self.question_ids:
                        edges.setdefault(ref.node, []).append((f"q:{name}", ref))
        self.cycles(edges)

    def expression(self, ref: ExpressionRef) -> Expression | None:
        try:
            expression = parse_expression(ref.text)
        except ExpressionError as error:
            if ref.sensitive:
                at = f" at character {error.position + 1}" if error.position is not None else ""
                message = f"The {ref.key} expression cannot be read{at}."
            else:
                message = f"The {ref.key} expression cannot be read: {error.message.rstrip('.')}."
            self.problem(ref.path, ref.line, ref.field, message, _EXPRESSION_HELP)
            return None
        if expression.uses_current and not ref.allows_current:
            self.problem(ref.path, ref.line, ref.field,
                         f"The {ref.key} expression uses '.', which stands for the answer being "
                         "checked and only has a meaning in a constraint or a rule.",
                         "Name the question instead, as ${question_id}.")
        for name in sorted(expression.references):
            if name not in self.question_ids:
                self.problem(ref.path, ref.line, ref.field,
                             f"The {ref.key} expression refers to ${{{name}}}, but no question "
                             f"has the id '{name}'.",
                             did_you_mean(name, self.question_ids,
                                          "Check the spelling of the question id."))
        return expression

    def cycles(self, edges: dict[str, list[tuple[str, ExpressionRef]]]) -> None:
        """Report each loop of relevant/calculation dependencies once."""
        graph: dict[str, list[tuple[str, ExpressionRef | None]]] = {
            node: list(targets) for node, targets in edges.items()}
        # A question is asked only when its sections are, so it depends on their relevance.
        for entry in self.parsed.questions:
            if entry.question.id and entry.question.section_id:
                graph.setdefault(f"q:{entry.question.id}", []).append(
                    (f"s:{entry.question.section_id}", None))
        for entry in self.parsed.sections:
            if entry.section.id and entry.section.parent_id:
                graph.setdefault(f"s:{entry.section.id}", []).append(
                    (f"s:{entry.section.parent_id}", None))
        reported: set[frozenset[str]] = set()
        for component in _strongly_connected(graph):
            nodes = set(component)
            # Start from every node whose own expression leads somewhere in the loop, so that
            # two loops sharing a question are both reported; each loop is reported once.
            starts = [ref.node for ref in self.parsed.expressions
                      if ref.node in nodes and any(r is ref for _, r in graph.get(ref.node, []))]
            for start in dict.fromkeys(starts):
                loop = _loop_from(start, graph, nodes)
                if loop is None:
                    continue
                members = frozenset(node for node, _ in loop)
                if members in reported:
                    continue
                reported.add(members)
                shown = " -> ".join(_node_name(node) for node, _ in loop)
                first_ref = next(ref for _, ref in loop if ref is not None)
                self.problem(first_ref.path, first_ref.line, first_ref.field,
                             f"Skip logic and calculations go round in a loop: {shown}.",
                             "A question cannot depend, even through other questions or its "
                             "section, on its own answer; remove one of the references.")

    # standards and areas

    def references(self) -> None:
        for ref in self.parsed.standard_refs:
            if self.standards is not None and ref.value not in self.standards:
                self.unknown_id(ref, "standard", self.standards, "standards.yaml")
        for ref in self.parsed.area_refs:
            if self.areas is not None and ref.value not in self.areas:
                self.unknown_id(ref, "monitoring area", self.areas, "areas.yaml")

    def unknown_id(self, ref: IdRef, what: str, known: Collection[str], listing: str) -> None:
        self.problem(ref.path, ref.line, ref.field,
                     f"The {ref.what} cites the {what} '{ref.value}', which does not exist.",
                     did_you_mean(ref.value, known, f"Check the id against {listing}."))


# --- helpers ---------------------------------------------------------------------------------


def language_name(code: str) -> str:
    """``es`` -> ``Spanish (es)``; unknown codes are shown as they are."""
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    if found is None and len(code) == 3:
        found = pycountry.languages.get(alpha_3=code)
    return f"{found.name} ({code})" if found is not None else f"'{code}'"


def _join(items: Iterable[str]) -> str:
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _node_name(node: str) -> str:
    kind, name = node.split(":", 1)
    return name if kind == "q" else f"section {name}"


def _strongly_connected(graph: dict[str, list[tuple[str, ExpressionRef | None]]]
                        ) -> Iterator[list[str]]:
    """Tarjan's algorithm, iterative; yields the components that hold a loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for root in list(graph):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = graph.get(node, [])
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child][0]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                looped = len(component) > 1 or any(t == node for t, _ in graph.get(node, []))
                if looped:
                    yield component
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])


def _loop_from(start: str, graph: dict[str, list[tuple[str, ExpressionRef | None]]],
               nodes: set[str]) -> list[tuple[str, ExpressionRef | None]] | None:
    """A shortest path from *start* back to itself inside *nodes*: [(node, edge ref), ...]."""
    previous: dict[str, tuple[str, ExpressionRef | None]] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target, ref in graph.get(node, []):
                if target not in nodes:
                    continue
                if target == start:
                    path = [(target, None)]
                    step: tuple[str, ExpressionRef | None] = (node, ref)
                    while True:
                        path.append(step)
                        if step[0] == start:
                            break
                        step = previous[step[0]]
                    path.reverse()
                    # path: [(start, ref out of start), ..., (node, ref into start), (start, None)]
                    return path
                if target not in previous and target != start:
                    previous[target] = (node, ref)
                    following.append(target)
        frontier = following
    return None

