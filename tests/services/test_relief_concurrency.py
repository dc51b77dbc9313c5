"""Two levels confirming the same family at the same moment: exactly one subsidy is paid."""

import threading
from datetime import date

import pytest

from portal.domain.errors import Conflict
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import HeatSubsidy, StaffUser, UnionKind
from portal.services import relief
from tests.factories import create_hardship_family, create_member, create_staff, create_union

TODAY = date(2026, 7, 1)


def _in_threads(app, jobs):
    """Run each job in its own thread and app context, all released at once; collect the errors."""
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        with app.app_context():
            barrier.wait()
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.postgres_only
@pytest.mark.parametrize("rounds", range(3))
def test_the_city_and_a_district_confirming_at_once_pay_a_family_once(app, rounds):
    federation = create_union("WX", "无锡市总工会", kind=UnionKind.FEDERATION)
    district_union = create_union("LX", "梁溪区总工会", parent=federation, kind=UnionKind.DISTRICT)
    admin, district = create_staff("admin1"), create_staff("lx", Role.UNION_OFFICER, union=district_union)
    shared = create_hardship_family(create_member(union=create_union(parent=district_union)), level="district")
    seasons = {
        admin.id: relief.declare_season(admin, relief.SeasonInput(
            name="市级", starts_on=date(2026, 6, 15), ends_on=date(2026, 9, 15), amount_yuan="200",
            levels=["district"])).id,
        district.id: relief.declare_season(district, relief.SeasonInput(
            name="区级", starts_on=date(2026, 6, 15), ends_on=date(2026, 9, 15), amount_yuan="300",
            levels=["district"])).id,
    }
    family_id = shared.id

    def confirm(staff_id):
        def job():
            actor = db.session.get(StaffUser, staff_id)
            relief.confirm_families(actor, seasons[staff_id], [family_id], today=TODAY)
        return job

    errors = _in_threads(app, [confirm(admin.id), confirm(district.id)])

    assert len(errors) == 1 and isinstance(errors[0], Conflict), errors
    db.session.expire_all()
    assert db.session.query(HeatSubsidy).filter_by(family_id=family_id).count() == 1
