"""Access as data (issue 12): ``portal.access_policy.POLICY`` names every endpoint's audiences and
scope rule, and the portal answers exactly that — walked over every route, as the anonymous visitor,
a member and another member, each staff role and other unions' officers, on records of one union."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.access_policy import ANONYMOUS, POLICY, Scope
from portal.domain.identity import compose_id_number, parse_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import (
    Campaign,
    ChildcareClass,
    Claim,
    ClaimDocument,
    DischargeImport,
    Enrollment,
    EvaluationEntry,
    EvaluationPhoto,
    EvaluationRound,
    EvaluationSheet,
    HardshipFamily,
    HeatSeason,
    JoinRequest,
    Kiosk,
    Member,
    PayoutBatch,
    Placement,
    Plan,
    Position,
    Registration,
    RosterImport,
    SinglesEvent,
    SinglesParticipant,
    StaffUser,
    Station,
    StudentVerification,
    Union,
    Wedding,
    WeddingCouple,
)
from portal.models.base import utcnow
from portal.pii import lookup_hash
from portal.services.enrollment.enrolments import certificate_token
from portal.services.jobs.placements import link_token_hash
from tests.conftest import CSRF_RE, Auth
from tests.factories import create_application, create_placement, create_student
from tests.web.walk import load_world, url_for_rule

STAFF = ("admin", "reviewer", "officer", "officer_hs", "officer_wx", "knx01", "organiser", "enterprise")
IDENTITIES = (None, "member", "other_member", *STAFF)


@dataclass
class Owner:
    """Whose record a sample is: its union, member, enterprise (``None``: anyone's)."""

    union_id: int | None = None
    member_id: int | None = None
    enterprise_id: int | None = None
    # How a union's officers reach it: "down" (records of their subtree), "exact" (their own union's
    # only: a score sheet is filled by the evaluating unit itself), "both" (a heat-relief season is
    # seen by the officers below the declaring union and above it).
    reach: str = "down"


def _first(model, *where):
    return db.session.scalar(select(model).where(*where).order_by(model.id).limit(1))


class World:
    """The demo federation, and the records each route is tried on: those of the demo member's union
    (梁溪区快递行业工会, the ``officer``'s) wherever the demo has one there."""

    def __init__(self):
        load_world()
        self.member = db.session.scalar(select(Member).order_by(Member.id).limit(1))
        self.home = self.member.union
        self.other_member = db.session.scalar(select(Member).join(Union, Member.union_id == Union.id).where(
            ~Union.path.startswith(self.home.path.split("/")[0] + "/" + self.home.path.split("/")[1] + "/"),
        ).order_by(Member.id).limit(1)) or db.session.scalar(
            select(Member).where(Member.union_id != self.home.id).order_by(Member.id).limit(1))
        self.staff = {user.username: user for user in db.session.scalars(select(StaffUser))}
        # The demo member's child at work, so the member's own placement pages are tried too.
        position = db.session.scalar(select(Position).order_by(Position.id).limit(1))
        placement = create_placement(create_application(position, create_student(self.member)))
        # The student's own link to it (texted on acceptance; only its keyed hash is stored).
        self.placement_token = "walk-" + uuid.uuid4().hex
        placement.access_token_hash = link_token_hash(self.placement_token)
        # A child the demo member is registering, waiting for the student's code.
        self.student_link = StudentVerification(
            public_id=str(uuid.uuid4()), position_id=None, parent_member_id=self.member.id, payload="{}",
            code_hash="0" * 64, expires_at=utcnow() + timedelta(hours=1), created_at=utcnow())
        db.session.add(self.student_link)
        self._records_the_demo_lacks(position)
        db.session.commit()

    def _records_the_demo_lacks(self, position):
        """Records of routes the demo has none of, so the walk proves their scope too."""
        m = self.member
        now = utcnow()
        # A student applying alone, waiting for the codes (its page answers anyone holding the link).
        self.student_application = StudentVerification(
            public_id=str(uuid.uuid4()), position_id=position.id, parent_member_id=None, payload="{}",
            code_hash="0" * 64, expires_at=now + timedelta(hours=1), created_at=now)
        db.session.add(self.student_application)
        # The demo member at a singles' event and a collective wedding.
        event = _first(SinglesEvent, SinglesEvent.status != "draft")
        if event is not None and _first(SinglesParticipant, SinglesParticipant.member_id == m.id) is None:
            db.session.add(SinglesParticipant(event_id=event.id, member_id=m.id, union_id=m.union_id, number=9_001,
                                              gender="M", status="requested", declared_single_at=now))
        wedding = _first(Wedding, Wedding.status != "draft")
        if wedding is not None and _first(WeddingCouple, WeddingCouple.member_id == m.id) is None:
            couple = WeddingCouple(wedding_id=wedding.id, member_id=m.id, union_id=m.union_id, number=9_001,
                                   partner_name="张丽", certificate_on=now.date(), status="requested")
            couple.partner_id_number = compose_id_number("320102", date(1995, 1, 1), 28)
            couple.partner_id_number_hash = lookup_hash(couple.partner_id_number)
            db.session.add(couple)
        # A hospital-discharge list the reviewers imported (one row, nobody invited).
        self.discharge_import = DischargeImport(filename="出院名单.xlsx", row_count=1, results=[])
        db.session.add(self.discharge_import)
        # A request to join the home union with its proof of work (a small image on disk).
        if _first(JoinRequest, JoinRequest.proof_stored_name.is_not(None)) is None:
            proof = Path(current_app.config["UPLOAD_FOLDER"]) / "joining" / f"walk-{uuid.uuid4().hex}.png"
            proof.parent.mkdir(parents=True, exist_ok=True)
            proof.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
            request = JoinRequest(name="赵敏", occupation="快递员", employer="顺丰速运", union_id=self.home.id,
                                  status="submitted", proof_stored_name=f"joining/{proof.name}",
                                  proof_content_type="image/png")
            request.set_identity(parse_id_number(compose_id_number("320102", date(1995, 1, 1), 26), today=now.date()))
            request.set_mobile("13912349876")
            db.session.add(request)
        # A roster of the home union that failed its check (its file long gone).
        if self.in_home(RosterImport) is None:
            db.session.add(RosterImport(union_id=self.home.id, plan_id=_first(Plan).id, filename="名单.xlsx",
                                        content_hash="0" * 64, stored_name="gone.xlsx", status="failed",
                                        failure="文件已损坏", issues=[], file_removed_at=now))

    def in_home(self, model, *where):
        """A record of ``model`` in the home union's subtree if there is one, else any."""
        column = model.union_id
        ids = self.home.subtree_ids()
        return _first(model, column.in_(ids), *where) or _first(model, *where)

    def sample(self, endpoint: str):
        """``(path arguments, owner)`` of a real record for ``endpoint``; ``None`` when the demo has none."""
        m = self.member
        claim = _first(Claim, Claim.member_id == m.id)
        samples = {
            "enrollment.edit_plan": lambda: ({"code": _first(Plan).code}, Owner()),
            # A gifted campaign is the federation's: every officer nominates its own members to it.
            "enrollment.campaign": lambda: _by("campaign_id", _first(Campaign)),
            "enrollment.certificate": lambda: _by("enrollment_id", _first(Enrollment, Enrollment.member_id == m.id,
                                                                          Enrollment.status == "active"), member=True),
            "enrollment.roster": lambda: _by("import_id", self.in_home(RosterImport), union=True),
            "enrollment.roster_status": lambda: _by("import_id", self.in_home(RosterImport), union=True),
            "enrollment.roster_report": lambda: _by("import_id", self.in_home(RosterImport), union=True),
            "claims.edit": lambda: _by("claim_id", _first(Claim, Claim.member_id == m.id, Claim.status == "draft"),
                                       union=True, member=True),
            "claims.detail": lambda: _by("claim_id", claim, union=True, member=True),
            "claims.document": lambda: _doc(_first(ClaimDocument, ClaimDocument.claim_id.in_(
                select(Claim.id).where(Claim.member_id == m.id)))),
            "review.claim": lambda: _by("claim_id", claim),
            "review.batch": lambda: _by("batch_id", _first(PayoutBatch)),
            "childcare.show_class": lambda: _by("class_id", _first(ChildcareClass, ChildcareClass.status != "draft")),
            "childcare.ballot_check": lambda: _by("class_id", _first(ChildcareClass, ChildcareClass.status != "draft")),
            "childcare.register": lambda: _by("class_id", _first(ChildcareClass, ChildcareClass.status == "published")),
            "childcare.registration": lambda: _by("registration_id",
                                                  _first(Registration, Registration.parent_id == m.id),
                                                  member="parent_id"),
            "childcare.manage_show_class": lambda: _by("class_id", _first(ChildcareClass), union=True),
            "childcare.manage_edit_class": lambda: _by("class_id", _first(ChildcareClass), union=True),
            "childcare.manage_attendance": lambda: _by("class_id", _first(ChildcareClass), union=True),
            "childcare.manage_allocate": lambda: _by("class_id", _first(ChildcareClass), union=True),
            "childcare.manage_export_registrations": lambda: _by("class_id", _first(ChildcareClass), union=True),
            "childcare.manage_export_attendance": lambda: _by("class_id", _first(ChildcareClass), union=True),
            "childcare.manage_health_notes": lambda: _registration(_first(Registration)),
            "childcare.manage_cancel": lambda: _registration(_first(Registration, Registration.status != "cancelled")),
            "jobs.position": lambda: _by("position_id", _first(Position, Position.status == "open")),
            "jobs.student_apply": lambda: _by("position_id", _first(Position, Position.status == "open")),
            "jobs.confirm_student": lambda: ({"public_id": self.student_link.public_id}, Owner(member_id=m.id)),
            "jobs.student_verify": lambda: ({"public_id": self.student_application.public_id}, Owner()),
            "review.discharge_import": lambda: _by("import_id", self.discharge_import),
            "jobs.student_placement": lambda: ({"token": self.placement_token}, Owner()),
            "jobs.student_certificate": lambda: ({"token": self.placement_token}, Owner()),
            "enrollment.verify": lambda: _certificate(_first(Enrollment, Enrollment.member_id == m.id,
                                                             Enrollment.status == "active")),
            "events.register": lambda: _by("event_id", _first(SinglesEvent, SinglesEvent.status != "draft")),
            "events.register_couple": lambda: _by("wedding_id", _first(Wedding, Wedding.status != "draft")),
            "jobs.my_placement": lambda: _placement_of(m),
            "jobs.my_certificate": lambda: _placement_of(m),
            "jobs.enterprise.position": lambda: _by("position_id", _first(Position), enterprise=True),
            "jobs.enterprise.placement": lambda: _by("placement_id", _first(Placement), enterprise=True),
            "jobs.enterprise.certificate": lambda: _by("placement_id", _first(Placement), enterprise=True),
            "jobs.union.placement": lambda: _by("placement_id", self.in_home(Placement), union=True),
            "jobs.union.certificate": lambda: _by("placement_id", self.in_home(Placement), union=True),
            "stations.station": lambda: _by("station_id", _first(Station)),
            "stations.poster": lambda: _by("station_id", _first(Station)),
            "stations.edit": lambda: _by("station_id", self.in_home(Station), union=True),
            "stations.kiosk": lambda: _kiosk(_first(Kiosk)),
            "events.show_event": lambda: _by("event_id", _first(SinglesEvent, SinglesEvent.status != "draft")),
            "events.show_wedding": lambda: _by("wedding_id", _first(Wedding, Wedding.status != "draft")),
            "events.participant": lambda: _by("participant_id",
                                              _first(SinglesParticipant, SinglesParticipant.member_id == m.id),
                                              member=True),
            "events.couple": lambda: _by("couple_id", _first(WeddingCouple, WeddingCouple.member_id == m.id),
                                         member=True),
            "events.manage_event": lambda: _by("event_id", _first(SinglesEvent), union=True),
            "events.manage_door": lambda: _by("event_id", _first(SinglesEvent), union=True),
            "events.manage_wedding": lambda: _by("wedding_id", _first(Wedding), union=True),
            "events.manage_programme": lambda: _by("wedding_id", _first(Wedding), union=True),
            "evaluation.show_round": lambda: _by("round_id", _first(EvaluationRound), union=True),
            "evaluation.check_round": lambda: _by("round_id", _first(EvaluationRound), union=True),
            "evaluation.export": lambda: _by("round_id", _first(EvaluationRound), union=True),
            "evaluation.result": lambda: _by("entry_id", _first(EvaluationEntry, EvaluationEntry.round_id.in_(
                select(EvaluationRound.id).where(EvaluationRound.status == "published"))), union=True),
            "evaluation.station": lambda: _by("station_id", _first(Station, Station.kind == "carnation"), union=True),
            "evaluation.sheet": lambda: _sheet(_first(EvaluationSheet)),
            "evaluation.photo": lambda: _photo(_first(EvaluationPhoto)),
            "hardship.register": lambda: _by("member_id", m, union=True),
            "hardship.family": lambda: _by("family_id", self.in_home(HardshipFamily), union=True),
            "relief.season": lambda: _season(_first(HeatSeason)),
            "relief.payout": lambda: _season(_first(HeatSeason)),
            "joining.request_detail": lambda: _by("request_id", _first(JoinRequest), union=True),
            "joining.proof": lambda: _by("request_id", _first(JoinRequest, JoinRequest.proof_stored_name.is_not(None)),
                                         union=True),
            "staff.account": lambda: _by("user_id", self.staff["officer"]),
            "staff.edit_union": lambda: ({"code": _first(Union).code}, Owner()),
            "texts.edit_template": lambda: ({"kind": "login_code"}, Owner()),
        }
        make = samples.get(endpoint)
        return make() if make else None


def _by(name, record, *, union=False, member=False, enterprise=False):
    if record is None:
        return None
    member_column = member if isinstance(member, str) else "member_id"
    return {name: record.id}, Owner(union_id=record.union_id if union else None,
                                    member_id=getattr(record, member_column, None) if member else None,
                                    enterprise_id=record.enterprise_id if enterprise else None)


def _certificate(enrollment):
    """A certificate's QR code: a signed token of the enrolment, checked by anyone who scans it."""
    return None if enrollment is None else ({"token": certificate_token(enrollment)}, Owner())


def _doc(document):
    return None if document is None else (
        {"document_id": document.id}, Owner(union_id=document.claim.union_id, member_id=document.claim.member_id))


def _registration(registration):
    return None if registration is None else (
        {"registration_id": registration.id}, Owner(union_id=registration.childcare_class.union_id))


def _placement_of(member):
    placement = db.session.scalar(select(Placement).join(Placement.student).where(
        Placement.student.has(parent_member_id=member.id)).limit(1))
    return None if placement is None else ({"placement_id": placement.id}, Owner(member_id=member.id))


def _kiosk(kiosk):
    if kiosk is None:
        return None
    return {"kiosk_id": kiosk.id}, Owner(union_id=db.session.get(Station, kiosk.station_id).union_id)


def _sheet(sheet):
    return None if sheet is None else (
        {"sheet_id": sheet.id},
        Owner(union_id=db.session.get(EvaluationEntry, sheet.evaluator_id).union_id, reach="exact"))


def _photo(photo):
    if photo is None:
        return None
    sheet = db.session.get(EvaluationSheet, photo.sheet_id)
    return {"photo_id": photo.id}, Owner(union_id=db.session.get(EvaluationEntry, sheet.evaluator_id).union_id)


def _season(season):
    return None if season is None else ({"season_id": season.id}, Owner(union_id=season.paying_union_id, reach="both"))


def test_every_endpoint_has_an_entry_in_the_policy(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(POLICY))
    assert not missing, f"add these endpoints to portal/access_policy.py POLICY: {missing}"
    assert not sorted(set(POLICY) - endpoints), "POLICY names endpoints that no longer exist"


def test_an_endpoint_without_an_entry_is_refused(app, client):
    access = POLICY.pop("main.home")
    try:
        assert client.get("/").status_code == 403
    finally:
        POLICY["main.home"] = access
    assert client.get("/").status_code == 200


def _client(app, world, identity):
    client = app.test_client()
    auth = Auth(client)
    if identity == "member":
        auth.member(world.member)
    elif identity == "other_member":
        auth.member(world.other_member)
    elif identity is not None:
        auth.staff(identity, "demo-portal-2026")
    return client


def _audience(world, identity):
    if identity is None:
        return ANONYMOUS
    return Role.MEMBER if identity in ("member", "other_member") else Role(world.staff[identity].role)


def _sees(world, identity, owner: Owner, scope: Scope) -> bool:
    """Whether ``identity`` may see a record of ``owner`` under ``scope`` (its role being allowed)."""
    if scope not in (Scope.UNION, Scope.OWN, Scope.ENTERPRISE):
        return True
    if identity in ("member", "other_member"):
        member = world.member if identity == "member" else world.other_member
        return owner.member_id is None or owner.member_id == member.id
    user = world.staff.get(identity)
    if user is None:
        return False
    if user.role in (Role.ADMIN, Role.REVIEWER):
        return True
    if user.role == Role.ENTERPRISE:
        return owner.enterprise_id is None or owner.enterprise_id == user.enterprise_id
    if owner.union_id is None:
        return owner.member_id is None
    if user.union is None:
        return False
    union = db.session.get(Union, owner.union_id)
    if owner.reach == "exact":
        return user.union_id == union.id
    return user.union.contains(union) or (owner.reach == "both" and union.contains(user.union))


# Routes with an id (or token) in the address that the walk cannot try on a record: a kiosk's
# receipt needs an envelope a signed device sent (tests/sync holds them), and the demo has no
# published evaluation round or score-sheet photo yet. Every other route is tried on a record
# (``World._records_the_demo_lacks`` adds those the demo has none of).
UNSAMPLED = {"stations.kiosk_receipt", "evaluation.result", "evaluation.photo"}

SIGN_IN_PAGES = ("/auth/member/login", "/auth/staff/login")
# The second step of a sign-in sends back to the first when there was none: that is its own answer.
STEP_PAGES = {"auth.member_code", "auth.staff_two_factor"}


def _to_sign_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].split("?")[0].endswith(SIGN_IN_PAGES)


