"""The small, safe expression language of checklists (the subset of XPath that XLSForm uses).

``relevant``, ``constraint``, ``calculation``, compliance rule conditions and red flags are all
written in it. Text is parsed with a Lark LALR grammar and compiled once into a tree of Python
closures; nothing is ever run with ``eval``. :func:`parse` caches what it compiles.

What you can write
------------------
- ``${question_id}``: the answer to that question; a missing answer is empty (``None``).
- ``.``: the value being checked (the ``current`` argument, used by constraints).
- numbers (``3``, ``2.5``, ``.5``) and text in single or double quotes (``'yes'``).
- operators, from loosest to tightest: ``or``; ``and``; ``=`` ``!=``; ``<`` ``<=`` ``>``
  ``>=``; ``+`` ``-``; ``*`` ``div`` ``mod`` ``/``; unary ``-``. Parentheses group.
  ``/`` divides, like ``div`` (:meth:`Expression.to_xlsform` writes it as ``div``, since
  XPath reads ``/`` as a path).
- functions: see :data:`FUNCTIONS` and the table in ``checklists/README.md``.

What values mean
----------------
Answers are ``None``, booleans, numbers, text (choice codes, free text, ISO dates
``YYYY-MM-DD``) or lists of choice codes (select_many).

- Empty means ``None``, ``''`` or an empty list (:func:`is_empty`).
- Arithmetic with an empty operand, or with text that is not a number, gives empty; so do
  division and ``mod`` by zero and any result too large to hold. An ISO date counts as the
  number of days since 1970-01-01, so one date minus another is a number of days. Booleans
  count as 1 and 0 in arithmetic and in ``<``, ``<=``, ``>``, ``>=``.
- ``=`` and ``!=``: empty equals ``''`` and empty only (``${q} = ''`` is true when ``q`` is
  unanswered; an empty answer never equals ``0``). If either side is a boolean, both sides are
  compared as booleans. Numbers and numeric text compare as numbers (``'2' = 2.0``); anything
  else compares as text. A select_many list compares as its codes joined by spaces.
- ``<`` ``<=`` ``>`` ``>=``: false when either side is empty; numbers and numeric text compare
  as numbers; two texts (ISO dates among them) compare as text; a number against other text is
  false. A skipped question therefore never makes a threshold pass.
- Truth (XPath ``boolean()``, used by ``and``, ``or``, ``not``, ``if`` and
  :meth:`Expression.test`): ``None``, ``''``, ``[]``, ``0``, ``False`` and NaN are false;
  anything else is true, including the text ``'0'``. ``and``, ``or``, ``if`` and ``coalesce``
  evaluate only what they need.
- ``selected`` and ``count-selected`` accept a list or a space-separated text of codes.
- ``round`` rounds halves away from zero; ``min`` and ``max`` ignore empty values and text
  that is not a number, and are empty when nothing is left; ``today()`` is an ISO date text.

Not supported: XPath paths and predicates, other XPath/ODK functions (``regex``,
``contains``, ``substr``, ``sum``, ``pow``, ``format-date``...), string escapes, and
exponents in numbers (``1e3``).
"""

from __future__ import annotations

import difflib
import functools
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from monitor.checklists.expr_functions import (
    ARITHMETIC,
    COMPARISONS,
    FUNCTION_SPECS,
    Evaluator,
    is_empty,
    negate,
    to_boolean,
    to_number,
)

__all__ = ["FUNCTIONS", "Expression", "ExpressionError", "is_empty", "parse"]

#: Names of every function the language knows.
FUNCTIONS: frozenset[str] = frozenset(FUNCTION_SPECS)

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr | or_expr OR and_expr -> binary
?and_expr: eq_expr | and_expr AND eq_expr -> binary
?eq_expr: rel_expr | eq_expr EQ_OP rel_expr -> binary
?rel_expr: add_expr | rel_expr REL_OP add_expr -> binary
?add_expr: mul_expr | add_expr (PLUS | MINUS) mul_expr -> binary
?mul_expr: unary | mul_expr (STAR | SLASH | DIV | MOD) unary -> binary
?unary: atom | MINUS unary -> negate
?atom: NUMBER -> number
     | STRING -> string
     | REF -> ref
     | DOT -> current
     | NAME _LPAR [arguments] _RPAR -> call
     | _LPAR or_expr _RPAR
arguments: or_expr (_COMMA or_expr)*

