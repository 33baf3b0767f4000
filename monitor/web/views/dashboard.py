"""The signed-in home page: what needs attention now."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from monitor.db.models import Facility, Visit
from monitor.web.auth import login_required
from monitor.web.db import get_session

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.route("/")
@login_required
def home():
    """Counts of facilities and visits, and the most recently changed facilities."""
    db = get_session()
    facility_count = db.scalar(select(func.count(Facility.id)).where(Facility.merged_into_id.is_(None)))
    country_count = db.scalar(select(func.count(func.distinct(Facility.country))))
    visit_count = db.scalar(select(func.count(Visit.id)))
    recent = db.scalars(select(Facility).where(Facility.merged_into_id.is_(None))
                        .order_by(Facility.updated_at.desc()).limit(8)).all()
    return render_template("dashboard/home.html", facility_count=facility_count,
                           country_count=country_count, visit_count=visit_count, recent=recent)
