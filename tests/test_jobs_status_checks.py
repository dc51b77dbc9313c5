"""The database refuses a work-study status the code does not know (the migrated schema carries
the same CHECKs: tests/test_migrations.py compares every status CHECK of the models with it)."""

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.domain.jobs import ApplicationStatus, ConcernStatus, EnterpriseStatus, PlacementStatus, PositionStatus
from portal.extensions import db
from portal.models import Application, Concern, Enterprise, Placement, Position
from tests.factories import create_concern

STATUSES = {Enterprise: EnterpriseStatus, Position: PositionStatus, Application: ApplicationStatus,
            Placement: PlacementStatus, Concern: ConcernStatus}


def test_an_unknown_status_is_refused_by_the_database_and_a_known_one_passes():
    concern = create_concern()  # a row in each table: enterprise → position → application → placement → concern
    placement = concern.placement
    rows = {Enterprise: placement.enterprise_id, Position: placement.position_id,
            Application: placement.application_id, Placement: placement.id, Concern: concern.id}
    refused, accepted = [], []
    for model, record_id in rows.items():
        try:
            db.session.execute(update(model).where(model.id == record_id).values(status="lost"))
            db.session.flush()
        except IntegrityError:
            refused.append(model)
        db.session.rollback()
        last = list(STATUSES[model])[-1]
        db.session.execute(update(model).where(model.id == record_id).values(status=last))
        db.session.commit()
        accepted.append(db.session.scalar(db.select(model.status).where(model.id == record_id)) == last)
    assert refused == list(STATUSES)
    assert all(accepted)