OR: "or"
AND: "and"
DIV: "div"
MOD: "mod"
EQ_OP: "=" | "!="
REL_OP: "<=" | ">=" | "<" | ">"
PLUS: "+"
MINUS: "-"
STAR: "*"
SLASH: "/"
DOT: "."
_LPAR: "("
_RPAR: ")"
_COMMA: ","
NUMBER: /[0-9]+(\.[0-9]*)?|\.[0-9]+/
STRING: /'[^']*'|"[^"]*"/
REF: /\$\{[A-Za-z][A-Za-z0-9_]*\}/
NAME: /[A-Za-z][A-Za-z0-9_]*(-[A-Za-z][A-Za-z0-9_]*)*/
%ignore /\s+/
"""

# The basic lexer turns the keywords into OR/AND/DIV/MOD tokens wherever a whole NAME spells
# one, so 'android' stays a name while 'and' is the operator.
_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="basic")

# Deeper trees would exhaust Python's recursion limit while compiling or evaluating.
MAX_DEPTH = 200

_OR, _AND, _EQ, _REL, _ADD, _MUL, _UNARY, _ATOM = range(1, 9)
_PRECEDENCE = {"OR": _OR, "AND": _AND, "EQ_OP": _EQ, "REL_OP": _REL, "PLUS": _ADD,
               "MINUS": _ADD, "STAR": _MUL, "SLASH": _MUL, "DIV": _MUL, "MOD": _MUL}
_NAME_AT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class ExpressionError(ValueError):
    """An expression cannot be read: the message says what is wrong, where, and how to fix it.

    ``message`` is the whole sentence (also ``str(error)``); it names the place as a 1-based
    "character N". ``position`` is the same place as a 0-based offset into ``text`` (``None``
    when the fault is not at one place); ``text`` is the expression as written.
    """

    def __init__(self, message: str, position: int | None, text: str) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.text = text

    def __str__(self) -> str:
        return self.message

    def marked(self) -> str:
        """Return the expression with a caret under the faulty character, for a terminal."""
        if self.position is None:
            return self.text
        line = self.text.replace("\n", " ").replace("\t", " ")
        return f"{line}\n{' ' * self.position}^"


def _fail(problem: str, position: int | None, text: str, fix: str = "") -> ExpressionError:
    where = f" at character {position + 1}" if position is not None else ""
    return ExpressionError(f"{problem}{where}{': ' + fix if fix else ''}", position, text)


class Expression:
    """A parsed, compiled expression. Build one with :func:`parse`."""

    __slots__ = ("source", "references", "uses_current", "functions", "_evaluate", "_canonical")

    def __init__(self, source: str, evaluate: Evaluator, canonical: str, references: frozenset[str],
                 uses_current: bool, functions: frozenset[str]) -> None:
        self.source = source
        #: ids of the questions named with ``${...}``.
        self.references = references
        #: whether ``.`` (the value being checked) appears.
        self.uses_current = uses_current
        #: names of the functions called.
        self.functions = functions
        self._evaluate = evaluate
        self._canonical = canonical

    def evaluate(self, answers: Mapping[str, Any], current: Any = None, *,
                 today: date | None = None) -> Any:
        """Compute the value of the expression.

        :param answers: answers by question id; a missing id counts as empty.
        :param current: the value ``.`` stands for (the answer a constraint checks).
        :param today: the date ``today()`` returns; the current UTC date when omitted.
        :returns: ``None``, a bool, a number or a text. Never raises.
        """
        return self._evaluate(answers, current, today)

    def test(self, answers: Mapping[str, Any], current: Any = None, *,
             today: date | None = None) -> bool:
        """Evaluate, then turn the value into true or false as XPath ``boolean()`` does."""
        return to_boolean(self._evaluate(answers, current, today))

    def to_xlsform(self) -> str:
        """Return canonical text for XLSForm: ``/`` written as ``div``, spacing normalised."""
        return self._canonical

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def parse(text: str) -> Expression:
    """Parse and compile an expression (cached: the same text gives the same object).

    :param text: the expression as written in a checklist.
    :returns: the compiled :class:`Expression`.
    :raises ExpressionError: the text is not a valid expression; the message says where.
    """
    if not isinstance(text, str):
        raise ExpressionError(
            f"an expression must be text, not {type(text).__name__} {text!r}: put it in quotes "
            "in the checklist file", None, str(text))
    return _parse_cached(text)


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expression:
    if not text.strip():
        raise _fail("the expression is empty", None, text,
                    "write a condition such as ${question} = 'yes', or remove the key")
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as error:
        raise _explain(error, text) from None
    compiler = _Compiler(text)
    node = compiler.compile(tree, 0)
    return Expression(text, node.evaluate, node.text, frozenset(compiler.references),
                      compiler.uses_current, frozenset(compiler.functions))


# -- compiling ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Node:
    evaluate: Evaluator
    text: str  # canonical source, for to_xlsform()
    precedence: int
    constant: bool  # the value depends on no answer, no '.', and not on today()
    name: str | None = None  # the question id, when this node is ${name}


def _constant(value: Any, text: str, precedence: int = _ATOM) -> _Node:
    return _Node(lambda answers, current, today: value, text, precedence, True)


def _quote(value: str) -> str:
    return f'"{value}"' if "'" in value else f"'{value}'"


class _Compiler:
    """Turns a parse tree into closures, collecting references and checking function calls."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.references: set[str] = set()
        self.functions: set[str] = set()
        self.uses_current = False

    def compile(self, tree: Tree | Token, depth: int) -> _Node:
        if depth > MAX_DEPTH:
            raise _fail(f"the expression nests more than {MAX_DEPTH} levels deep", None,
                        self.text, "split it into calculate questions")
        node = getattr(self, f"_{tree.data}")(tree, depth + 1)
        if node.constant and tree.data not in ("number", "string"):
            # Fold the part that depends on nothing: it is worked out once, here.
            value = node.evaluate({}, None, None)
            return _Node(lambda answers, current, today: value, node.text, node.precedence, True)
        return node

    def _number(self, tree: Tree, depth: int) -> _Node:
        token = tree.children[0]
        literal = str(token)
        value: int | float = float(literal) if "." in literal else 0
        if len(literal) > 300 or math.isinf(value):
            raise _fail("this number is too long", token.start_pos, self.text,
                        "write at most 300 digits")
        return _constant(value if "." in literal else int(literal), literal)

    def _string(self, tree: Tree, depth: int) -> _Node:
        value = str(tree.children[0])[1:-1]
        return _constant(value, _quote(value))

    def _ref(self, tree: Tree, depth: int) -> _Node:
        name = str(tree.children[0])[2:-1]
        self.references.add(name)
        return _Node(lambda answers, current, today: answers.get(name), f"${{{name}}}", _ATOM,
                     False, name)

    def _current(self, tree: Tree, depth: int) -> _Node:
        self.uses_current = True
        return _Node(lambda answers, current, today: current, ".", _ATOM, False)

    def _negate(self, tree: Tree, depth: int) -> _Node:
        operand = self.compile(tree.children[-1], depth)
        inner = operand.evaluate
        text = operand.text if operand.precedence >= _UNARY else f"({operand.text})"
        return _Node(lambda answers, current, today: negate(inner(answers, current, today)),
                     f"- {text}" if text.startswith("-") else f"-{text}", _UNARY, operand.constant)

    def _binary(self, tree: Tree, depth: int) -> _Node:
        left_tree, operator, right_tree = tree.children
        left, right = self.compile(left_tree, depth), self.compile(right_tree, depth)
        precedence = _PRECEDENCE[operator.type]
        symbol = {"SLASH": "div"}.get(operator.type, str(operator))
        left_text = left.text if left.precedence >= precedence else f"({left.text})"
        # Operators group from the left, so a right operand of equal rank keeps its brackets.
        right_text = right.text if right.precedence > precedence else f"({right.text})"
        text = f"{left_text} {symbol} {right_text}"
        evaluate = _binary_evaluator(symbol, left, right)
        return _Node(evaluate, text, precedence, left.constant and right.constant)

    def _call(self, tree: Tree, depth: int) -> _Node:
        name_token, arguments = tree.children
        name = str(name_token)
        spec = FUNCTION_SPECS.get(name)
        if spec is None:
            raise _unknown_function(name, name_token.start_pos, self.text)
        args = [self.compile(child, depth) for child in (arguments.children if arguments else [])]
        if len(args) < spec.min_args or (spec.max_args is not None and len(args) > spec.max_args):
            raise _fail(f"{name}() {_arity(spec.min_args, spec.max_args)} but has {len(args)}",
                        name_token.start_pos, self.text, f"write {spec.usage}")
        self.functions.add(name)
        text = f"{name}({', '.join(arg.text for arg in args)})"
        constant = not spec.depends_on_today and all(arg.constant for arg in args)
        return _Node(spec.build([arg.evaluate for arg in args]), text, _ATOM, constant)


