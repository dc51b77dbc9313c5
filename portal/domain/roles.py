"""Who may do what: the roles of DESIGN.md."""

from __future__ import annotations

from enum import StrEnum

from portal.domain.i18n import N_


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
    Role.MEMBER: N_("职工会员"),
    Role.UNION_OFFICER: N_("基层工会经办人"),
    Role.REVIEWER: N_("互助会审核员"),
    Role.CHILDCARE_ORGANISER: N_("托管班负责人"),
    Role.ENTERPRISE: N_("爱心企业联系人"),
    Role.ADMIN: N_("系统管理员"),
}

STAFF_ROLES = tuple(role for role in Role if role is not Role.MEMBER)
# Roles whose accounts are tied to a union (their scope is that union's subtree).
UNION_SCOPED_ROLES = (Role.UNION_OFFICER, Role.CHILDCARE_ORGANISER)
# Roles that move money or accounts: their sign-in needs a second factor (TOTP), and they can open
# nothing but the enrolment page until they have one.
TWO_FACTOR_REQUIRED_ROLES = (Role.ADMIN, Role.REVIEWER)
