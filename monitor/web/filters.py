"""Jinja filters and globals shared by every page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g
from flask_babel import format_date, format_decimal, get_locale

from monitor.services.facilities import country_name


def register(app: Flask) -> None:
    """Make the filters available to templates."""
    app.add_template_filter(_date, "date")
    app.add_template_filter(_number, "number")
    app.add_template_filter(country_name, "country")
    app.add_template_filter(_label, "label")

    @app.context_processor
    def globals_() -> dict[str, Any]:
        return {"current_user": g.get("user"), "current_language": str(get_locale() or "en")}


def _date(value: date | datetime | None, style: str = "medium") -> str:
    if value is None:
        return "—"
    return format_date(value, format=style)


def _number(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return format_decimal(value)
    return format_decimal(round(value, digits), format="#,##0." + "#" * digits if digits else "#,##0")


def _label(text: Any) -> str:
    """Render a checklist LocalText in the page's language."""
    if text is None:
        return ""
    getter = getattr(text, "get", None)
    return getter(str(get_locale() or "en")) if getter else str(text)