def _arity(least: int, most: int | None) -> str:
    def count(n: int) -> str:
        return f"{n} argument{'' if n == 1 else 's'}"

    if most is None:
        return f"needs at least {count(least)}"
    if least == most:
        return f"takes {count(least)}" if least else "takes no arguments"
    return f"takes {least} to {count(most)}"


def _unknown_function(name: str, position: int, text: str) -> ExpressionError:
    known = ", ".join(sorted(FUNCTIONS))
    close = difflib.get_close_matches(name, sorted(FUNCTIONS), n=1, cutoff=0.6)
    if not close:
        close = [f for f in sorted(FUNCTIONS) if f.lower() == name.lower()]
    guess = f"did you mean {close[0]}()? " if close else ""
    return _fail(f"unknown function {name}()", position, text, f"{guess}Known functions: {known}")


def _binary_evaluator(symbol: str, left: _Node, right: _Node) -> Evaluator:
    first, second = left.evaluate, right.evaluate
    if symbol == "and":
        return lambda answers, current, today: (
            to_boolean(first(answers, current, today))
            and to_boolean(second(answers, current, today)))
    if symbol == "or":
        return lambda answers, current, today: (
            to_boolean(first(answers, current, today))
            or to_boolean(second(answers, current, today)))
    if symbol in COMPARISONS and right.constant:
        fast = _compare_with_constant(symbol, left, right.evaluate({}, None, None))
        if fast is not None:
            return fast
    operate = COMPARISONS.get(symbol) or ARITHMETIC[symbol]
    return lambda answers, current, today: operate(
        first(answers, current, today), second(answers, current, today))


