"""Who may do what: the roles of DESIGN.md."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MEMBER = "member"
    UNION_OFFICER = "union_officer"
    REVIEWER = "reviewer"
    CHILDCARE_ORGANISER = "childcare_organiser"
    ENTERPRISE = "enterprise"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.MEMBER: "职工会员",
    Role.UNION_OFFICER: "基层工会经办人",
    Role.REVIEWER: "互助会审核员",
    Role.CHILDCARE_ORGANISER: "托管班负责人",
    Role.ENTERPRISE: "爱心企业联系人",
    Role.ADMIN: "系统管理员",
}

STAFF_ROLES = tuple(role for role in Role if role is not Role.MEMBER)
# Roles whose accounts are tied to a union (their scope is that union's subtree).
UNION_SCOPED_ROLES = (Role.UNION_OFFICER, Role.CHILDCARE_ORGANISER)
