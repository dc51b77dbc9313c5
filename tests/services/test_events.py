"""Singles' events and the wedding through the services: places never exceeded (balance too),
the union confirms its own members only, matches only when mutual and never a name."""

import threading
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.clock import CHINA
from portal.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Member, SinglesEvent, SinglesParticipant, SmsMessage, Wedding
from portal.services.events import queries, singles, weddings
from tests.conftest import IS_POSTGRES
from tests.factories import (
    EVENT_DAY,
    TODAY,
    create_single,
    create_singles_event,
    create_staff,
    create_union,
    create_wedding,
)

NOW = datetime.combine(TODAY, time(10), tzinfo=CHINA)
ON_THE_DAY = datetime.combine(EVENT_DAY, time(14, 30), tzinfo=CHINA)


@pytest.fixture
def tree():
    federation = create_union("WX", "无锡市总工会")
    a = create_union("A01", "甲公司工会", federation)
    b = create_union("B01", "乙公司工会", federation)
    return federation, a, b


def _register(member, event, **kw):
    return singles.register(member, event.id, declared_single=True, accepted_privacy=True, now=NOW, **kw)


def test_registration_holds_a_place_and_is_refused_when_full(tree):
    federation, a, _ = tree
    event = create_singles_event(federation, capacity=2)
    first, second, third = (create_single(a) for _ in range(3))
    p1 = _register(first, event)
    _register(second, event)
    with pytest.raises(Conflict) as refused:
        _register(third, event)
    assert refused.value.code == "event_full"
    db.session.expire_all()
    fresh = db.session.get(SinglesEvent, event.id)
    assert (fresh.places_taken, fresh.men_taken, fresh.last_number) == (2, 2, 2)
    assert p1.number == 1
    # a cancellation gives the place back
    singles.cancel(first, p1.id, now=NOW)
    _register(third, event)
    assert db.session.get(SinglesEvent, event.id).places_taken == 2


def test_a_balanced_event_refuses_a_third_man_of_four_places(tree):
    federation, a, _ = tree
    event = create_singles_event(federation, capacity=4, balanced=True)
    _register(create_single(a, gender="M"), event)
    _register(create_single(a, gender="M"), event)
    with pytest.raises(Conflict) as refused:
        _register(create_single(a, gender="M"), event)
    assert refused.value.code == "event_sex_full"
    _register(create_single(a, gender="F"), event)


def test_the_database_refuses_more_places_than_capacity_whatever_the_code_does(tree):
    federation, _, _ = tree
    event = create_singles_event(federation, capacity=2, balanced=True)
    with pytest.raises(IntegrityError):
        db.session.execute(update(SinglesEvent).where(SinglesEvent.id == event.id)
                           .values(places_taken=3, men_taken=3))
    db.session.rollback()
    with pytest.raises(IntegrityError):  # one sex past half of a balanced event
        db.session.execute(update(SinglesEvent).where(SinglesEvent.id == event.id)
                           .values(places_taken=2, men_taken=2))
    db.session.rollback()


def test_a_member_must_declare_single_be_of_age_and_inside_the_organising_union(tree):
    federation, a, b = tree
    event = create_singles_event(a)
    with pytest.raises(InvalidInput):
        singles.register(create_single(a), event.id, declared_single=False, accepted_privacy=True, now=NOW)
    with pytest.raises(PermissionDenied):
        _register(create_single(b), event)  # b is not under a
    with pytest.raises(InvalidInput) as refused:
        _register(create_single(a, birth=datetime(1980, 1, 1).date()), event)
    assert refused.value.code == "event_age"
    member = create_single(a)
    _register(member, event)
    with pytest.raises(Conflict):
        _register(member, event)