_PLAIN_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}


def _compare_with_constant(symbol: str, left: _Node, constant: Any) -> Evaluator | None:
    """A faster ``${q} = 'code'`` or ``${q} >= 3``: the commonest conditions in checklists.

    When the answer has the "plain" type for the constant, Python's own comparison gives the
    language's result: a text answer against text that is neither empty nor a number compares
    as text (``=`` and ``!=`` only), a number against a number compares as numbers. Any other
    answer takes the general path.
    """
    general, test, name, first = COMPARISONS[symbol], _PLAIN_TESTS[symbol], left.name, left.evaluate
    if isinstance(constant, str) and constant.strip() and to_number(constant) is None:
        plain: tuple[type, ...] = (str,)
        if symbol not in ("=", "!="):
            # Ordering: plain only when the answer is non-empty text that is not a number.
            def text_order(answers: Mapping[str, Any], current: Any, today: date | None) -> bool:
                value = first(answers, current, today)
                if type(value) is str and value and to_number(value) is None:
                    return test(value, constant)
                return general(value, constant)

            return text_order
    elif type(constant) in (int, float):
        plain = (int, float)
    else:
        return None
    if name is not None:  # skip one call: read the answer here
        def compare_answer(answers: Mapping[str, Any], current: Any, today: date | None) -> bool:
            value = answers.get(name)
            return test(value, constant) if type(value) in plain else general(value, constant)

        return compare_answer

    def compare(answers: Mapping[str, Any], current: Any, today: date | None) -> bool:
        value = first(answers, current, today)
        return test(value, constant) if type(value) in plain else general(value, constant)

    return compare


# -- explaining syntax errors ------------------------------------------------------------------

_VALUE_START = {"NUMBER", "STRING", "REF", "DOT", "NAME", "_LPAR"}
_VALUE_END = {"NUMBER", "STRING", "REF", "DOT", "_RPAR"}
_OPERATORS = set(_PRECEDENCE)


def _tokens(text: str) -> Iterator[Token]:
    """Yield the tokens of *text* up to the first character the lexer cannot read."""
    try:
        yield from _PARSER.lex(text)
    except UnexpectedCharacters:
        return


def _shown(token: Token | None) -> str:
    if token is None:
        return "the end of the expression"
    return str(token) if token.type == "STRING" else f"'{token}'"


def _explain(error: UnexpectedInput, text: str) -> ExpressionError:
    if isinstance(error, UnexpectedCharacters):
        return _explain_character(error.pos_in_stream, text)
    if not isinstance(error, UnexpectedToken):
        return _fail("the expression cannot be read", None, text)
    tokens = list(_tokens(text))
    bad: Token | None = None if error.token.type == "$END" else error.token
    index = len(tokens)
    if bad is not None:
        index = next((i for i, t in enumerate(tokens) if t.start_pos == bad.start_pos), index)
    before = tokens[index - 1] if index > 0 else None
    following = tokens[index + 1] if bad is not None and index + 1 < len(tokens) else None
    # Which brackets are open at the fault: (position, whether it opens a function call).
    opened: list[tuple[int, bool]] = []
    for i, token in enumerate(tokens[:index]):
        if token.type == "_LPAR":
            opened.append((token.start_pos, i > 0 and tokens[i - 1].type == "NAME"))
        elif token.type == "_RPAR" and opened:
            opened.pop()
    return _explain_token(text, bad, before, following, opened)


