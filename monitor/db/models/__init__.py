"""Every table of the application; import from here."""

from monitor.db.models.account import Organisation, Role, User
from monitor.db.models.audit import AuditEvent
from monitor.db.models.facility import (
    Facility,
    FacilityAlias,
    FacilitySource,
    FacilityStatus,
    FacilityType,
    OperatorKind,
)
from monitor.db.models.finding import AreaScore, Finding, FindingStatus, RedFlagRecord, VisitSummary
from monitor.db.models.interview import Interview, InterviewKind
from monitor.db.models.recommendation import (
    DismissedSuggestion,
    Recommendation,
    RecommendationStatus,
    RecommendationUpdate,
)
from monitor.db.models.state import DataState
from monitor.db.models.visit import Answer, Visit, VisitMember, VisitScope, VisitState

__all__ = [
    "Answer", "AreaScore", "AuditEvent", "DataState", "DismissedSuggestion", "Facility", "FacilityAlias", "FacilitySource",
    "FacilityStatus", "FacilityType", "Finding", "FindingStatus", "Interview", "InterviewKind",
    "OperatorKind", "Organisation", "Recommendation", "RecommendationStatus",
    "RecommendationUpdate", "RedFlagRecord", "Role", "User", "Visit", "VisitMember",
    "VisitScope", "VisitState", "VisitSummary",
]
