"""The union tree: federation → district unions → grassroots unions (and streets, enterprises…)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.i18n import N_
from portal.extensions import db
from portal.models.base import TimestampMixin


class UnionKind(StrEnum):
    FEDERATION = "federation"  # 市总工会
    DISTRICT = "district"  # 区（市）总工会
    STREET = "street"  # 街道、园区总工会
    GRASSROOTS = "grassroots"  # 基层工会（企业、社区）


UNION_KIND_LABELS = {
    UnionKind.FEDERATION: N_("市总工会"),
    UnionKind.DISTRICT: N_("区（市）总工会"),
    UnionKind.STREET: N_("街道（园区）总工会"),
    UnionKind.GRASSROOTS: N_("基层工会"),
}


class Union(TimestampMixin, db.Model):
    __tablename__ = "unions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16), default=UnionKind.GRASSROOTS)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unions.id"))
    # Materialised path "/1/4/17/": a subtree is one indexed prefix match, on SQLite and PostgreSQL.
    path: Mapped[str] = mapped_column(String(255), index=True, default="/")
    district: Mapped[str | None] = mapped_column(String(40))
    contact_name: Mapped[str | None] = mapped_column(String(40))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    # Offered on the joining page (网上入会): district unions and the gig workers' union.
    takes_join_requests: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    parent: Mapped[Union | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Union]] = relationship(back_populates="parent", order_by="Union.code")

    @property
    def kind_label(self) -> str:
        return UNION_KIND_LABELS.get(UnionKind(self.kind), self.kind)

    def contains(self, other: Union | None) -> bool:
        """True when ``other`` is this union or lies below it."""
        return other is not None and other.path.startswith(self.path)

    def subtree_ids(self) -> list[int]:
        return list(db.session.scalars(select(Union.id).where(Union.path.startswith(self.path))))

    def __repr__(self) -> str:
        return f"<Union {self.code} {self.name}>"


def add_union(code: str, name: str, kind: UnionKind, parent: Union | None = None, **fields) -> Union:
    """Create a union and its path (which needs the id, hence the flush)."""
    union = Union(code=code, name=name, kind=kind, parent=parent, **fields)
    db.session.add(union)
    db.session.flush()
    union.path = f"{parent.path if parent else '/'}{union.id}/"
    return union