def _explain_token(text: str, bad: Token | None, before: Token | None,
                   following: Token | None, opened: list[tuple[int, bool]]) -> ExpressionError:
    here = len(text.rstrip()) if bad is None else bad.start_pos
    if before is not None and before.type == "NAME":
        return _bare_word(before, text)
    if bad is not None and bad.type == "_RPAR" and not opened:
        return _fail("')' has no matching '('", here, text, "remove it or add the missing '('")
    if before is not None and before.type in _OPERATORS | {"_COMMA"}:
        if (bad is not None and before.type == bad.type == "EQ_OP" and str(before) == "="
                and before.end_pos == bad.start_pos):
            return _fail("'==' is not an operator", before.start_pos, text,
                         "write a single '=' to compare")
        position = before.end_pos if bad is None else here
        return _fail(f"expected a value after '{before}'", position, text,
                     f"found {_shown(bad)}; add a number, text in quotes, ${{question}} or (...)")
    if before is not None and before.type == "_LPAR" and bad is not None and bad.type == "_RPAR":
        return _fail("empty parentheses", before.start_pos, text,
                     "put an expression between them or remove them")
    if bad is None and opened:
        return _fail("the '(' is never closed", opened[-1][0], text, "add a ')'")
    if before is None or before.type == "_LPAR":
        return _fail(f"expected a value but found {_shown(bad)}", here, text,
                     "start with a number, text in quotes, ${question} or a function")
    if bad is not None and bad.type == "_COMMA" and not (opened and opened[-1][1]):
        return _fail("',' is only used between the arguments of a function", here, text,
                     "remove it, or write the function call, as in max(${a}, ${b})")
    if (bad is not None and before.type == "NUMBER" and bad.type == "NAME"
            and before.end_pos == here and str(bad)[0] in "eE"):
        return _fail("numbers cannot have an exponent", before.start_pos, text,
                     f"write the number in full instead of {before}{bad}")
    if bad is not None and before.type == bad.type == "STRING" and before.end_pos == here:
        return _fail("two texts in quotes touch", here, text,
                     "to put a ' inside text, enclose the text in double quotes: \"it's\"")
    if before.type in _VALUE_END and bad is not None and bad.type in _VALUE_START:
        return _fail(f"missing operator between {_shown(before)} and {_shown(bad)}", here, text,
                     "join them with an operator such as =, and, or, +")
    return _fail(f"unexpected {_shown(bad)}", here, text,
                 "check the operators and brackets around it")


def _bare_word(word: Token, text: str) -> ExpressionError:
    name = str(word)
    if name in FUNCTIONS:
        return _fail(f"{name} is a function and needs parentheses", word.start_pos, text,
                     f"write {FUNCTION_SPECS[name].usage}")
    return _fail(f"unexpected word '{name}'", word.start_pos, text,
                 f"put text in quotes ('{name}'), write a question as ${{{name}}}, "
                 "or add parentheses to call a function")


def _explain_character(position: int, text: str) -> ExpressionError:
    char = text[position]
    if char in "'\"":
        return _fail("this text has no closing quote", position, text, f"add a matching {char}")
    if char in "\u2018\u2019\u201c\u201d":
        return _fail(f"curly quote {char}", position, text, "use straight quotes ' or \"")
    if char == "$":
        return _explain_reference(position, text)
    if char == "&":
        return _fail("unexpected character '&'", position, text, "write 'and'")
    if char == "|":
        return _fail("unexpected character '|'", position, text, "write 'or'")
    if char == "!":
        return _fail("'!' must be followed by '='", position, text,
                     "write != for 'not equal', or not(...) to negate")
    if char == "_" or char.isalpha():
        return _fail(f"unexpected character {char!r}", position, text,
                     "names start with a letter A-Z and use only letters, digits and _")
    return _fail(f"unexpected character {char!r}", position, text,
                 "remove it or put text in quotes")


def _explain_reference(position: int, text: str) -> ExpressionError:
    if text[position + 1:position + 2] != "{":
        return _fail("'$' must start a question reference", position, text,
                     "write ${question_id}")
    name = _NAME_AT.match(text, position + 2)
    if name is None:
        return _fail("'${' must be followed by a question id", position, text,
                     "write ${question_id}: a letter, then letters, digits or _")
    after = name.end()
    if after >= len(text):
        return _fail(f"the reference ${{{name.group()} is not closed", position, text,
                     "add '}'")
    return _fail(f"unexpected character {text[after]!r} in a question reference", after, text,
                 "question ids use only letters, digits and _, and the reference ends with '}'")
