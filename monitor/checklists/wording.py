"""Skip logic and constraints written out in words, for paper forms and greyed-out questions.

``${isolation_used} = 'yes'`` becomes *'Was anyone kept apart…?' is Yes*. The common shapes
are put into words: comparisons of a question with a code, a number or another question,
``selected()``, ``count-selected()``, ``not()``, ``and`` and ``or`` (with brackets where they
mix). Anything else (arithmetic, other functions) is shown as written, in quotes, so nothing is
ever hidden from the person reading the form.

This module reads expressions itself, only to word them; whether an expression holds is always
decided by :mod:`monitor.checklists.expr`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from monitor.checklists.schema import Checklist, Question, QuestionType

__all__ = ["describe", "skip_instruction", "constraint_instruction"]

_TOKEN = re.compile(
    r"\s*(?:(?P<ref>\$\{[A-Za-z][A-Za-z0-9_]*\})"
    r"|(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"|(?P<str>'[^']*'|\"[^\"]*\")"
    r"|(?P<op><=|>=|!=|=|<|>)"
    r"|(?P<lpar>\()|(?P<rpar>\))|(?P<comma>,)"
    r"|(?P<name>[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z][A-Za-z0-9_]*)*)"
    r"|(?P<dot>\.)|(?P<arith>[-+*/]))"
)
_ARITH_WORDS = frozenset({"div", "mod"})

#: Phrases per language; ``{q}`` is a question, ``{v}`` a value.
_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "and": " and ", "or": " or ", "quote": "'{}'", "number": "{label} (question {n})",
        "answer": "the answer", "only_if": "Answer only if {}.",
        "must": "The answer must meet: {}.",
        "=": "{q} is {v}", "!=": "{q} is not {v}", ">": "{q} is more than {v}",
        ">=": "{q} is {v} or more", "<": "{q} is less than {v}", "<=": "{q} is {v} or less",
        "empty": "{q} is not answered", "not_empty": "{q} is answered",
        "includes": "{q} includes {v}", "excludes": "{q} does not include {v}",
        "count": "the number of boxes ticked in {q}", "not": "not ({})", "raw": "“{}”",
        "between": "{q} is between {a} and {b}",
    },
    "es": {
        "and": " y ", "or": " o ", "quote": "«{}»", "number": "{label} (pregunta {n})",
        "answer": "la respuesta", "only_if": "Responda solo si {}.",
        "must": "La respuesta debe cumplir: {}.",
        "=": "{q} es {v}", "!=": "{q} no es {v}", ">": "{q} es mayor que {v}",
        ">=": "{q} es {v} o más", "<": "{q} es menor que {v}", "<=": "{q} es {v} o menos",
        "empty": "{q} no tiene respuesta", "not_empty": "{q} tiene respuesta",
        "includes": "{q} incluye {v}", "excludes": "{q} no incluye {v}",
        "count": "el número de casillas marcadas en {q}", "not": "no ({})", "raw": "“{}”",
        "between": "{q} está entre {a} y {b}",
    },
}
_FLIPPED = {"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_NEGATED = {"=": "!=", "!=": "=", "<": ">=", ">": "<=", "<=": ">", ">=": "<"}


class _Unreadable(Exception):
    """The expression has a shape this module does not word; it is shown as written."""


@dataclass(frozen=True)
class _Node:
    kind: str  # or, and, not, cmp, call, ref, num, str, dot, raw
    parts: tuple = ()
    value: str = ""
    text: str = ""  # the source of a function call, shown as written when it has no wording


def describe(expression: str, checklist: Checklist, language: str = "en", *,
             numbers: Mapping[str, int] | None = None, current: str | None = None) -> str:
    """Return *expression* as a sentence fragment in *language*.

    :param checklist: where question labels and choice labels are looked up.
    :param numbers: question id → number printed on the form, added after each label.
    :param current: the question ``.`` stands for (in a constraint), to name its choices.
    :returns: words for the known shapes; the expression as written, in quotes, otherwise.
    """
    phrases = _PHRASES.get(language, _PHRASES["en"])
    source = " ".join(expression.split())
    try:
        node = _Parser(source).parse()
        return _Words(checklist, language, phrases, numbers or {}, current).render(node)
    except _Unreadable:
        return phrases["raw"].format(source)


def skip_instruction(expression: str, checklist: Checklist, language: str = "en", *,
                     numbers: Mapping[str, int] | None = None) -> str:
    """Return "Answer only if …." for a ``relevant`` expression."""
    phrases = _PHRASES.get(language, _PHRASES["en"])
    return phrases["only_if"].format(describe(expression, checklist, language, numbers=numbers))


def constraint_instruction(expression: str, checklist: Checklist, language: str = "en", *,
                           numbers: Mapping[str, int] | None = None,
                           current: str | None = None) -> str:
    """Return "The answer must meet: …." for the ``constraint`` of question *current*."""
    phrases = _PHRASES.get(language, _PHRASES["en"])
    return phrases["must"].format(describe(expression, checklist, language, numbers=numbers,
                                           current=current))


# -- reading ----------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over ``or`` / ``and`` / comparisons; other shapes become raw text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens: list[tuple[str, str, int, int]] = []
        position = 0
        while position < len(source):
            match = _TOKEN.match(source, position)
            if match is None or match.end() == position:
                if source[position:].strip() == "":
                    break
                raise _Unreadable
            group = match.lastgroup or ""
            kind, text = group, match.group(group)
            if kind == "name" and text in ("and", "or"):
                kind = text
            elif kind == "name" and text in _ARITH_WORDS:
                kind = "arith"
            self.tokens.append((kind, text, match.start(group), match.end()))
            position = match.end()
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index][0] if self.index < len(self.tokens) else None

    def take(self, kind: str) -> tuple[str, str, int, int]:
        if self.peek() != kind:
            raise _Unreadable
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> _Node:
        node = self.or_expr()
        if self.index != len(self.tokens):
            raise _Unreadable
        return node

    def or_expr(self) -> _Node:
        parts = [self.and_expr()]
        while self.peek() == "or":
            self.index += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else _Node("or", tuple(parts))

    def and_expr(self) -> _Node:
        parts = [self.comparison()]
        while self.peek() == "and":
            self.index += 1
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else _Node("and", tuple(parts))

    def comparison(self) -> _Node:
        left = self.term()
        if self.peek() == "op":
            operator = self.take("op")[1]
            right = self.term()
            if self.peek() == "op":  # a = b = c: leave it as written
                raise _Unreadable
            return _Node("cmp", (left, right), operator)
        return left

    def term(self) -> _Node:
        """A value; a stretch of arithmetic is kept as raw text."""
        start = self.index
        if self.peek() == "arith":
            self.skip_arithmetic()
            return self.raw(start)
        node = self.primary()
        if self.peek() == "arith":
            self.skip_arithmetic()
            return self.raw(start)
        return node

    def skip_arithmetic(self) -> None:
        depth = 0
        while self.peek() is not None:
            kind = self.peek()
            if depth == 0 and kind in ("op", "and", "or", "comma", "rpar"):
                return
            depth += {"lpar": 1, "rpar": -1}.get(kind or "", 0)
            self.index += 1

    def raw(self, start: int) -> _Node:
        first, last = self.tokens[start], self.tokens[self.index - 1]
        return _Node("raw", value=self.source[first[2]:last[3]])

    def primary(self) -> _Node:
        kind = self.peek()
        if kind == "ref":
            return _Node("ref", value=self.take("ref")[1][2:-1])
        if kind == "num":
            return _Node("num", value=self.take("num")[1])
        if kind == "str":
            return _Node("str", value=self.take("str")[1][1:-1])
        if kind == "dot":
            self.take("dot")
            return _Node("dot")
        if kind == "lpar":
            self.take("lpar")
            inner = self.or_expr()
            self.take("rpar")
            return inner
        if kind == "name":
            start = self.index
            name = self.take("name")[1]
            self.take("lpar")
            arguments: list[_Node] = []
            if self.peek() != "rpar":
                arguments.append(self.or_expr())
                while self.peek() == "comma":
                    self.index += 1
                    arguments.append(self.or_expr())
            self.take("rpar")
            return _Node("call", tuple(arguments), name, self.raw(start).value)
        raise _Unreadable


# -- writing ----------------------------------------------------------------------------------


class _Words:
    def __init__(self, checklist: Checklist, language: str, phrases: dict[str, str],
                 numbers: Mapping[str, int], current: str | None) -> None:
        self.current = current
        self.checklist = checklist
        self.language = language
        self.phrases = phrases
        self.numbers = numbers

    def render(self, node: _Node, negated: bool = False) -> str:
        if node.kind in ("or", "and"):
            if negated:
                return self.phrases["not"].format(self.render(node))
            groups = self.merged(node)
            return self.phrases[node.kind].join(groups)
        if node.kind == "cmp":
            operator = _NEGATED[node.value] if negated else node.value
            return self.comparison(node.parts[0], operator, node.parts[1])
        if node.kind == "call" and node.value == "not" and len(node.parts) == 1:
            return self.render(node.parts[0], negated=not negated)
        if node.kind == "call" and node.value == "selected" and len(node.parts) == 2:
            return self.selected(node.parts[0], node.parts[1], negated)
        text = self.value(node)
        return self.phrases["not"].format(text) if negated else text

    def merged(self, node: _Node) -> list[str]:
        """Word the parts of an and/or, joining the common pairs into one phrase.

        ``q = 'a' or q = 'b'`` reads "q is A or B"; ``. >= 0 and . <= 10`` reads "between".
        """
        pieces: list[str] = []
        parts = list(node.parts)
        index = 0
        while index < len(parts):
            part = parts[index]
            following = parts[index + 1] if index + 1 < len(parts) else None
            if node.kind == "or" and self.choice_of(part):
                run = [part]
                while (index + len(run) < len(parts)
                       and self.choice_of(parts[index + len(run)]) is not None
                       and self.choice_of(parts[index + len(run)])[0] == self.choice_of(part)[0]):
                    run.append(parts[index + len(run)])
                if len(run) > 1:
                    target, _ = self.choice_of(part)
                    labels = [self.choice_text(target, self.choice_of(p)[1]) for p in run]
                    pieces.append(self.phrases["="].format(
                        q=self.value(target), v=self.phrases["or"].join(labels)))
                    index += len(run)
                    continue
            if node.kind == "and" and following is not None and self.is_range(part, following):
                pieces.append(self.phrases["between"].format(
                    q=self.value(part.parts[0]), a=self.value(part.parts[1]),
                    b=self.value(following.parts[1])))
                index += 2
                continue
            text = self.render(part)
            pieces.append(f"({text})" if part.kind in ("or", "and") else text)
            index += 1
        return pieces

    def choice_of(self, node: _Node) -> tuple[_Node, str] | None:
        """Return (question, code) when *node* says a single-choice question has one code."""
        if node.kind == "cmp" and node.value == "=" and node.parts[0].kind in ("ref", "dot") \
                and node.parts[1].kind == "str" and node.parts[1].value:
            return node.parts[0], node.parts[1].value
        if node.kind == "call" and node.value == "selected" and len(node.parts) == 2 \
                and node.parts[0].kind in ("ref", "dot") and node.parts[1].kind == "str":
            question = self.question_of(node.parts[0])
            if question is not None and question.type is not QuestionType.SELECT_MANY:
                return node.parts[0], node.parts[1].value
        return None

    @staticmethod
    def is_range(low: _Node, high: _Node) -> bool:
        return (low.kind == high.kind == "cmp" and low.value == ">=" and high.value == "<="
                and low.parts[0] == high.parts[0] and low.parts[0].kind in ("dot", "ref"))

    def choice_text(self, target: _Node, code: str) -> str:
        question = self.question_of(target)
        label = " ".join((question.choice_label(code, self.language) if question is not None
                          else code).split())
        # One word (Yes, No, Partly) reads well bare; longer labels are quoted so that an "or"
        # inside a label cannot be mistaken for the "or" between two labels.
        return label if " " not in label else self.quoted(label)

    def comparison(self, left: _Node, operator: str, right: _Node) -> str:
        if left.kind in ("num", "str") and right.kind not in ("num", "str"):
            left, right, operator = right, left, _FLIPPED[operator]
        question = self.question_of(left)
        if right.kind == "str" and right.value == "" and operator in ("=", "!="):
            key = "empty" if operator == "=" else "not_empty"
            return self.phrases[key].format(q=self.value(left))
        if right.kind == "str" and question is not None and question.choices:
            shown = self.choice_text(left, right.value)
        else:
            shown = self.value(right)
        return self.phrases[operator].format(q=self.value(left), v=shown)

    def selected(self, target: _Node, code: _Node, negated: bool) -> str:
        question = self.question_of(target)
        if code.kind != "str":
            raise _Unreadable
        label = self.choice_text(target, code.value)
        if question is not None and question.type is not QuestionType.SELECT_MANY:
            operator = "!=" if negated else "="
            return self.phrases[operator].format(q=self.value(target), v=label)
        key = "excludes" if negated else "includes"
        return self.phrases[key].format(q=self.value(target), v=label)

    def question_of(self, node: _Node) -> Question | None:
        if node.kind == "dot" and self.current is not None:
            return self.checklist.by_id.get(self.current)
        return self.checklist.by_id.get(node.value) if node.kind == "ref" else None

    def value(self, node: _Node) -> str:
        if node.kind == "ref":
            return self.name(node.value)
        if node.kind == "dot":
            return self.phrases["answer"]
        if node.kind == "num":
            return node.value
        if node.kind == "str":
            return self.quoted(node.value)
        if node.kind == "call" and node.value == "count-selected" and len(node.parts) == 1:
            return self.phrases["count"].format(q=self.value(node.parts[0]))
        if node.kind == "raw":
            return self.phrases["raw"].format(node.value)
        if node.kind == "call":
            return self.phrases["raw"].format(node.text)
        raise _Unreadable

    def name(self, question_id: str) -> str:
        question = self.checklist.by_id.get(question_id)
        if question is None:
            raise _Unreadable
        label = self.quoted(question.label.get(self.language))
        number = self.numbers.get(question_id)
        return self.phrases["number"].format(label=label, n=number) if number else label

    def quoted(self, text: str) -> str:
        return self.phrases["quote"].format(" ".join(text.split()))