def _refused(response, identity) -> bool:
    """Refused: 403/404, sent to sign in (a visitor), or sent elsewhere (a member's certificate of
    someone else goes back to their own cover page, showing nothing of the record)."""
    return response.status_code in (302, 403, 404) if identity is not None else (
        _to_sign_in(response) or response.status_code in (403, 404))


def _answered(response, endpoint) -> bool:
    """Served: not refused, not sent to sign in (unless the route's own answer is a first step)."""
    if response.status_code >= 400:
        return False
    return endpoint in STEP_PAGES or not _to_sign_in(response)


def test_every_route_answers_as_the_policy_says(app):
    world = World()
    rules = sorted((rule for rule in app.url_map.iter_rules()
                    if rule.endpoint != "static" and POLICY[rule.endpoint].scope is not Scope.DEVICE),
                   key=lambda rule: rule.rule)
    samples = {rule.endpoint: world.sample(rule.endpoint) for rule in rules if rule.arguments}
    unsampled = {rule.endpoint for rule in rules if rule.arguments and "GET" in rule.methods
                 and samples[rule.endpoint] is None}
    assert unsampled == UNSAMPLED, f"give World.sample a record for these routes: {sorted(unsampled ^ UNSAMPLED)}"
    problems, checked = [], 0
    for identity in IDENTITIES:
        client = _client(app, world, identity)
        token_page = client.get("/auth/staff/login" if identity is None else "/")
        token = CSRF_RE.search(token_page.get_data(as_text=True))
        audience = _audience(world, identity)
        for rule in rules:
            access = POLICY[rule.endpoint]
            sample = samples.get(rule.endpoint)
            url = rule.build(sample[0])[1] if sample else url_for_rule(rule)
            allowed = access.allows(audience)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                if method != "GET" and allowed:
                    continue  # an allowed POST acts: its rules are proved in each area's tests
                data = {"csrf_token": token.group(1)} if token and method != "GET" else None
                response = client.open(url, method=method, data=data)
                response.close()  # a document or an export is a file: let it go
                checked += 1
                if not allowed:
                    if not (response.status_code == 403 if identity is not None else _to_sign_in(response)):
                        problems.append(f"{identity} {method} {url}: {response.status_code}, policy refuses")
                    continue
                if sample is None and rule.arguments:
                    continue  # no record to try it on (``UNSAMPLED``): the role gate above is its proof
                sees = _sees(world, identity, sample[1], access.scope) if sample else True
                if sees and not _answered(response, rule.endpoint):
                    problems.append(f"{identity} GET {url}: {response.status_code}, policy allows")
                elif not sees and not _refused(response, identity):
                    problems.append(f"{identity} GET {url}: {response.status_code}, another union's or person's")
    assert checked > 1500
    assert not problems, "\n".join(problems)
