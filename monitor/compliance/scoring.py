"""Scores and ratings of monitoring areas: the arithmetic and the wording of each rating.

The rules themselves (what counts, the bands, the minimum share assessed, the caps) are set out
for people in the docstring of :mod:`monitor.compliance.engine`, which calls these functions;
this module keeps them small and separately testable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.checklists.schema import LocalText
from monitor.compliance.standards import Catalogue
from monitor.compliance.types import RATING_LABELS, RedFlagResult, Status

__all__ = ["MIN_ASSESSED_SHARE", "RATING_BANDS", "Breach", "Counts", "find_breaches", "rate"]

#: An area is rated only when at least this share of the standards asked is assessed.
MIN_ASSESSED_SHARE = 0.5
#: (rating, lowest score) from best to worst; a score below the last band is rated 1 (poor).
RATING_BANDS: tuple[tuple[int, float], ...] = ((4, 0.85), (3, 0.65), (2, 0.40))

_NA = Status.NOT_ASSESSED
_PART = Status.PARTIALLY_COMPLIANT
_MET = Status.COMPLIANT
_LABELS = {rating: (text.get("en"), text.get("es")) for rating, text in RATING_LABELS.items()}


@dataclass(frozen=True, slots=True)
class Counts:
    """How many standards of an area the checklist judges, asked, assessed, met, partly met."""

    total: int
    asked: int
    assessed: int
    met: int
    partly: int

    @classmethod
    def of(cls, statuses: Sequence[Status], asked: Sequence[bool]) -> Counts:
        """Count an area's standards from their statuses.

        :param statuses: the status of each standard in the area.
        :param asked: for each, whether a question judging it was asked.
        """
        met = partly = assessed = 0
        for status in statuses:
            if status is _MET:
                met += 1
            elif status is _PART:
                partly += 1
            elif status is _NA:
                continue
            assessed += 1
        return cls(len(statuses), sum(asked), assessed, met, partly)

    @property
    def score(self) -> float | None:
        """``(met + 0.5 × partly) / assessed``; ``None`` when nothing is assessed."""
        return (self.met + 0.5 * self.partly) / self.assessed if self.assessed else None

    @property
    def share(self) -> float | None:
        """``assessed / asked``; ``None`` when nothing was asked."""
        return self.assessed / self.asked if self.asked else None


@dataclass(frozen=True, slots=True)
class Breach:
    """A critical breach: a raised critical red flag, or one answer a critical rule condemned."""

    flag: RedFlagResult | None = None
    question_id: str | None = None
    standards: tuple[str, ...] = ()

    def describe(self, catalogue: Catalogue, language: str) -> str:
        """Name the breach for a rating rule (``red flag 'Children detained' (children_held)``)."""
        if self.flag is not None:
            label = self.flag.label.get(language)
            ids = ", ".join(item.question_id for item in self.flag.evidence)
            shown = f"«{label}»" if language == "es" else f"'{label}'"
            word = "bandera roja" if language == "es" else "red flag"
            return f"{word} {shown} ({ids})" if ids else f"{word} {shown}"
        cited = " / ".join(
            catalogue.standards[s].citation(language) if s in catalogue.standards else s
            for s in self.standards)
        word = "incumplimiento crítico de" if language == "es" else "critical breach of"
        return f"{word} {cited} ({self.question_id})"


def find_breaches(flags: list[RedFlagResult], breached: Mapping[str, Sequence[str]]
                  ) -> list[Breach]:
    """The critical breaches of one area, each situation counted once.

    Every raised critical red flag of the area is one breach. Every question whose critical
    rule made a standard of the area non-compliant is one more, unless a red flag of the area
    already reads that question or cites every standard the question breaches there: one
    answer (or one situation a red flag names) must not cap an area twice.

    :param flags: the raised critical red flags that belong to the area.
    :param breached: question id -> the standards of the area its critical rule found
        non-compliant (where that made the standard's status in the area non-compliant).
    :returns: the breaches, red flags first, then questions in checklist order.
    """
    breaches = [Breach(flag=flag) for flag in flags]
    flagged_questions = {item.question_id for flag in flags for item in flag.evidence}
    flagged_standards = {standard for flag in flags for standard in flag.standards}
    for question_id, standards in breached.items():
        if question_id in flagged_questions or all(s in flagged_standards for s in standards):
            continue
        breaches.append(Breach(question_id=question_id, standards=tuple(standards)))
    return breaches


def band(counts: Counts) -> tuple[int, float | None]:
    """The rating a score earns, and the band's lower bound (``None`` for poor).

    Compared in whole half-points, so a score of exactly 0.85 is never judged 0.8499….

    :param counts: the area's counts, with at least one standard assessed.
    """
    half_points = 2 * counts.met + counts.partly
    for rating, lowest in RATING_BANDS:
        if half_points * 100 >= round(lowest * 100) * 2 * counts.assessed:
            return rating, lowest
    return 1, None


def _text(en: str, es: str) -> LocalText:
    return LocalText((("en", en), ("es", es)))


def rate(counts: Counts, breaches: list[Breach], catalogue: Catalogue
         ) -> tuple[int | None, LocalText]:
    """Rate an area and say which rule gave the rating, in English and Spanish.

    :param counts: the area's counts.
    :param breaches: its critical breaches (:func:`find_breaches`).
    :param catalogue: where breached standards are cited from.
    :returns: the rating (4 good … 1 poor, ``None`` not rated) and the rule that gave it.
    """
    if counts.total == 0:
        return None, _text("not rated: no section of the checklist judges a standard here",
                           "sin calificación: ninguna sección de la lista evalúa normas de esta "
                           "área")
    if counts.asked == 0:
        return None, _text("not rated: no question about this area was asked",
                           "sin calificación: no se hizo ninguna pregunta sobre esta área")
    if counts.assessed == 0 or counts.assessed < MIN_ASSESSED_SHARE * counts.asked:
        share = counts.assessed / counts.asked
        reason = _text(
            f"not rated: {counts.assessed} of {counts.asked} standards examined were assessed "
            f"({share:.0%}); at least {MIN_ASSESSED_SHARE:.0%} are needed",
            f"sin calificación: se evaluaron {counts.assessed} de {counts.asked} normas "
            f"examinadas ({share:.0%}); se necesita al menos el {MIN_ASSESSED_SHARE:.0%}")
        return None, _with_breaches(reason, breaches, catalogue)
    rating, lowest = band(counts)
    score = counts.score
    assert score is not None
    cap = 1 if len(breaches) >= 2 else 2 if breaches else None
    if cap is not None and rating > cap:
        return cap, _capped(cap, breaches, catalogue)
    label_en, label_es = _LABELS[rating]
    if lowest is None:
        bottom = RATING_BANDS[-1][1]
        reason = _text(f"by score: {score:.2f} is below {bottom:.2f} ('{label_en}')",
                       f"por puntuación: {score:.2f} es menor que {bottom:.2f} ('{label_es}')")
    else:
        reason = _text(f"by score: {score:.2f} is at least {lowest:.2f} ('{label_en}')",
                       f"por puntuación: {score:.2f} es al menos {lowest:.2f} ('{label_es}')")
    return rating, _with_breaches(reason, breaches, catalogue)


def _with_breaches(reason: LocalText, breaches: list[Breach], catalogue: Catalogue) -> LocalText:
    """Name the breaches after a rule they did not decide, so no rating hides one."""
    if not breaches:
        return reason
    return _text(f"{reason.get('en')}; {_listed(breaches, catalogue, 'en')}",
                 f"{reason.get('es')}; {_listed(breaches, catalogue, 'es')}")


def _listed(breaches: list[Breach], catalogue: Catalogue, language: str) -> str:
    return "; ".join(b.describe(catalogue, language) for b in breaches)


def _capped(cap: int, breaches: list[Breach], catalogue: Catalogue) -> LocalText:
    label_en, label_es = _LABELS[cap]
    listed_en, listed_es = _listed(breaches, catalogue, "en"), _listed(breaches, catalogue, "es")
    if len(breaches) == 1:
        return _text(f"capped at '{label_en}': {listed_en}", f"limitada a '{label_es}': {listed_es}")
    return _text(f"capped at '{label_en}': {len(breaches)} critical breaches: {listed_en}",
                 f"limitada a '{label_es}': {len(breaches)} incumplimientos críticos: {listed_es}")
