"""Every model of the portal, one module per area, re-exported here."""

from portal.models.audit import AuditEvent
from portal.models.auth import LoginCode, StaffLoginLock
from portal.models.background import BackgroundJob
from portal.models.childcare import (
    Attendance,
    Child,
    ChildcareBallot,
    ChildcareClass,
    ClassNotice,
    PickupAdult,
    Registration,
)
from portal.models.claims import (
    Claim,
    ClaimDocument,
    ClaimEvent,
    DischargeImport,
    PayoutBatch,
    PayoutItem,
)
from portal.models.dashboards import DashboardCount, DashboardSnapshot
from portal.models.enrollment import (
    Campaign,
    Enrollment,
    EnrollmentChannel,
    EnrollmentStatus,
    Payer,
    Plan,
    RosterImport,
    RosterImportStatus,
)
from portal.models.evaluation import (
    EvaluationCriterion,
    EvaluationEntry,
    EvaluationPhoto,
    EvaluationRound,
    EvaluationScore,
    EvaluationSheet,
    StationPlanItem,
)
from portal.models.events import (
    SinglesChoice,
    SinglesEvent,
    SinglesParticipant,
    Wedding,
    WeddingCouple,
)
from portal.models.hardship import HardshipEvent, HardshipFamily
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
from portal.models.joining import JoinCode, JoinRequest
from portal.models.members import Member
from portal.models.relief import CoolingPackHandout, HeatSeason, HeatSubsidy
from portal.models.sms import SmsMessage, SmsRequest, SmsStatus, SmsTemplate
from portal.models.staff import StaffRecoveryCode, StaffUser
from portal.models.stations import Station, StationOffer
from portal.models.sync import (
    Kiosk,
    KioskEnrolmentToken,
    KioskKey,
    SyncBlob,
    SyncChange,
    SyncEnvelope,
    SyncFeedHorizon,
    SyncLookup,
    SyncNonce,
)
from portal.models.unions import Union, UnionKind, add_union

__all__ = [
    "Attendance",
    "BackgroundJob",
    "Child",
    "ChildcareBallot",
    "ChildcareClass",
    "ClassNotice",
    "PickupAdult",
    "Registration",
    "Application",
    "AttendanceReport",
    "AuditEvent",
    "Campaign",
    "Claim",
    "ClaimDocument",
    "ClaimEvent",
    "DischargeImport",
    "PayoutBatch",
    "PayoutItem",
    "Concern",
    "DashboardCount",
    "DashboardSnapshot",
    "Enrollment",
    "EnrollmentChannel",
    "EnrollmentStatus",
    "Enterprise",
    "LoginCode",
    "StaffLoginLock",
    "Member",
    "Payer",
    "Placement",
    "Plan",
    "Position",
    "RosterImport",
    "RosterImportStatus",
    "SmsMessage",
    "SmsRequest",
    "SmsTemplate",
    "SmsStatus",
    "StaffRecoveryCode",
    "StaffUser",
    "CoolingPackHandout",
    "HardshipEvent",
    "HardshipFamily",
    "HeatSeason",
    "HeatSubsidy",
    "Station",
    "EvaluationCriterion",
    "EvaluationEntry",
    "EvaluationPhoto",
    "EvaluationRound",
    "EvaluationScore",
    "EvaluationSheet",
    "StationPlanItem",
    "SinglesChoice",
    "SinglesEvent",
    "SinglesParticipant",
    "Wedding",
    "WeddingCouple",
    "StationOffer",
    "JoinCode",
    "JoinRequest",
    "Kiosk",
    "KioskEnrolmentToken",
    "KioskKey",
    "SyncBlob",
    "SyncChange",
    "SyncEnvelope",
    "SyncFeedHorizon",
    "SyncLookup",
    "SyncNonce",
    "Student",
    "StudentVerification",
    "Union",
    "UnionKind",
    "add_union",
]
