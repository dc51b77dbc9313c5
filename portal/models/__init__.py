"""Every model of the portal, one module per area, re-exported here."""

from portal.models.audit import AuditEvent
from portal.models.auth import LoginCode
from portal.models.enrollment import Enrollment, EnrollmentChannel, EnrollmentStatus, Payer, Plan
from portal.models.jobs import (
    Application,
    AttendanceReport,
    Concern,
    Enterprise,
    Placement,
    Position,
    Student,
    StudentVerification,
)
from portal.models.members import Member
from portal.models.sms import SmsMessage, SmsStatus
from portal.models.staff import StaffUser
from portal.models.unions import Union, UnionKind, add_union

__all__ = [
    "Application",
    "AttendanceReport",
    "AuditEvent",
    "Concern",
    "Enrollment",
    "EnrollmentChannel",
    "EnrollmentStatus",
    "Enterprise",
    "LoginCode",
    "Member",
    "Payer",
    "Placement",
    "Plan",
    "Position",
    "SmsMessage",
    "SmsStatus",
    "StaffUser",
    "Student",
    "StudentVerification",
    "Union",
    "UnionKind",
    "add_union",
]