def test_only_an_officer_of_the_members_union_confirms(tree):
    federation, a, b = tree
    event = create_singles_event(federation)
    participant = _register(create_single(a), event)
    with pytest.raises(PermissionDenied):
        singles.decide(create_staff(role=Role.UNION_OFFICER, union=b), participant.id, confirm=True, now=NOW)
    with pytest.raises(PermissionDenied):
        singles.decide(create_staff(role=Role.ADMIN), participant.id, confirm=True, now=NOW)
    singles.decide(create_staff(role=Role.UNION_OFFICER, union=a), participant.id, confirm=True, now=NOW)
    assert participant.status == "confirmed"
    texts = db.session.scalars(select(SmsMessage.kind).where(SmsMessage.member_id == participant.member_id)
                               .order_by(SmsMessage.id)).all()
    assert texts == ["singles_registered", "singles_decided"]


def test_a_decline_frees_the_place(tree):
    federation, a, _ = tree
    event = create_singles_event(federation, capacity=2)
    participant = _register(create_single(a), event)
    singles.decide(create_staff(role=Role.UNION_OFFICER, union=a), participant.id, confirm=False, now=NOW)
    assert db.session.get(SinglesEvent, event.id).places_taken == 0
    assert participant.status == "declined"


def _attended(event, officer, count, union):
    people = []
    for _ in range(count):
        member = create_single(union)
        participant = _register(member, event)
        singles.decide(officer, participant.id, confirm=True, now=NOW)
        singles.check_in(officer, event.id, participant.number, now=ON_THE_DAY)
        people.append(participant)
    return people


def test_check_in_only_on_the_day_and_only_when_confirmed(tree):
    federation, a, _ = tree
    officer = create_staff(role=Role.UNION_OFFICER, union=federation)
    event = create_singles_event(federation)
    waiting = _register(create_single(a), event)
    with pytest.raises(Conflict):
        singles.check_in(officer, event.id, waiting.number, now=ON_THE_DAY)
    singles.decide(officer, waiting.id, confirm=True, now=NOW)
    with pytest.raises(InvalidInput):
        singles.check_in(officer, event.id, waiting.number, now=NOW)
    with pytest.raises(InvalidInput):
        singles.check_in(officer, event.id, 99, now=ON_THE_DAY)
    singles.check_in(officer, event.id, waiting.number, now=ON_THE_DAY)
    assert waiting.status == "attended"


def test_a_match_exists_only_when_both_chose_and_shows_numbers_only(tree):
    federation, a, _ = tree
    officer = create_staff(role=Role.UNION_OFFICER, union=federation)
    event = create_singles_event(federation)
    x, y, z = _attended(event, officer, 3, a)
    assert singles.choose(x.member, x.id, y.number, now=ON_THE_DAY) is False
    assert singles.choose(z.member, z.id, y.number, now=ON_THE_DAY) is False
    view_y = queries.participant_for_member(y.member, y.id)
    assert view_y.choices == [] and view_y.matches == []  # y never learns who chose them
    assert queries.figures(officer).matched == 0
    assert singles.choose(y.member, y.id, x.number, now=ON_THE_DAY) is True
    assert queries.participant_for_member(x.member, x.id).matches == [y.number]
    assert queries.participant_for_member(z.member, z.id).matches == []
    figures = queries.figures(officer)
    assert (figures.events, figures.registered, figures.attended, figures.matched) == (1, 3, 3, 1)
    matched = db.session.scalars(select(SmsMessage.body).where(SmsMessage.kind == "singles_matched")).all()
    assert len(matched) == 2
    assert all(x.member.name not in body and y.member.name not in body for body in matched)
    with pytest.raises(Conflict):
        singles.withdraw_choice(x.member, x.id, y.number)
    singles.withdraw_choice(z.member, z.id, y.number)


def test_a_participant_who_did_not_attend_cannot_choose(tree):
    federation, a, _ = tree
    officer = create_staff(role=Role.UNION_OFFICER, union=federation)
    event = create_singles_event(federation)
    (present,) = _attended(event, officer, 1, a)
    absent = _register(create_single(a), event)
    with pytest.raises(InvalidInput) as refused:
        singles.choose(absent.member, absent.id, present.number, now=ON_THE_DAY)
    assert refused.value.code == "not_attended"
    with pytest.raises(NotFound):  # nobody acts on another member's registration
        singles.choose(absent.member, present.id, absent.number, now=ON_THE_DAY)


