"""Permission and organisation scope, checked by every service before it acts or queries.

A union officer (or childcare organiser) sees only its own union's subtree; federation staff
(admin, reviewer) see everything; a member sees only themself. ``union_scope`` is the one helper
every staff query uses to stay inside that boundary.
"""

from __future__ import annotations

from sqlalchemy import Select, false

from portal.domain.errors import PermissionDenied
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.models import Union

FEDERATION_WIDE_ROLES = (Role.ADMIN, Role.REVIEWER)


def role_of(actor) -> Role | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return Role(actor.role)


def require_role(actor, *roles: Role) -> None:
    """Raise ``PermissionDenied`` unless the actor holds one of ``roles``."""
    if role_of(actor) not in roles:
        raise PermissionDenied()


def scope_union(actor) -> Union | None:
    """The union whose subtree the actor may see, or ``None`` for federation-wide roles."""
    role = role_of(actor)
    if role in FEDERATION_WIDE_ROLES:
        return None
    union = getattr(actor, "union", None)
    if union is None:
        # A scoped account without a union sees nothing rather than everything.
        raise PermissionDenied(N_("该账号未关联任何工会组织，请联系管理员。"))
    return union


def union_scope(stmt: Select, actor, union_id_column) -> Select:
    """Restrict ``stmt`` to rows whose union lies in the actor's subtree."""
    role = role_of(actor)
    if role is None or role is Role.MEMBER:
        return stmt.where(false())
    union = scope_union(actor)
    if union is None:
        return stmt
    # The subtree's ids as literals, not a subquery: planners (SQLite's especially) then pick the
    # union index of the filtered table instead of scanning it by another index.
    return stmt.where(union_id_column.in_(union.subtree_ids()))


def require_union_in_scope(actor, union: Union | None) -> None:
    """Raise unless ``union`` lies in the actor's subtree (federation-wide roles pass)."""
    scope = scope_union(actor)
    if scope is None:
        return
    if not scope.contains(union):
        raise PermissionDenied(N_("该记录不属于您所在工会，无权查看或办理。"))
