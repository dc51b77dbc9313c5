"""The union tree, as administrators maintain it."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.domain.errors import Conflict, InvalidInput
from portal.domain.i18n import N_
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member, Union, UnionKind, add_union
from portal.services import audit
from portal.services.access import require_role, scope_union
from portal.services.unit_of_work import unit_of_work


def union_tree(actor) -> list[tuple[Union, int, int]]:
    """(union, depth, member count) in tree order, limited to the actor's subtree."""
    scope = scope_union(actor)
    stmt = select(Union)
    if scope is not None:
        stmt = stmt.where(Union.path.startswith(scope.path))
    unions = list(db.session.scalars(stmt))
    counts = dict(db.session.execute(
        select(Member.union_id, func.count(Member.id)).group_by(Member.union_id)
    ).all())
    by_parent: dict[int | None, list[Union]] = {}
    ids = {union.id for union in unions}
    for union in unions:
        parent = union.parent_id if union.parent_id in ids else None
        by_parent.setdefault(parent, []).append(union)
    ordered: list[tuple[Union, int, int]] = []

    def walk(parent_id, depth):
        for union in sorted(by_parent.get(parent_id, []), key=lambda u: u.code):
            ordered.append((union, depth, counts.get(union.id, 0)))
            walk(union.id, depth + 1)

    walk(None, 0)
    return ordered


def find_union(code: str) -> Union:
    """The union with ``code`` (as typed: spaces and case do not matter), or ``InvalidInput``."""
    union = db.session.scalar(select(Union).where(Union.code == code.strip().upper()))
    if union is None:
        raise InvalidInput(N_("找不到工会代码 %(union_code)s。"), field="union_code", union_code=code)
    return union


@unit_of_work
def create_union(actor, *, code: str, name: str, kind: str, parent_code: str | None) -> Union:
    """Add a union below ``parent_code`` (administrators only)."""
    require_role(actor, Role.ADMIN)
    code, name = code.strip().upper(), name.strip()
    if not code or not name:
        raise InvalidInput(N_("请填写工会代码和名称。"), field="code")
    try:
        kind = UnionKind(kind)
    except ValueError:
        raise InvalidInput(N_("请选择工会类型。"), field="kind") from None
    if db.session.scalar(select(Union.id).where(Union.code == code)):
        raise Conflict(N_("工会代码 %(union_code)s 已被使用。"), field="code", union_code=code)
    parent = None
    if parent_code:
        parent = db.session.scalar(select(Union).where(Union.code == parent_code.strip().upper()))
        if parent is None:
            raise InvalidInput(N_("找不到上级工会 %(parent_code)s。"), field="parent_code", parent_code=parent_code)
    elif kind is not UnionKind.FEDERATION:
        raise InvalidInput(N_("除市总工会外，每个工会都要有上级工会。"), field="parent_code")
    union = add_union(code, name, kind, parent, district=parent.district if parent else name)
    audit.record(actor, "union.create", "union", union.id, code=code, parent=parent_code)
    return union