def test_figures_stay_inside_the_officers_scope(tree):
    federation, a, b = tree
    create_singles_event(a)
    create_singles_event(b)
    assert queries.figures(create_staff(role=Role.UNION_OFFICER, union=a)).events == 1
    assert queries.figures(create_staff(role=Role.ADMIN)).events == 2
    with pytest.raises(PermissionDenied):
        queries.figures(create_staff(role=Role.REVIEWER))


# --- the collective wedding --------------------------------------------------------------


def _couple(member, wedding, seq, **kw):
    partner = compose_id_number("320211", datetime(1996, 2, 2).date(), seq)
    data = weddings.CoupleInput(partner_name="陈雨桐", partner_id_number=partner,
                                certificate_on=TODAY - timedelta(days=40), names_in_programme=True)
    return weddings.register_couple(member, wedding.id, data, now=NOW, **kw)


def test_the_wedding_takes_couples_up_to_capacity_once_each(tree):
    federation, a, _ = tree
    wedding = create_wedding(federation, capacity=2)
    groom = create_single(a)
    couple = _couple(groom, wedding, 202)
    with pytest.raises(Conflict):
        _couple(create_single(a), wedding, 202)  # the same bride in a second couple
    _couple(create_single(a), wedding, 204)
    with pytest.raises(Conflict) as refused:
        _couple(create_single(a), wedding, 206)
    assert refused.value.code == "wedding_full"
    assert couple.both_workers is False
    weddings.decide_couple(create_staff(role=Role.UNION_OFFICER, union=a), couple.id, confirm=True, now=NOW)
    with pytest.raises(PermissionDenied):  # the programme is the organiser's
        queries.programme(create_staff(role=Role.UNION_OFFICER, union=a), wedding.id)
    _, programme = queries.programme(create_staff(role=Role.UNION_OFFICER, union=federation), wedding.id)
    assert [c.number for c in programme] == [1]
    assert db.session.get(Wedding, wedding.id).couples_taken == 2


def test_a_partner_who_is_a_member_is_recognised(tree):
    federation, a, _ = tree
    wedding = create_wedding(federation)
    bride = create_single(a, gender="F")
    couple = weddings.register_couple(create_single(a), wedding.id, weddings.CoupleInput(
        partner_name=bride.name, partner_id_number=bride.id_number, certificate_on=TODAY - timedelta(days=3)),
        now=NOW)
    assert couple.partner_member_id == bride.id and couple.both_workers


# --- concurrency ---------------------------------------------------------------------------


def test_concurrent_registrations_never_take_more_places_than_the_event_has(app, tree):
    """PostgreSQL queues the registrations on the event's row lock and fills exactly the places;
    SQLite cannot lock a row, so a registration that loses the race is answered "busy" (the
    counters' CHECK refused it), and the counters still match the rows."""
    federation, a, _ = tree
    event = create_singles_event(federation, capacity=4, balanced=True)
    men = [create_single(a, gender="M").id for _ in range(5)]
    women = [create_single(a, gender="F").id for _ in range(2)]
    barrier = threading.Barrier(len(men) + len(women))
    outcomes = []

    def run(member_id):
        with app.app_context():
            barrier.wait()
            try:
                _register(db.session.get(Member, member_id), event)
                outcomes.append("ok")
            except Conflict as error:
                outcomes.append(error.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(member_id,)) for member_id in men + women]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    fresh = db.session.get(SinglesEvent, event.id)
    numbers = db.session.scalars(select(SinglesParticipant.number).where(SinglesParticipant.event_id == event.id)).all()
    assert len(outcomes) == 7 and set(outcomes) <= {"ok", "event_full", "event_sex_full", "busy"}
    assert fresh.places_taken == len(numbers) == outcomes.count("ok") == fresh.men_taken + fresh.women_taken
    assert fresh.men_taken <= 2 and fresh.women_taken <= 2
    assert len(set(numbers)) == len(numbers)  # one number each
    if IS_POSTGRES:
        assert (fresh.places_taken, fresh.men_taken, fresh.women_taken) == (4, 2, 2)
