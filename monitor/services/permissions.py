"""Who may do what: one matrix, enforced here and only here.

Roles (a signed-in person has exactly one) and the anonymous public:

============================  =====  ===========  =======  ======  ======
action                        admin  coordinator  monitor  viewer  public
============================  =====  ===========  =======  ======  ======
public.view                   yes    yes          yes      yes     yes
facility.view                 yes    yes          yes      yes     no
facility.edit                 yes    yes          yes      no      no
facility.merge                yes    yes          no       no      no
facility.import               yes    yes          no       no      no
visit.view                    org    org          org      org     no
visit.create                  yes    yes          yes      no      no
visit.edit                    org    org          team     no      no
visit.submit                  org    org          team     no      no
visit.review                  org*   org*         no       no      no
visit.publish                 org*   org*         no       no      no
visit.unpublish               org    org          no       no      no
interview.view                org    org          team     no      no
interview.edit                org    org          team     no      no
recommendation.edit           org    org          team     no      no
report.internal               yes    yes          yes      no      no
export.internal               yes    yes          no       no      no
dashboard.view                yes    yes          yes      yes     no
users.manage                  yes    no           no       no      no
audit.view                    yes    no           no       no      no
============================  =====  ===========  =======  ======  ======

``org``: only for visits of the person's own organisation (organisations sharing a server never
see each other's unpublished work). ``team``: only visits whose team includes the person.
``*``: never by the person who created the visit (four-eyes review and publication).
"""

from __future__ import annotations

from enum import StrEnum

from monitor.core.errors import NotAllowed
from monitor.core.messages import N_
from monitor.db.models import Role, User, Visit


class Scope(StrEnum):
    ANY = "yes"
    ORG = "org"
    ORG_NOT_AUTHOR = "org*"
    TEAM = "team"


_A, _C, _M, _V = Role.ADMIN, Role.COORDINATOR, Role.MONITOR, Role.VIEWER

#: action → {role: scope}; a role missing from an action's map is refused.
MATRIX: dict[str, dict[Role, Scope]] = {
    "facility.view": {_A: Scope.ANY, _C: Scope.ANY, _M: Scope.ANY, _V: Scope.ANY},
    "facility.edit": {_A: Scope.ANY, _C: Scope.ANY, _M: Scope.ANY},
    "facility.merge": {_A: Scope.ANY, _C: Scope.ANY},
    "facility.import": {_A: Scope.ANY, _C: Scope.ANY},
    "visit.view": {_A: Scope.ORG, _C: Scope.ORG, _M: Scope.ORG, _V: Scope.ORG},
    "visit.create": {_A: Scope.ANY, _C: Scope.ANY, _M: Scope.ANY},
    "visit.edit": {_A: Scope.ORG, _C: Scope.ORG, _M: Scope.TEAM},
    "visit.submit": {_A: Scope.ORG, _C: Scope.ORG, _M: Scope.TEAM},
    "visit.review": {_A: Scope.ORG_NOT_AUTHOR, _C: Scope.ORG_NOT_AUTHOR},
    "visit.publish": {_A: Scope.ORG_NOT_AUTHOR, _C: Scope.ORG_NOT_AUTHOR},
    "visit.unpublish": {_A: Scope.ORG, _C: Scope.ORG},
    "interview.view": {_A: Scope.ORG, _C: Scope.ORG, _M: Scope.TEAM},
    "interview.edit": {_A: Scope.ORG, _C: Scope.ORG, _M: Scope.TEAM},
    "recommendation.edit": {_A: Scope.ORG, _C: Scope.ORG, _M: Scope.TEAM},
    "report.internal": {_A: Scope.ANY, _C: Scope.ANY, _M: Scope.ANY},
    "export.internal": {_A: Scope.ANY, _C: Scope.ANY},
    "dashboard.view": {_A: Scope.ANY, _C: Scope.ANY, _M: Scope.ANY, _V: Scope.ANY},
    "users.manage": {_A: Scope.ANY},
    "audit.view": {_A: Scope.ANY},
}
PUBLIC_ACTIONS = frozenset({"public.view"})


def can(user: User | None, action: str, visit: Visit | None = None) -> bool:
    """Tell whether *user* (``None``: the anonymous public) may do *action* (on *visit*)."""
    if action in PUBLIC_ACTIONS:
        return True
    if action not in MATRIX:
        raise KeyError(f"unknown action {action!r}")
    if user is None or not user.is_active:
        return False
    scope = MATRIX[action].get(user.role)
    if scope is None:
        return False
    if scope is Scope.ANY or visit is None:
        return True
    if visit.organisation_id != user.organisation_id:
        return False
    if scope is Scope.TEAM:
        return visit.created_by_id == user.id or visit.has_member(user)
    if scope is Scope.ORG_NOT_AUTHOR:
        return visit.created_by_id != user.id
    return True


def require(user: User | None, action: str, visit: Visit | None = None) -> None:
    """:raises NotAllowed: *user* may not do *action*; the message says why in plain words."""
    if can(user, action, visit):
        return
    if user is None:
        raise NotAllowed(N_("Please sign in first."))
    scope = MATRIX.get(action, {}).get(user.role)
    if scope is Scope.ORG_NOT_AUTHOR and visit is not None and visit.created_by_id == user.id:
        raise NotAllowed(N_("Another coordinator must do this: the author of a visit cannot "
                            "review or publish it (four-eyes rule)."))
    if scope is Scope.TEAM:
        raise NotAllowed(N_("Only members of the visit team (or a coordinator) can do this."))
    raise NotAllowed(N_("Your account may not do this."))
