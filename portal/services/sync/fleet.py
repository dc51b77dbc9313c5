"""What staff see of the kiosks: administrators all of them, a union officer those of the stations
its union subtree runs. Each kiosk's last contact, last successful sync, the backlog it
reported, clock skew, key age, and the envelopes it sent that could not be applied."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.domain.errors import NotFound
from portal.domain.roles import Role
from portal.domain.sync import EnvelopeStatus
from portal.extensions import db
from portal.models import Kiosk, Station, SyncEnvelope
from portal.models.base import utcnow
from portal.services import audit
from portal.services.access import require_role, require_union_in_scope, union_scope
from portal.services.sync.kiosks import KIOSK_NOT_FOUND, get_kiosk
from portal.services.unit_of_work import unit_of_work

FLEET_ROLES = (Role.ADMIN, Role.UNION_OFFICER)
STALE_AFTER_HOURS = 24  # no contact for a day: the station should look at its kiosk


@dataclass(frozen=True)
class FleetRow:
    kiosk: Kiosk
    rejected_open: int  # rejected envelopes staff have not dealt with
    newest_key_at: datetime | None

    @property
    def stale(self) -> bool:
        last = self.kiosk.last_contact_at
        return last is None or (utcnow() - last).total_seconds() > STALE_AFTER_HOURS * 3600


def _scoped(stmt, actor):
    require_role(actor, *FLEET_ROLES)
    return union_scope(stmt.join(Station, Station.id == Kiosk.station_id), actor, Station.union_id)


def fleet(actor) -> list[FleetRow]:
    """Every kiosk the actor may see, with what needs attention first (open rejections, silence)."""
    kiosks = list(db.session.scalars(_scoped(select(Kiosk), actor)
                                     .options(selectinload(Kiosk.station), selectinload(Kiosk.keys))
                                     .order_by(Station.code, Kiosk.name)))
    ids = [kiosk.id for kiosk in kiosks]
    open_counts = dict(db.session.execute(
        select(SyncEnvelope.kiosk_id, func.count()).where(
            SyncEnvelope.kiosk_id.in_(ids), SyncEnvelope.status == EnvelopeStatus.REJECTED,
            SyncEnvelope.handled_at.is_(None)).group_by(SyncEnvelope.kiosk_id)).all()) if ids else {}
    now = utcnow()
    rows = []
    for kiosk in kiosks:
        valid = [key.valid_from for key in kiosk.keys if key.valid_at(now)]
        rows.append(FleetRow(kiosk, open_counts.get(kiosk.id, 0), max(valid) if valid else None))
    return rows


def kiosk_for_staff(actor, kiosk_id: str) -> Kiosk:
    require_role(actor, *FLEET_ROLES)
    kiosk = get_kiosk(kiosk_id)
    require_union_in_scope(actor, kiosk.station.union)
    return kiosk


def rejected_envelopes(actor, kiosk_id: str, *, limit: int = 100) -> list[SyncEnvelope]:
    """The kiosk's rejected envelopes, those not yet dealt with first."""
    kiosk = kiosk_for_staff(actor, kiosk_id)
    return list(db.session.scalars(
        select(SyncEnvelope).where(SyncEnvelope.kiosk_id == kiosk.id, SyncEnvelope.status == EnvelopeStatus.REJECTED)
        .order_by(SyncEnvelope.handled_at.is_not(None), SyncEnvelope.received_at.desc()).limit(limit)))


def payload_view(envelope: SyncEnvelope) -> str:
    """The kept payload, readable, for the person re-entering it by hand."""
    if not envelope.payload:
        return ""
    return json.dumps(json.loads(envelope.payload), ensure_ascii=False, indent=2)


@unit_of_work
def mark_handled(actor, envelope_row_id: int) -> SyncEnvelope:
    """Staff dealt with a rejected submission (called the person, filed it by hand): its personal
    payload is deleted; the reason stays."""
    require_role(actor, *FLEET_ROLES)
    envelope = db.session.get(SyncEnvelope, envelope_row_id) if 0 < envelope_row_id < 2**31 else None
    if envelope is None or envelope.status != EnvelopeStatus.REJECTED:
        raise NotFound(KIOSK_NOT_FOUND)
    require_union_in_scope(actor, envelope.kiosk.station.union)
    if envelope.handled_at is None:
        envelope.handled_at = utcnow()
        envelope.handled_by = audit.actor_label(actor)[:80]
        envelope.payload = None
        audit.record(actor, "sync.rejection_handled", "sync_envelope", envelope.id, kiosk=envelope.kiosk_id)
    return envelope

