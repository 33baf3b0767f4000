"""What may leave the system in public output, and in what form. Pure: no database, no Flask.

The public gate (:mod:`monitor.services.public`) reads published visits and hands every value
through the rules here before a page, a map or an open-data file sees it.

Decisions, written down so that reviewers can disagree with them:

* **Small counts.** A count of people below ``minimum`` (``Settings.min_public_count``, 5 by
  default) is shown as "fewer than 5", never as the number: "2 unaccompanied children" in a
  small facility in a given month can point at two real children. **Zero stays 0**: it
  describes nobody, and writing "fewer than 5" for 0 would hide the good news that a facility
  held no children. Counts of 0 and counts suppressed sit side by side without leaking
  anything, because the suppressed range (1…minimum-1) never includes 0.
* **Derived figures.** A figure from which a suppressed count can be worked out goes with it:
  the occupancy rate (population ÷ capacity, and the capacity is public) is withheld whenever
  the population is.
* **Sums of several facilities.** A country total that includes a suppressed facility count is
  given as a lower bound ("at least 120": the sum of the counts that are shown), never as the
  exact total, which would let anyone subtract the published facilities and recover the
  hidden one.
* **Facts about one person.** The longest detention seen and the longest solitary
  confinement are about a single individual; they are not published at all (the red flag
  "solitary confinement beyond 15 days" still is).
* **Dates** of visits and publication are given as months (``2024-03``): an exact day next to
  a small facility can be matched with one person's release or transfer.
* **Never public**, whatever the state of the visit: answers to sensitive questions and every
  free-text note, interview content and codes, names and e-mail addresses of team members,
  review comments, the team's internal notes on a visit or a facility, the answers quoted as
  evidence in findings (a finding is published as its status and the standard it cites), the
  notes and authority responses recorded when following up a recommendation, and suggested
  (unconfirmed) recommendations.
* **Recommendations** the team confirmed and that belong to a published visit are public as
  the standards they cite, their priority, status and the month they were issued. Their
  wording is not: the engine's suggestions quote the visit's answers ("At this visit: 2 …"),
  which would undo the suppression of small counts, and a team may edit in anything.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

#: Summary fields (columns of ``visit_summaries``) that may be published, in export order.
PUBLIC_SUMMARY_FIELDS: tuple[str, ...] = (
    "population",
    "capacity",
    "occupancy_rate",
    "children",
    "unaccompanied_children",
    "women",
    "legal_access_denials",
    "deaths",
    "days_to_doctor",
    "m2_per_person",
    "hours_outdoors",
    "access_obstructed",
    "red_flag_count",
    "red_flag_codes",
    "score_overall",
    "share_assessed",
    "standards_met",
    "standards_assessed",
)

#: Counts of people: below the minimum they are written as "fewer than N".
SUPPRESSED_COUNTS: frozenset[str] = frozenset(
    {"population", "children", "unaccompanied_children", "women", "legal_access_denials", "deaths"}
)

#: Figures withheld whenever the count they are derived from is suppressed.
DERIVED_FROM: Mapping[str, str] = {"occupancy_rate": "population"}

#: Finding fields that may be published (no evidence, no sentence quoting the answers).
PUBLIC_FINDING_FIELDS: tuple[str, ...] = ("standard_id", "area_id", "status", "severity")

#: Summary fields that are never published (kept here so a test can check both lists).
PRIVATE_SUMMARY_FIELDS: frozenset[str] = frozenset(
    {"longest_detention_days", "solitary_max_days", "indicators", "computed_at", "engine_version"}
)


class Suppressed(str):
    """A count too small to publish. Behaves as the text ``"fewer than N"``.

    Pages that translate their words read :attr:`minimum` and write the sentence in the
    reader's language; CSV files get the English text, which the data dictionary explains.
    """

    minimum: int

    def __new__(cls, minimum: int) -> Suppressed:  # noqa: PYI034 - always this class
        text = super().__new__(cls, f"fewer than {minimum}")
        text.minimum = minimum
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (Suppressed, (self.minimum,))


@dataclass(frozen=True)
class LowerBound:
    """A total given as "at least *value*" because some of its parts were suppressed."""

    value: int

    def __str__(self) -> str:
        return f"at least {self.value}"


PublicCount = int | Suppressed | None
PublicTotal = int | Suppressed | LowerBound | None


def suppress(count: float | None, minimum: int) -> PublicCount:
    """Return a count as it may be published.

    :param count: a number of people (``None``: not known).
    :param minimum: the smallest count shown as a number (``Settings.min_public_count``).
    :returns: ``None`` for an unknown count, ``0`` for zero, the count itself from *minimum*
        up, and a :class:`Suppressed` ("fewer than *minimum*") for 1 … *minimum* - 1.
    :raises ValueError: a negative count, a count that is not a whole number, or a minimum
        below 1.
    """
    if minimum < 1:
        raise ValueError(f"The minimum public count must be 1 or more, not {minimum}.")
    if count is None or (isinstance(count, float) and math.isnan(count)):
        return None
    if isinstance(count, bool) or int(count) != count:
        raise ValueError(f"A count of people must be a whole number, not {count!r}.")
    number = int(count)
    if number < 0:
        raise ValueError(f"A count of people cannot be negative ({number}).")
    if 0 < number < minimum:
        return Suppressed(minimum)
    return number


def is_suppressed(value: Any) -> bool:
    """True for a value that :func:`suppress` or :func:`suppressed_total` withheld."""
    return isinstance(value, Suppressed)


def suppressed_total(counts: Iterable[int | float | None], minimum: int) -> PublicTotal:
    """Add up the counts of several facilities without revealing a suppressed one.

    :param counts: the exact counts (``None``: not known; skipped).
    :param minimum: as for :func:`suppress`.
    :returns: ``None`` when no count is known; the exact sum (itself passed through
        :func:`suppress`) when no part is suppressed; otherwise the sum of the parts that are
        shown as a :class:`LowerBound`, or :class:`Suppressed` when every known part is
        suppressed or zero.
    """
    shown = 0
    hidden = 0
    known = False
    for count in counts:
        value = suppress(count, minimum)
        if value is None:
            continue
        known = True
        if isinstance(value, Suppressed):
            hidden += 1
        else:
            shown += value
    if not known:
        return None
    if hidden == 0:
        return suppress(shown, minimum)
    if shown == 0:
        return Suppressed(minimum)
    return LowerBound(shown)


def numeric_value(value: PublicTotal) -> float | None:
    """A number to colour a map with: the count, the lower bound, or ``None``.

    Suppressed values have no number; map legends give them a class of their own.
    """
    if value is None or isinstance(value, Suppressed):
        return None
    if isinstance(value, LowerBound):
        return float(value.value)
    return float(value)


def public_figures(summary: Mapping[str, Any], minimum: int) -> dict[str, Any]:
    """Keep only the public fields of a visit summary, with small counts suppressed.

    :param summary: field → value, e.g. the columns of a ``VisitSummary`` row.
    :param minimum: as for :func:`suppress`.
    :returns: every field of :data:`PUBLIC_SUMMARY_FIELDS` (missing ones as ``None``).
    """
    figures: dict[str, Any] = {}
    for name in PUBLIC_SUMMARY_FIELDS:
        value = summary.get(name)
        if name in SUPPRESSED_COUNTS:
            value = suppress(value, minimum)
        elif name == "red_flag_codes":
            value = sorted(str(code) for code in (value or ()))
        figures[name] = value
    for name, source in DERIVED_FROM.items():
        if isinstance(figures.get(source), Suppressed):
            figures[name] = None
    return figures


def public_month(value: date | datetime | None) -> str | None:
    """A date as the month it falls in (``2024-03``); ``None`` stays ``None``."""
    if value is None:
        return None
    return f"{value.year:04d}-{value.month:02d}"


def public_finding(finding: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only the public fields of a finding (status and standard, never the evidence)."""
    return {name: finding.get(name) for name in PUBLIC_FINDING_FIELDS}
