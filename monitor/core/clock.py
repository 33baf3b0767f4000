"""Time helpers: one notion of "now" (UTC, aware) for the whole application."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def today() -> date:
    """Return today's date in UTC."""
    return utcnow().date()


def month_of(day: date | None) -> str | None:
    """Coarsen a date to its month (``2024-03``), as public pages show it."""
    return day.strftime("%Y-%m") if day else None
