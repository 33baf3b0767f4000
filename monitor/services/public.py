"""The one gate for public output: every public page, map, report and open-data export reads
visits through :func:`published_visit_ids` / :func:`public_visits`, never through its own query.

A visit is public when it is published and its publication delay has passed. What leaves through
the gate is further limited by :mod:`monitor.privacy.policy` (no sensitive answers, no interview
content, no team members or internal notes, small counts suppressed).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, select

from monitor.core.clock import utcnow
from monitor.core.settings import Settings
from monitor.db.models import Visit, VisitState, VisitSummary


def public_cutoff(settings: Settings):
    """Visits published after this moment are not public yet (publication delay)."""
    return utcnow() - timedelta(days=settings.publication_delay_days)


def published_visit_ids(settings: Settings) -> Select[tuple[int]]:
    """A subquery of the ids of visits that may appear in public output."""
    return select(Visit.id).where(Visit.state == VisitState.PUBLISHED,
                                  Visit.published_at.is_not(None),
                                  Visit.published_at <= public_cutoff(settings))


def public_summaries(settings: Settings) -> Select[tuple[VisitSummary]]:
    """Summary rows of public visits only (dashboards' public twin reads these)."""
    return select(VisitSummary).where(VisitSummary.visit_id.in_(published_visit_ids(settings)))
