"""Answers as people type them → typed values, and the checks a form applies to them.

Form posts, spreadsheet imports and the synthetic data generator all go through
:func:`coerce`, so a value means the same thing whichever way it arrived. Skip logic itself
(which questions are relevant) is decided by the compliance engine's logic pass; the functions
here take that set as an argument.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from monitor.checklists.expr import ExpressionError, is_empty, parse
from monitor.checklists.schema import Checklist, Question, QuestionType
from monitor.core.messages import N_


class AnswerError(ValueError):
    """A typed value cannot be read as an answer to this question; the message says why.

    The message is a :class:`~monitor.core.messages.Message`: English as text, translated
    where a page shows it beside the question.
    """


_NUMBER = re.compile(r"^[+-]?\d{1,3}([ .,\u00a0\u202f]\d{3})*([.,]\d+)?$|^[+-]?\d+([.,]\d+)?$")


def _number(text: str) -> Decimal:
    """Read ``1 234,5``, ``1,234.5``, ``12,5`` or ``12.5`` as a number."""
    cleaned = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not _NUMBER.match(cleaned):
        raise AnswerError(N_("'%(text)s' is not a number.", text=text))
    cleaned = cleaned.replace(" ", "")
    if "," in cleaned and "." in cleaned:
        # The separator that comes last is the decimal one: 1.234,5 or 1,234.5.
        decimal_sep = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal_sep, ".")
    elif "," in cleaned:
        head, _, tail = cleaned.rpartition(",")
        # 1,234 with exactly three digits after one comma is ambiguous; read as thousands only
        # when it has several groups (1,234,567); otherwise a decimal comma (12,5 / 1,234 → 1.234).
        cleaned = cleaned.replace(",", "") if cleaned.count(",") > 1 else f"{head}.{tail}"
    try:
        return Decimal(cleaned)
    except InvalidOperation as error:
        raise AnswerError(N_("'%(text)s' is not a number.", text=text)) from error


def coerce(question: Question, raw: Any) -> Any:
    """Return *raw* (text from a form or a file, or an already typed value) as a typed answer.

    Empty input gives ``None``. :raises AnswerError: the input does not fit the question type.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == "") or raw == []:
        return None
    kind = question.type
    if kind is QuestionType.INTEGER:
        if isinstance(raw, bool):
            raise AnswerError(N_("Give a whole number."))
        if isinstance(raw, int):
            return raw
        value = raw if isinstance(raw, (float, Decimal)) else _number(str(raw))
        if Decimal(str(value)) != Decimal(str(value)).to_integral_value():
            raise AnswerError(N_("'%(text)s' is not a whole number.", text=raw))
        return int(value)
    if kind in (QuestionType.DECIMAL, QuestionType.CALCULATE):
        if isinstance(raw, bool):
            raise AnswerError(N_("Give a number."))
        if isinstance(raw, (int, float)):
            return float(raw)
        if kind is QuestionType.CALCULATE:
            try:
                return float(_number(str(raw)))
            except AnswerError:
                return str(raw)
        return float(_number(str(raw)))
    if kind is QuestionType.DATE:
        if isinstance(raw, date):
            return raw.isoformat()
        try:
            return date.fromisoformat(str(raw).strip()[:10]).isoformat()
        except ValueError as error:
            raise AnswerError(N_("'%(text)s' is not a date (write it as YYYY-MM-DD).",
                                  text=raw)) from error
    if kind is QuestionType.SELECT_MANY:
        codes = raw.split() if isinstance(raw, str) else [str(c) for c in raw]
        unknown = [c for c in codes if c not in question.choice_codes()]
        if unknown:
            raise AnswerError(N_("'%(text)s' is not one of the choices.", text=unknown[0]))
        ordered = [c for c in question.choice_codes() if c in codes]  # stable order, no repeats
        return ordered or None
    if kind in (QuestionType.YES_NO, QuestionType.YES_NO_PARTLY_NA, QuestionType.SELECT_ONE):
        code = str(raw).strip()
        if isinstance(raw, bool):
            code = "yes" if raw else "no"
        if code not in question.choice_codes():
            lowered = {c.lower(): c for c in question.choice_codes()}
            if code.lower() in lowered:
                return lowered[code.lower()]
            raise AnswerError(N_("'%(text)s' is not one of the choices.", text=raw))
        return code
    text = str(raw).replace("\r\n", "\n").strip()
    if kind is QuestionType.TEXT:
        text = " ".join(text.split())
    return text or None


def constraint_problems(checklist: Checklist, values: Mapping[str, Any],
                        relevant: Collection[str], language: str = "en") -> dict[str, str]:
    """Return question id → message for every answered, relevant question whose constraint fails.

    Each message is the checklist's own, in *language* (see :func:`constraint_message`).
    """
    problems: dict[str, str] = {}
    for question in checklist.questions():
        if question.constraint is None or question.id not in relevant or question.is_computed:
            continue
        value = values.get(question.id)
        if is_empty(value):
            continue
        try:
            ok = parse(question.constraint).test(values, value)
        except ExpressionError:  # the validator refuses such checklists; be safe anyway
            ok = True
        if not ok:
            problems[question.id] = constraint_message(question, language)
    return problems


def constraint_message(question: Question, language: str = "en") -> str:
    """What a refused answer to *question* shows: the checklist's constraint message in
    *language*, else a general one (a :class:`~monitor.core.messages.Message`, which the page
    translates)."""
    written = question.constraint_message.get(language) if question.constraint_message else None
    return written or N_("This value is not possible.")


def missing_required(checklist: Checklist, values: Mapping[str, Any],
                     relevant: Collection[str]) -> list[str]:
    """Return the ids of relevant required questions without an answer, in checklist order."""
    return [q.id for q in checklist.questions()
            if q.required and not q.is_computed and q.id in relevant and is_empty(values.get(q.id))]


def answered(values: Mapping[str, Any], ids: Iterable[str]) -> int:
    """Count how many of *ids* have a non-empty answer."""
    return sum(1 for i in ids if not is_empty(values.get(i)))
