"""Childcare services: registration, the draw, the waitlist, refusals, access, attendance, overview."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.clock import CHINA
from portal.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import read_rows
from portal.models import AuditEvent, ChildcareClass, Registration, SmsMessage
from portal.services.childcare import allocation, attendance, classes, notices, queries, registrations, reports
from tests.factories import (
    TODAY,
    child_input,
    create_attendance,
    create_child,
    create_childcare_class,
    create_member,
    create_registration,
    create_staff,
    create_union,
)

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=CHINA)


@pytest.fixture
def xw():
    district = create_union("XW", "新吴区总工会")
    park = create_union("XW01", "新吴区软件园工会", parent=district)
    return district, park


def register(parent, cls, now=NOW, **child):
    return registrations.register_child(parent, cls.id, child_input(**child), accepted_rules=True, now=now)


def texts(kind):
    return list(db.session.scalars(select(SmsMessage).where(SmsMessage.kind == kind)))


def test_window_requests_are_drawn_by_tier_then_by_a_recorded_seed(xw):
    _, park = xw
    cls = create_childcare_class(park, seats=2)
    courier = create_member(union=park, occupation="快递员", is_gig_worker=True)
    others = [create_member(union=park, occupation="企业职工") for _ in range(3)]
    requests = [register(parent, cls) for parent in [*others, courier]]
    assert {r.status for r in requests} == {"requested"}
    assert len(texts("childcare_requested")) == 4

    organiser = create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    with pytest.raises(InvalidInput, match="报名截止"):
        allocation.allocate_class(organiser, cls.id, now=NOW)
    ballot = allocation.allocate_class(organiser, cls.id, now=NOW + timedelta(days=6))

    statuses = {r.parent_id: r.status for r in db.session.scalars(select(Registration))}
    assert statuses[courier.id] == "confirmed"  # tier 1 always ahead of the ballot among tier 4
    assert sorted(statuses.values()) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert db.session.get(ChildcareClass, cls.id).seats_taken == 2
    assert ballot.entries[0] == [1, 4] and len(ballot.seed) == 16
    check = allocation.verify_ballot(cls.id)
    assert check.matches and list(check.recomputed) == ballot.order
    assert len(texts("childcare_confirmed")) == 2 and len(texts("childcare_waitlisted")) == 2
    assert {"候补（第1位）" in t.body for t in texts("childcare_waitlisted")} == {True, False}
    # a second press draws nothing new
    assert allocation.allocate_class(organiser, cls.id, now=NOW + timedelta(days=7)).seed == ballot.seed


def test_after_the_window_seats_go_first_come_then_to_the_waitlist_in_order(xw):
    _, park = xw
    cls = create_childcare_class(park, phase="after_window", seats=2)
    parents = [create_member(union=park) for _ in range(4)]
    results = [register(parent, cls) for parent in parents]
    assert [r.status for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert db.session.get(ChildcareClass, cls.id).ballot is not None  # the empty draw ran first, on record
    views = queries.my_registrations(parents[3])
    assert views[0].waitlist_position == 2


def test_a_cancellation_promotes_the_next_child_and_texts_the_parent(xw):
    _, park = xw
    cls = create_childcare_class(park, phase="after_window", seats=1)
    first, second, third = (create_member(union=park) for _ in range(3))
    seat = register(first, cls)
    waiting = register(second, cls)
    later = register(third, cls)
    assert queries.registration_for_parent(third, later.id).waitlist_position == 2

    promoted = registrations.cancel_registration(first, seat.id, now=NOW)
    assert [r.id for r in promoted] == [waiting.id]
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    assert queries.registration_for_parent(third, later.id).waitlist_position == 1
    message = texts("childcare_promoted")[0]
    assert message.member_id == second.id and "候补转为录取" in message.body
    assert registrations.cancel_registration(first, seat.id, now=NOW) == []  # twice: nothing more happens
    assert db.session.get(ChildcareClass, cls.id).seats_taken == 1


def test_registering_the_same_child_twice_keeps_one_registration(xw):
    _, park = xw
    cls = create_childcare_class(park)
    parent = create_member(union=park)
    first = register(parent, cls, sequence=11)
    again = register(parent, cls, sequence=11)
    assert again.id == first.id
    assert db.session.scalar(select(db.func.count(Registration.id))) == 1


def test_a_child_outside_the_age_range_is_refused(xw):
    _, park = xw
    cls = create_childcare_class(park)
    with pytest.raises(InvalidInput, match="只招收6—12岁") as refused:
        register(create_member(union=park), cls, birth=date(2012, 1, 1))
    assert refused.value.code == "child_age_out_of_range"


def test_a_parent_cannot_put_their_child_in_two_overlapping_classes(xw):
    _, park = xw
    first = create_childcare_class(park, name="七月班")
    overlapping = create_childcare_class(park, name="七八月班")
    later = create_childcare_class(park, name="九月班", starts_on=TODAY + timedelta(days=60),
                                   ends_on=TODAY + timedelta(days=80))
    mother = create_member(union=park)
    register(mother, first, sequence=21)
    with pytest.raises(Conflict, match="七月班") as refused:
        register(mother, overlapping, sequence=21)
    assert refused.value.code == "child_in_overlapping_class"
    assert register(mother, later, sequence=21).status == "requested"


def _what_the_parent_is_told(parent, cls, sequence):
    """Everything the asker can see of a registration: the outcome, its number, the texts to
    their mobile and the page of their own registrations."""
    outcome = register(parent, cls, sequence=sequence)
    told = [message.body for message in db.session.scalars(
        select(SmsMessage).where(SmsMessage.mobile_hash == parent.mobile_hash).order_by(SmsMessage.id))]
    mine = [(view.registration.status, view.registration.number, view.waitlist_position,
             view.shared_with_another_family) for view in queries.my_registrations(parent)]
    return outcome.status, outcome.category, told, mine


@pytest.mark.parametrize("same_class", [False, True])
def test_another_familys_registration_of_the_same_child_changes_nothing_the_parent_is_told(xw, same_class):
    """Anyone who knows a child's ID number used to learn that another member had registered the
    child ("已由另一位家长报名"). Now the answer is the same whether another parent registered the
    child or nobody did; the staff of the classes see the clash and resolve it."""
    _, park = xw
    answers = {}
    for world, sequence in (("another parent registered", 23), ("nobody registered", 24)):
        first = create_childcare_class(park, name="七月班", site_name="软件园职工服务中心")
        target = first if same_class else create_childcare_class(park, name="七八月班")
        # Another family registers a child in the first class either way (this child, or another):
        # the numbers a registration gets count every registration, whoever's.
        register(create_member(union=park), first, sequence=sequence if world.startswith("another") else 60)
        asker = create_member(union=park)
        answers[world] = _what_the_parent_is_told(asker, target, sequence)
    assert answers["another parent registered"] == answers["nobody registered"]
    status, _category, told, mine = answers["nobody registered"]
    assert status == "requested" and told and mine


def test_the_classes_staff_see_the_same_child_registered_by_two_families(xw):
    _, park = xw
    first = create_childcare_class(park, name="七月班")
    overlapping = create_childcare_class(park, name="七八月班")
    later = create_childcare_class(park, name="九月班", starts_on=TODAY + timedelta(days=60),
                                   ends_on=TODAY + timedelta(days=80))
    organiser = create_staff(role=Role.CHILDCARE_ORGANISER, union=park)
    mother, father = create_member(union=park), create_member(union=park)
    by_mother = register(mother, first, sequence=25)
    by_father = register(father, overlapping, sequence=25)
    elsewhere = register(father, later, sequence=25)  # not at the same time: no clash
    alone = register(create_member(union=park), first, sequence=26)

    def flagged(cls):
        return {view.registration.id for view in queries.class_roster(organiser, cls.id)
                if view.shared_with_another_family}

    assert flagged(first) == {by_mother.id} and alone.id not in flagged(first)
    assert flagged(overlapping) == {by_father.id}
    assert flagged(later) == set() and elsewhere.id not in flagged(later)
    registrations.cancel_registration(organiser, by_father.id, now=NOW)
    assert flagged(first) == set()  # resolved: the flag goes with the cancelled registration


def test_registration_after_the_class_started_or_without_accepting_rules_is_refused(xw):
    _, park = xw
    running = create_childcare_class(park, phase="running")
    parent = create_member(union=park)
    with pytest.raises(InvalidInput, match="已于.*开班") as refused:
        register(parent, running)
    assert refused.value.code == "class_started"
    open_class = create_childcare_class(park)
    with pytest.raises(InvalidInput, match="安全须知"):
        registrations.register_child(parent, open_class.id, child_input(), accepted_rules=False, now=NOW)
    with pytest.raises(InvalidInput, match="接送人"):
        register(parent, open_class, adults=[("李四", "父亲", "12345")])


def test_a_declared_category_counts_and_is_marked_for_checking(xw):
    _, park = xw
    cls = create_childcare_class(park)
    parent = create_member(union=park, occupation="企业职工")
    registration = registrations.register_child(parent, cls.id, child_input(), accepted_rules=True,
                                          declared_category="dual_working", now=NOW)
    assert (registration.category, registration.tier, registration.category_declared) == ("dual_working", 3, True)


def test_the_organiser_confirms_or_refuses_a_declared_category_before_the_draw(xw):
    _, park = xw
    cls = create_childcare_class(park)
    organiser = create_staff("park_organiser", Role.CHILDCARE_ORGANISER, union=park)
    kept = registrations.register_child(create_member(union=park, occupation="企业职工"), cls.id, child_input(),
                                  accepted_rules=True, declared_category="dual_working", now=NOW)
    refused = registrations.register_child(create_member(union=park, occupation="企业职工"), cls.id, child_input(),
                                     accepted_rules=True, declared_category="gig_worker", now=NOW)
    registrations.review_declared_category(organiser, kept.id, accept=True)
    registrations.review_declared_category(organiser, refused.id, accept=False)
    assert (kept.category, kept.tier, kept.category_declared) == ("dual_working", 3, False)
    assert (refused.category, refused.tier, refused.category_declared) == ("general", 4, False)
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("childcare.category%"))))
    assert actions == {"childcare.category_confirmed", "childcare.category_refused"}
    outsider = create_staff("lx_organiser", Role.CHILDCARE_ORGANISER, union=create_union("LX", "梁溪区总工会"))
    late = registrations.register_child(create_member(union=park, occupation="企业职工"), cls.id, child_input(),
                                  accepted_rules=True, declared_category="dual_working", now=NOW)
    with pytest.raises(PermissionDenied):
        registrations.review_declared_category(outsider, late.id, accept=False)


def test_staff_see_only_classes_of_their_own_subtree(xw):
    district, park = xw
    cls = create_childcare_class(park)
    registration = register(create_member(union=park), cls, health_notes="哮喘，随身带喷雾")
    elsewhere = create_union("LX", "梁溪区总工会")
    other_organiser = create_staff("lx_organiser", Role.CHILDCARE_ORGANISER, union=elsewhere)
    outside_officer = create_staff("lx_officer", Role.UNION_OFFICER, union=elsewhere)
    district_officer = create_staff("xw_officer", Role.UNION_OFFICER, union=district)
    organiser = create_staff("xw_organiser", Role.CHILDCARE_ORGANISER, union=district)
    park_organiser = create_staff("park_organiser", Role.CHILDCARE_ORGANISER, union=park)

    for outsider in (other_organiser, outside_officer):
        with pytest.raises(PermissionDenied):
            queries.class_roster(outsider, cls.id)
        assert queries.managed_classes(outsider) == []
    with pytest.raises(PermissionDenied):
        registrations.view_health_notes(other_organiser, registration.id)
    with pytest.raises(PermissionDenied):
        attendance.mark_attendance(other_organiser, registration.id, TODAY, "present", now=NOW)
    assert len(queries.class_roster(district_officer, cls.id)) == 1  # the union sees the roster…
    with pytest.raises(PermissionDenied):
        registrations.view_health_notes(district_officer, registration.id)  # …but not the health notes

    assert len(queries.class_roster(organiser, cls.id)) == 1  # the district's organiser oversees the class…
    with pytest.raises(PermissionDenied):
        registrations.view_health_notes(organiser, registration.id)  # …but only the class's own reads notes
    seen = registrations.view_health_notes(park_organiser, registration.id)
    assert seen.child.health_notes == "哮喘，随身带喷雾"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "childcare.health_notes_view"))
    assert event.actor_id == park_organiser.id and event.entity_id == str(registration.id)


def test_a_parent_cannot_see_another_familys_child(xw):
    _, park = xw
    cls = create_childcare_class(park)
    registration = register(create_member(union=park), cls)
    stranger = create_member(union=park)
    with pytest.raises(NotFound):
        queries.registration_for_parent(stranger, registration.id)
    with pytest.raises(NotFound):
        registrations.cancel_registration(stranger, registration.id, now=NOW)


def test_attendance_pickup_and_rates(xw):
    _, park = xw
    cls = create_childcare_class(park, phase="after_window", seats=3)
    parent = create_member(union=park)
    registration = register(parent, cls, adults=[("王芳", "母亲", "13912345678"), ("王大爷", "外公", "13812345678")])
    organiser = create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    first_day = cls.starts_on
    while first_day.isoweekday() > 5:
        first_day += timedelta(days=1)
    on_the_day = datetime.combine(first_day, datetime.min.time(), tzinfo=CHINA) + timedelta(hours=8)

    with pytest.raises(InvalidInput, match="以后的日期"):
        attendance.mark_attendance(organiser, registration.id, first_day, "present", now=NOW)
    with pytest.raises(InvalidInput, match="还没有签到"):
        attendance.record_pickup(organiser, registration.id, first_day, mobile="13812345678", now=on_the_day)
    attendance.mark_attendance(organiser, registration.id, first_day, "present", now=on_the_day)
    attendance.mark_attendance(organiser, registration.id, first_day, "present", now=on_the_day)  # double tap

    with pytest.raises(InvalidInput, match="不在家长授权的接送名单") as refused:
        attendance.record_pickup(organiser, registration.id, first_day, mobile="13700000000",
                              now=on_the_day + timedelta(hours=9))
    assert refused.value.code == "pickup_not_authorised"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "childcare.pickup_refused"))
    mark = attendance.record_pickup(organiser, registration.id, first_day, mobile="138 1234 5678",
                                 now=on_the_day + timedelta(hours=9, minutes=30))
    assert mark.pickup_adult.name == "王大爷"

    rows = queries.attendance_sheet(organiser, cls.id, first_day, today=first_day + timedelta(days=1))
    assert rows[0].present_days == 1 and rows[0].possible_days >= 1
    summary = queries.overview(organiser, today=first_day)
    assert summary.classes[0].present_days == 1 and summary.attendance_rate == 1.0


def test_overview_counts_categories_and_children_once_and_exports(xw):
    district, park = xw
    july = create_childcare_class(park, phase="after_window", seats=5, name="七月班")
    august = create_childcare_class(park, phase="after_window", seats=5, name="八月班",
                                    starts_on=TODAY + timedelta(days=50), ends_on=TODAY + timedelta(days=70))
    courier = create_member(union=park, occupation="快递员", is_gig_worker=True)
    register(courier, july, sequence=30)  # even: the factory numbers its children odd, never this one
    register(courier, august, sequence=30)  # the same child in two classes that do not overlap
    register(create_member(union=park, occupation="环卫工人"), july)
    officer = create_staff("xw_officer", Role.UNION_OFFICER, union=district)

    summary = queries.overview(officer, today=TODAY)
    assert summary.children_served == 2
    assert summary.by_category["gig_worker"] == 2 and summary.by_category["sanitation_worker"] == 1
    rows = list(read_rows(reports.export_overview(officer, today=TODAY), "x.xlsx"))
    assert rows[0][:3] == ["组织", "区", "班级"]
    assert {row[2] for row in rows[1:-1]} == {"七月班", "八月班"}
    assert "服务儿童2人" in rows[-1]


def test_a_notice_texts_every_confirmed_parent_once(xw):
    _, park = xw
    cls = create_childcare_class(park, phase="after_window", seats=1)
    register(create_member(union=park), cls)
    register(create_member(union=park), cls)  # wait-listed: not in the class yet
    organiser = create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    notice = notices.send_notice(organiser, cls.id, "明天参观无锡博物院，请8点前送到。", now=NOW)
    again = notices.send_notice(organiser, cls.id, "明天参观无锡博物院，请8点前送到。", now=NOW)
    assert again.id == notice.id and notice.recipients == 1
    assert len(texts("childcare_notice")) == 1


def test_organiser_creates_and_publishes_a_class_for_its_own_organisation(xw):
    district, park = xw
    organiser = create_staff("organiser", Role.CHILDCARE_ORGANISER, union=district)
    data = classes.ClassInput(
        name="工娃小家", site_name="职工服务中心", address="软件园", starts_on=date(2026, 7, 20),
        ends_on=date(2026, 8, 20), weekdays=[1, 2, 3, 4, 5], daily_start=datetime.min.time().replace(hour=8),
        daily_end=datetime.min.time().replace(hour=17, minute=30), seats=46,
        registration_opens_on=date(2026, 7, 1), registration_closes_on=date(2026, 7, 10),
        safety_rules="凭授权接送。", union_code="XW01")
    cls = classes.create_class(organiser, data)
    assert cls.status == "draft" and cls.union == park
    assert classes.publish_class(organiser, cls.id, now=NOW).status == "published"
    with pytest.raises(Conflict):
        classes.update_class(organiser, cls.id, data)
    data.union_code = "LX"
    create_union("LX", "梁溪区总工会")
    with pytest.raises(PermissionDenied):
        classes.create_class(organiser, data)
    data.union_code, data.registration_closes_on = None, date(2026, 7, 25)
    with pytest.raises(InvalidInput, match="开班前截止"):
        classes.create_class(organiser, data)


def test_a_freed_seat_goes_to_the_front_of_the_waitlist_not_the_lowest_number(xw):
    _, park = xw
    cls = create_childcare_class(park, phase="after_window", seats=1, allocated_at=NOW - timedelta(days=1))
    seat = create_registration(cls, status="confirmed")
    later = create_registration(cls, status="waitlisted")
    front = create_registration(cls, status="waitlisted")
    front.queue_number, later.queue_number = 1, 2  # the draw put the later number first
    db.session.commit()

    promoted = registrations.cancel_registration(seat.parent, seat.id, now=NOW)
    assert [r.id for r in promoted] == [front.id]
    assert (front.status, front.seat_source, later.status) == ("confirmed", "promotion", "waitlisted")
    assert queries.registration_for_parent(later.parent, later.id).waitlist_position == 1


def test_the_class_texts_its_reason_when_it_cancels_and_the_parent_is_not_texted_for_their_own(xw):
    _, park = xw
    cls = create_childcare_class(park, phase="after_window")
    organiser = create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    by_class = create_registration(cls, status="confirmed")
    by_parent = create_registration(cls, status="confirmed")
    registrations.cancel_registration(organiser, by_class.id, reason="  孩子未按时报到 ", now=NOW)
    registrations.cancel_registration(by_parent.parent, by_parent.id, reason="回老家", now=NOW)
    [message] = texts("childcare_cancelled")
    assert message.member_id == by_class.parent_id
    child = by_class.child.masked_name
    assert message.body == f"您为{child}报名的“{cls.name}”已由托管班取消：孩子未按时报到。如有疑问请联系托管班。"
    assert by_parent.cancel_reason == "回老家"


def test_a_declared_priority_cannot_be_changed_once_seats_are_given(xw):
    _, park = xw
    cls = create_childcare_class(park, phase="after_window")
    organiser = create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    seated = create_registration(cls, status="confirmed", category="dual_working", declared=True)
    with pytest.raises(Conflict) as refused:
        registrations.review_declared_category(organiser, seated.id, accept=False)
    assert refused.value.code == "already_allocated" and seated.category == "dual_working"


def test_the_nightly_draw_takes_every_closed_window_once(xw):
    _, park = xw
    closed = [create_childcare_class(park, phase="after_window", seats=1) for _ in range(2)]
    still_open = create_childcare_class(park)
    for cls in [*closed, still_open]:
        create_registration(cls)
        create_registration(cls)
    assert allocation.allocate_due(now=NOW) == 2
    assert allocation.allocate_due(now=NOW) == 0  # drawn already
    admin = create_staff(role=Role.ADMIN)
    for cls in closed:
        roster = queries.class_roster(admin, cls.id)
        assert [view.registration.status for view in roster] == ["confirmed", "waitlisted"]
    assert db.session.get(ChildcareClass, still_open.id).ballot is None
    assert len(texts("childcare_confirmed")) == 2 and len(texts("childcare_waitlisted")) == 2


def test_a_collected_child_cannot_be_marked_absent(xw):
    _, park = xw
    cls = create_childcare_class(park, phase="running")
    organiser = create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    registration = create_registration(cls, status="confirmed")
    day = next(day for day in cls.schedule.days(until=TODAY))
    mark = create_attendance(registration, day, picked_up=True)
    with pytest.raises(Conflict) as refused:
        attendance.mark_attendance(organiser, registration.id, day, "absent", now=NOW)
    assert refused.value.code == "already_picked_up"
    again = attendance.mark_attendance(organiser, registration.id, day, "present", now=NOW)
    assert again.id == mark.id and again.status == "present" and again.picked_up_at is not None


def test_a_notice_goes_out_in_the_class_template_with_the_organisers_words(xw):
    _, park = xw
    cls = create_childcare_class(park, phase="running", name="软件园班")
    organiser = create_staff("organiser", Role.CHILDCARE_ORGANISER, union=park)
    create_registration(cls, child=create_child(create_member(union=park)), status="confirmed")
    with pytest.raises(InvalidInput, match="至少4个字"):
        notices.send_notice(organiser, cls.id, " 明 天 ", now=NOW)
    notices.send_notice(organiser, cls.id, "明天  停课一天。", now=NOW)
    assert [t.body for t in texts("childcare_notice")] == ["【软件园班】明天 停课一天。"]


def test_locking_a_class_reads_its_seats_again_over_a_stale_copy_in_the_session():
    """``lock_class`` locks and re-reads in one statement: a seat count another connection changed
    after this session loaded the class must be the one the seat decision sees."""
    from sqlalchemy import update

    from portal.services.childcare.permissions import lock_class
    from portal.services.unit_of_work import transaction, write_apart

    cls = create_childcare_class(create_union())
    db.session.commit()
    held = db.session.get(ChildcareClass, cls.id)
    taken = held.seats_taken
    write_apart(update(ChildcareClass).where(ChildcareClass.id == cls.id).values(seats_taken=taken + 3))
    with transaction():
        locked = lock_class(cls.id)
        assert locked is held and locked.seats_taken == taken + 3
    with pytest.raises(NotFound), transaction():
        lock_class(10**9)
