"""What kiosks are told about each entity of the change feed, read fresh from the database.

A change row only says *that* an entity changed; its ``data`` is read when the kiosk pulls, so a
kiosk applying changes in feed order always ends with the latest state even when two writers
committed in another order than they wrote their change rows. An entity that is no longer
shown to the public (a withdrawn position, an unpublished class, a closed campaign) is a
``delete``. Dates are ISO strings, money integer fen; a kiosk hides what is past its dates itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.domain.childcare import ClassStatus
from portal.domain.jobs import EnterpriseStatus, PositionStatus
from portal.domain.sync import FeedEntity
from portal.extensions import db
from portal.models import Campaign, ChildcareClass, Kiosk, Plan, Position, SyncEnvelope


def _iso(day) -> str | None:
    return day.isoformat() if day is not None else None


def plan_data(plan: Plan) -> dict:
    schedule = plan.schedule()
    return {
        "code": plan.code, "version": plan.version, "name": plan.name,
        "contribution_fen": schedule.contribution_fen, "hospital_daily_fen": schedule.hospital_daily_fen,
        "hospital_days_cap": schedule.hospital_days_cap, "condolence_fen": schedule.condolence_fen,
        "critical_illness_fen": schedule.critical_illness_fen, "critical_diseases": list(schedule.critical_diseases),
        "accident_medical_cap_fen": schedule.accident_medical_cap_fen,
        "accident_death_fen": schedule.accident_death_fen,
        "disability_percentages": list(schedule.disability_percentages),
        "illness_waiting_days": schedule.illness_waiting_days, "claim_deadline_days": schedule.claim_deadline_days,
        "exclusions": schedule.exclusions, "document_checklist": dict(schedule.document_checklist),
    }


def campaign_data(campaign: Campaign) -> dict:
    return {
        "code": str(campaign.id), "name": campaign.name, "sponsor": campaign.sponsor,
        "plan_code": campaign.plan.code, "union_code": campaign.union.code,
        "opens_on": _iso(campaign.opens_on), "closes_on": _iso(campaign.closes_on),
        "remaining": campaign.remaining, "occupations": list(campaign.occupations or []),
        "requires_gig_worker": campaign.requires_gig_worker,
        "requires_social_insurance": campaign.requires_social_insurance,
        "description": campaign.description or "",
    }


def position_data(position: Position) -> dict:
    return {
        "id": position.id, "title": position.title, "enterprise": position.enterprise.name,
        "description": position.description, "district": position.district, "address": position.address,
        "majors": position.majors, "places": position.places, "places_left": position.places_left,
        "pay_fen": position.pay_fen, "pay_unit": position.pay_unit, "starts_on": _iso(position.starts_on),
        "ends_on": _iso(position.ends_on), "apply_by": _iso(position.apply_by), "hours": position.hours,
        "min_age": position.min_age, "safety_notes": position.safety_notes,
    }


def class_data(cls: ChildcareClass) -> dict:
    return {
        "id": cls.id, "name": cls.name, "union": cls.union.name, "site_name": cls.site_name,
        "address": cls.address, "district": cls.district, "starts_on": _iso(cls.starts_on),
        "ends_on": _iso(cls.ends_on), "weekdays": cls.weekdays, "daily_start": cls.daily_start.strftime("%H:%M"),
        "daily_end": cls.daily_end.strftime("%H:%M"), "seats": cls.seats, "seats_left": cls.seats_left,
        "min_age": cls.min_age, "max_age": cls.max_age, "fee_fen": cls.fee_fen, "meals": cls.meals,
        "programme": cls.programme, "safety_rules": cls.safety_rules, "contact_phone": cls.contact_phone,
        "registration_opens_on": _iso(cls.registration_opens_on),
        "registration_closes_on": _iso(cls.registration_closes_on),
        "allocated": cls.allocated_at is not None,
    }


def submission_data(envelope: SyncEnvelope) -> dict:
    return {"envelope_id": envelope.envelope_id, "kind": envelope.kind, "status": envelope.status,
            "receipt": envelope.receipt, "code": envelope.code, "message": envelope.message}


@dataclass(frozen=True)
class Source:
    """One kind of entity: its ids in a stable order (for the first full copy) and its data."""

    entity: FeedEntity
    ids_after: Callable[[str, int, Kiosk, date], list[str]]
    load: Callable[[list[str], Kiosk, date], dict[str, dict | None]]


def _ints(ids: list[str]) -> list[int]:
    return [int(value) for value in ids if value.isdigit() and len(value) < 10]


def _after_int(after: str) -> int:
    return int(after) if after.isdigit() and len(after) < 10 else 0


# --- plans: by code; the current version is what is shown ------------------------------------

def _plan_ids(after: str, limit: int, kiosk: Kiosk, today: date) -> list[str]:
    return list(db.session.scalars(select(Plan.code).where(Plan.is_current.is_(True), Plan.code > after)
                                   .distinct().order_by(Plan.code).limit(limit)))


def _plans(ids: list[str], kiosk: Kiosk, today: date) -> dict[str, dict | None]:
    found = {plan.code: plan_data(plan) for plan in db.session.scalars(
        select(Plan).where(Plan.code.in_(ids), Plan.is_current.is_(True)))}
    return {code: found.get(code) for code in ids}


# --- campaigns: open ones; ``code`` is the campaign id as a string -----------------------------

def _campaign_listed():
    return Campaign.is_closed.is_(False)


def _campaign_ids(after: str, limit: int, kiosk: Kiosk, today: date) -> list[str]:
    return [str(i) for i in db.session.scalars(
        select(Campaign.id).where(_campaign_listed(), Campaign.closes_on >= today, Campaign.id > _after_int(after))
        .order_by(Campaign.id).limit(limit))]


def _campaigns(ids: list[str], kiosk: Kiosk, today: date) -> dict[str, dict | None]:
    found = {str(c.id): campaign_data(c) for c in db.session.scalars(
        select(Campaign).where(Campaign.id.in_(_ints(ids)), _campaign_listed())
        .options(selectinload(Campaign.plan), selectinload(Campaign.union)))}
    return {key: found.get(key) for key in ids}


# --- positions: open positions of approved enterprises ---------------------------------------

def _position_listed():
    from portal.models import Enterprise

    return (Position.status == PositionStatus.OPEN,
            Position.enterprise.has(Enterprise.status == EnterpriseStatus.APPROVED))


def _position_ids(after: str, limit: int, kiosk: Kiosk, today: date) -> list[str]:
    return [str(i) for i in db.session.scalars(
        select(Position.id).where(*_position_listed(), Position.apply_by >= today, Position.id > _after_int(after))
        .order_by(Position.id).limit(limit))]


def _positions(ids: list[str], kiosk: Kiosk, today: date) -> dict[str, dict | None]:
    found = {str(p.id): position_data(p) for p in db.session.scalars(
        select(Position).where(Position.id.in_(_ints(ids)), *_position_listed())
        .options(selectinload(Position.enterprise)))}
    return {key: found.get(key) for key in ids}


# --- childcare classes: published ones, with seats left ---------------------------------------

def _class_ids(after: str, limit: int, kiosk: Kiosk, today: date) -> list[str]:
    return [str(i) for i in db.session.scalars(
        select(ChildcareClass.id).where(ChildcareClass.status == ClassStatus.PUBLISHED,
                                        ChildcareClass.ends_on >= today, ChildcareClass.id > _after_int(after))
        .order_by(ChildcareClass.id).limit(limit))]


def _classes(ids: list[str], kiosk: Kiosk, today: date) -> dict[str, dict | None]:
    found = {str(c.id): class_data(c) for c in db.session.scalars(
        select(ChildcareClass).where(ChildcareClass.id.in_(_ints(ids)), ChildcareClass.status == ClassStatus.PUBLISHED)
        .options(selectinload(ChildcareClass.union)))}
    return {key: found.get(key) for key in ids}


# --- the pulling kiosk's own submissions, by envelope id --------------------------------------

def _submission_ids(after: str, limit: int, kiosk: Kiosk, today: date) -> list[str]:
    return list(db.session.scalars(
        select(SyncEnvelope.envelope_id).where(SyncEnvelope.kiosk_id == kiosk.id, SyncEnvelope.envelope_id > after)
        .order_by(SyncEnvelope.envelope_id).limit(limit)))


def _submissions(ids: list[str], kiosk: Kiosk, today: date) -> dict[str, dict | None]:
    found = {e.envelope_id: submission_data(e) for e in db.session.scalars(
        select(SyncEnvelope).where(SyncEnvelope.kiosk_id == kiosk.id, SyncEnvelope.envelope_id.in_(ids)))}
    return {key: found.get(key) for key in ids}


SOURCES: list[Source] = [
    Source(FeedEntity.PLAN, _plan_ids, _plans),
    Source(FeedEntity.CAMPAIGN, _campaign_ids, _campaigns),
    Source(FeedEntity.POSITION, _position_ids, _positions),
    Source(FeedEntity.CHILDCARE_CLASS, _class_ids, _classes),
    Source(FeedEntity.SUBMISSION_STATUS, _submission_ids, _submissions),
]
BY_ENTITY = {source.entity.value: source for source in SOURCES}
