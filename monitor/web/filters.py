"""Jinja filters and globals shared by every page.

Dates and numbers are written the way the page's language writes them (Babel's locale data:
"12 mar 2024" and "1.234,5" in Spanish, "Mar 12, 2024" and "1,234.5" in English); templates
use ``|date`` and ``|number`` rather than printing the raw value.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import pycountry
from flask import Flask, g
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import lazy_gettext as _l

from monitor.core.text import fold
from monitor.db.models import (
    FacilityStatus,
    FacilityType,
    FindingStatus,
    InterviewKind,
    OperatorKind,
    RecommendationStatus,
    Role,
    VisitScope,
    VisitState,
)
from monitor.db.models.finding import Severity
from monitor.db.models.interview import Urgency
from monitor.db.models.recommendation import Priority
from monitor.services.facilities import country_name

#: How a stored code reads on a page, for codes shown outside a form (``{{ visit.state|label }}``):
#: enum class → member → text. Keyed by class first because the codes are ``StrEnum`` members
#: that compare equal across classes (``Priority.LOW == Urgency.LOW == "low"``). The wording
#: is the one the forms and the result labels already use, so each is translated once.
CODE_LABELS: dict[type[enum.Enum], dict[enum.Enum, Any]] = {
    VisitState: {
        VisitState.DRAFT: _l("Draft"),
        VisitState.SUBMITTED: _l("Submitted"),
        VisitState.RETURNED: _l("Returned"),
        VisitState.REVIEWED: _l("Reviewed"),
        VisitState.PUBLISHED: _l("Published"),
    },
    VisitScope: {
        VisitScope.FULL: _l("Full visit"),
        VisitScope.THEMATIC: _l("Thematic visit"),
        VisitScope.FOLLOW_UP: _l("Follow-up visit"),
    },
    Role: {
        Role.ADMIN: _l("Administrator"),
        Role.COORDINATOR: _l("Coordinator"),
        Role.MONITOR: _l("Monitor"),
        Role.VIEWER: _l("Viewer"),
    },
    FacilityStatus: {
        FacilityStatus.IN_USE: _l("In use"),
        FacilityStatus.CLOSED: _l("Closed"),
        FacilityStatus.UNKNOWN: _l("Unknown"),
    },
    OperatorKind: {
        OperatorKind.PUBLIC: _l("Public authority"),
        OperatorKind.PRIVATE: _l("Private contractor"),
        OperatorKind.UNKNOWN: _l("Unknown"),
    },
    FacilityType: {
        FacilityType.IMMIGRATION_DETENTION_CENTRE: _l("Dedicated immigration detention centre"),
        FacilityType.PRISON: _l("Prison or jail holding migrants"),
        FacilityType.POLICE_STATION: _l("Police station"),
        FacilityType.TRANSIT_ZONE: _l("Airport or port transit zone"),
        FacilityType.BORDER_POST: _l("Border holding post"),
        FacilityType.CLOSED_RECEPTION_CENTRE: _l("Closed reception or asylum centre"),
        FacilityType.CHILDREN_SHELTER: _l("Children's shelter"),
        FacilityType.OTHER: _l("Other"),
    },
    InterviewKind: {
        InterviewKind.INDIVIDUAL: _l("Individual (a detained person)"),
        InterviewKind.GROUP: _l("Group of detained people"),
        InterviewKind.STAFF: _l("Staff member"),
        InterviewKind.MANAGEMENT: _l("Management"),
        InterviewKind.EXTERNAL: _l("External (lawyer, doctor, NGO, consulate…)"),
    },
    Urgency: {
        Urgency.NONE: _l("No follow-up needed"),
        Urgency.LOW: _l("Low"),
        Urgency.MEDIUM: _l("Medium"),
        Urgency.HIGH: _l("High"),
        Urgency.URGENT: _l("Urgent: risk to life or health"),
    },
    FindingStatus: {
        FindingStatus.COMPLIANT: _l("Compliant"),
        FindingStatus.PARTIALLY_COMPLIANT: _l("Partially compliant"),
        FindingStatus.NON_COMPLIANT: _l("Not compliant"),
        FindingStatus.NOT_ASSESSED: _l("Not assessed"),
    },
    Severity: {
        Severity.LOW: _l("low"),
        Severity.MEDIUM: _l("medium"),
        Severity.HIGH: _l("high"),
        Severity.CRITICAL: _l("critical"),
    },
    RecommendationStatus: {
        RecommendationStatus.SUGGESTED: _l("Suggested"),
        RecommendationStatus.NOT_IMPLEMENTED: _l("Not implemented"),
        RecommendationStatus.IN_PROGRESS: _l("In progress"),
        RecommendationStatus.PARTIALLY_IMPLEMENTED: _l("Partially implemented"),
        RecommendationStatus.IMPLEMENTED: _l("Implemented"),
        RecommendationStatus.REJECTED: _l("Rejected by the authority"),
        RecommendationStatus.NO_LONGER_APPLICABLE: _l("No longer applicable"),
    },
    Priority: {
        Priority.LOW: _l("low"),
        Priority.MEDIUM: _l("medium"),
        Priority.HIGH: _l("high"),
        Priority.URGENT: _l("urgent"),
    },
}


def register(app: Flask) -> None:
    """Make the filters available to templates."""
    app.add_template_filter(_date, "date")
    app.add_template_filter(_number, "number")
    app.add_template_filter(country, "country")
    app.add_template_filter(countries_in_order, "countries")
    app.add_template_filter(_label, "label")

    @app.context_processor
    def globals_() -> dict[str, Any]:
        return {"current_user": g.get("user"), "current_language": str(get_locale() or "en")}


def _date(value: date | datetime | None, style: str = "medium") -> str:
    if value is None:
        return "—"
    return format_date(value, format=style)


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return format_decimal(value)
    return format_decimal(round(value, digits), format="#,##0." + "#" * digits if digits else "#,##0")


def country(iso3: str | None) -> str:
    """The country's name in the page's language ("México"), from its ISO 3166-1 alpha-3 code.

    Babel's locale data names the territories; a code Babel does not name keeps the English
    name of the registry, and an unknown code is shown as given.
    """
    if not iso3:
        return ""
    found = pycountry.countries.get(alpha_3=str(iso3).upper())
    locale = get_locale()
    name = locale.territories.get(found.alpha_2) if found is not None and locale else None
    return name or country_name(str(iso3))


def countries_in_order(choices: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(alpha-3, name)`` pairs named in the page's language and sorted by that name."""
    named = [(code, country(code)) for code, _name in choices]
    return sorted(named, key=lambda pair: fold(pair[1]))


def _label(text: Any) -> str:
    """Render a checklist LocalText, or a stored code (an enum member), in the page's language."""
    if text is None:
        return ""
    if isinstance(text, enum.Enum):
        label = CODE_LABELS.get(type(text), {}).get(text)
        return str(label) if label is not None else str(text.value)
    getter = getattr(text, "get", None)
    return getter(str(get_locale() or "en")) if getter else str(text)
