"""Access as data: every endpoint of the portal, who may use it, and which records it reaches.

``POLICY`` maps each endpoint of ``app.url_map`` to an ``Access``: the audiences allowed (the
anonymous visitor, members, each staff role) and the scope rule its service applies to the record
in the address:

- ``PUBLIC``: published, non-personal information (or a form anyone may send);
- ``OWN``: a member's own records (or a staff member's own account); another person's answer 404/403;
- ``UNION``: records of the actor's union subtree; administrators and reviewers reach every union;
- ``ENTERPRISE``: records of the enterprise contact's own enterprise;
- ``FEDERATION``: federation-wide work, no union dimension (plans, payout batches, accounts);
- ``TOKEN``: whoever holds the unguessable token in the address (a student's placement link);
- ``DEVICE``: the kiosks' signed sync API (proofs under ``tests/sync``).

``enforce`` runs before every request and refuses an audience the table does not name (anonymous
visitors are sent to sign in), so the table is a gate of its own besides each view's decorator, and
an endpoint missing from it is refused, never open. ``tests/web/test_access_policy.py`` walks every
route as every kind of visitor against another union's records and checks the answers match.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask import abort, current_app, request
from flask_login import current_user

from portal.domain.roles import Role

ANONYMOUS = "anonymous"
ANYONE = frozenset({ANONYMOUS, *Role})
SIGNED_IN = frozenset(Role)
STAFF = frozenset(role for role in Role if role is not Role.MEMBER)
# Short names for the table: Administrator, Reviewer, Union officer, Childcare organiser, Enterprise, Member.
A, R, U, C, E, M = (Role.ADMIN, Role.REVIEWER, Role.UNION_OFFICER, Role.CHILDCARE_ORGANISER, Role.ENTERPRISE,
                    Role.MEMBER)


class Scope(StrEnum):
    PUBLIC = "public"
    OWN = "own"
    UNION = "union"
    ENTERPRISE = "enterprise"
    FEDERATION = "federation"
    TOKEN = "token"
    DEVICE = "device"


@dataclass(frozen=True)
class Access:
    who: frozenset
    scope: Scope

    def allows(self, audience: str) -> bool:
        return audience in self.who


def _(who, scope: Scope) -> Access:
    return Access(frozenset(who), scope)


PUBLIC, OWN, UNION, ENTERPRISE, FEDERATION, TOKEN, DEVICE = (
    Scope.PUBLIC, Scope.OWN, Scope.UNION, Scope.ENTERPRISE, Scope.FEDERATION, Scope.TOKEN, Scope.DEVICE)

POLICY: dict[str, Access] = {
    "static": _(ANYONE, PUBLIC),
    # main: the start page, the language switch, the health check
    "main.home": _(ANYONE, PUBLIC),
    "main.set_language": _(ANYONE, PUBLIC),
    "main.healthz": _(ANYONE, PUBLIC),
    "main.help_page": _(ANYONE, PUBLIC),
    # auth: signing in and out; a staff member's own account security
    "auth.staff_login": _(ANYONE, PUBLIC),
    "auth.staff_two_factor": _(ANYONE, PUBLIC),  # only with the password step's pending session
    "auth.member_login": _(ANYONE, PUBLIC),
    "auth.member_code": _(ANYONE, PUBLIC),
    "auth.logout": _(ANYONE, PUBLIC),
    "auth.staff_account": _(STAFF, OWN),
    "auth.staff_password": _(STAFF, OWN),
    "auth.staff_two_factor_setup": _(STAFF, OWN),
    "auth.staff_recovery_codes": _(STAFF, OWN),
    "auth.staff_two_factor_off": _(STAFF, OWN),
    # members: their own page
    "members.home": _({M}, OWN),
    "members.sms_consent": _({M}, OWN),
    "members.my_data": _({M}, OWN),
    # staff: the start page, the union tree; administrators: accounts, texts, audit log
    "staff.dashboard": _(STAFF, UNION),
    "staff.monthly_report": _({A, R, U}, UNION),
    "staff.queue_count_list": _(STAFF, UNION),
    "staff.unions": _({A, U, C}, UNION),
    "staff.edit_union": _({A}, FEDERATION),
    "staff.import_unions": _({A}, FEDERATION),
    "staff.union_template": _({A}, FEDERATION),
    "staff.accounts": _({A}, FEDERATION),
    "staff.account": _({A}, FEDERATION),
    "staff.change_role": _({A}, FEDERATION),
    "staff.set_active": _({A}, FEDERATION),
    "staff.reset_password": _({A}, FEDERATION),
    "staff.reset_two_factor": _({A}, FEDERATION),
    "staff.texts": _({A}, FEDERATION),
    "staff.export_texts": _({A}, FEDERATION),
    "staff.audit_log": _({A}, FEDERATION),
    "staff.export_audit": _({A}, FEDERATION),
    # enrollment: plans and campaigns (federation), covers of members (union), a member's own cover
    "enrollment.plans": _({A}, FEDERATION),
    "enrollment.edit_plan": _({A}, FEDERATION),
    "enrollment.campaigns": _({A, R, U}, UNION),
    "enrollment.campaign": _({A, R, U}, UNION),
    "enrollment.nominate": _({A, U}, UNION),
    "enrollment.close_campaign": _({A}, FEDERATION),
    "enrollment.my_cover": _({M}, OWN),
    "enrollment.apply": _({M}, OWN),
    "enrollment.claim": _({M}, OWN),
    "enrollment.certificate": _({M}, OWN),
    "enrollment.verify": _(ANYONE, TOKEN),
    "enrollment.enrollments": _({A, R, U}, UNION),
    "enrollment.export_enrollments": _({A, R, U}, UNION),
    "enrollment.members": _({A, R, U}, UNION),
    "enrollment.export_members": _({A, R, U}, UNION),
    "enrollment.applications": _({A, U}, UNION),
    "enrollment.confirm_application": _({A, U}, UNION),
    "enrollment.reject_application": _({A, U}, UNION),
    "enrollment.renewal": _({A, U}, UNION),
    "enrollment.roster_template": _({A, U}, UNION),
    "enrollment.rosters": _({A, U}, UNION),
    "enrollment.roster": _({A, U}, UNION),
    "enrollment.roster_status": _({A, U}, UNION),
    "enrollment.confirm_roster": _({A, U}, UNION),
    "enrollment.recheck_roster": _({A, U}, UNION),
    "enrollment.roster_report": _({A, U}, UNION),
    # claims: filed by the member or their union's officer; read by reviewers and administrators too
    "claims.index": _({M, U}, UNION),
    "claims.new": _({M, U}, UNION),
    "claims.edit": _({M, U}, UNION),
    "claims.upload": _({M, U}, UNION),
    "claims.delete_document": _({M, U}, UNION),
    "claims.document": _({M, U, R, A}, UNION),
    "claims.detail": _({M, U, R, A}, UNION),
    # review: the association's reviewers (decisions) and administrators (payouts, discharge lists)
    "review.queue": _({R, A}, FEDERATION),
    "review.claim": _({R, A}, FEDERATION),
    "review.decide": _({R}, FEDERATION),
    "review.bulk": _({R}, FEDERATION),
    "review.payout_list": _({R, A}, FEDERATION),
    "review.batch": _({R, A}, FEDERATION),
    "review.split": _({R, A}, FEDERATION),
    "review.export": _({R, A}, FEDERATION),
    "review.mark_paid": _({R, A}, FEDERATION),
    "review.discharge_lists": _({R, A}, FEDERATION),
    "review.discharge_import": _({R, A}, FEDERATION),
    "review.discharge_sample": _({R, A}, FEDERATION),
    "review.export_queue": _({R, A}, FEDERATION),
    "review.export_payouts": _({R, A}, FEDERATION),
    # childcare: public classes, a member's registrations, the organiser's classes (officers read)
    "childcare.index": _(ANYONE, PUBLIC),
    "childcare.show_class": _(ANYONE, PUBLIC),
    "childcare.ballot_check": _(ANYONE, PUBLIC),
    "childcare.register": _({M}, OWN),
    "childcare.mine": _({M}, OWN),
    "childcare.registration": _({M}, OWN),
    "childcare.cancel": _({M}, OWN),
    "childcare.manage_index": _({C, U, A}, UNION),
    "childcare.manage_export": _({C, U, A}, UNION),
    "childcare.manage_export_registrations": _({C, U, A}, UNION),
    "childcare.manage_export_attendance": _({C, U, A}, UNION),
    "childcare.manage_show_class": _({C, U, A}, UNION),
    "childcare.manage_new_class": _({C}, UNION),
    "childcare.manage_edit_class": _({C}, UNION),
    "childcare.manage_publish": _({C}, UNION),
    "childcare.manage_allocate": _({C}, UNION),
    "childcare.manage_send_notice": _({C}, UNION),
    "childcare.manage_health_notes": _({C}, UNION),
    "childcare.manage_cancel": _({C}, UNION),
    "childcare.manage_review_declared": _({C}, UNION),
    "childcare.manage_attendance": _({C}, UNION),
    "childcare.manage_mark": _({C}, UNION),
    "childcare.manage_pickup": _({C}, UNION),
    "childcare.manage_undo": _({C}, UNION),
    # jobs (work-study): public positions, parents, students by token, enterprises, unions
    "jobs.index": _(ANYONE, PUBLIC),
    "jobs.position": _(ANYONE, PUBLIC),
    "jobs.register_enterprise": _(ANYONE, PUBLIC),
    "jobs.student_apply": _(ANYONE, PUBLIC),
    "jobs.student_verify": _(ANYONE, TOKEN),
    "jobs.student_placement": _(ANYONE, TOKEN),
    "jobs.student_certificate": _(ANYONE, TOKEN),
    "jobs.my_jobs": _({M}, OWN),
    "jobs.new_student": _({M}, OWN),
    "jobs.confirm_student": _({M}, OWN),
    "jobs.apply": _({M}, OWN),
    "jobs.withdraw": _({M}, OWN),
    "jobs.my_placement": _({M}, OWN),
    "jobs.my_certificate": _({M}, OWN),
    "jobs.enterprise.dashboard": _({E}, ENTERPRISE),
    "jobs.enterprise.new_position": _({E}, ENTERPRISE),
    "jobs.enterprise.position": _({E}, ENTERPRISE),
    "jobs.enterprise.close_position": _({E}, ENTERPRISE),
    "jobs.enterprise.decide": _({E}, ENTERPRISE),
    "jobs.enterprise.placement": _({E}, ENTERPRISE),
    "jobs.enterprise.agreement": _({E}, ENTERPRISE),
    "jobs.enterprise.attendance": _({E}, ENTERPRISE),
    "jobs.enterprise.finish": _({E}, ENTERPRISE),
    "jobs.enterprise.certificate": _({E}, ENTERPRISE),
    "jobs.union.overview": _({U, A}, UNION),
    "jobs.union.enterprises": _({U, A}, UNION),
    "jobs.union.new_enterprise": _({U, A}, UNION),
    "jobs.union.review": _({U, A}, UNION),
    "jobs.union.positions": _({U, A}, UNION),
    "jobs.union.close_position": _({U, A}, UNION),
    "jobs.union.applications": _({U, A}, UNION),
    "jobs.union.placement_list": _({U, A}, UNION),
    "jobs.union.placement": _({U, A}, UNION),
    "jobs.union.certificate": _({U, A}, UNION),
    "jobs.union.answer": _({U, A}, UNION),
    "jobs.union.export": _({U, A}, UNION),
    "jobs.union.review_position": _({U, A}, UNION),
    "jobs.union.export_positions": _({U, A}, UNION),
    "jobs.union.export_enterprises": _({U, A}, UNION),
    "jobs.union.export_applications": _({U, A}, UNION),
    # stations and kiosks: the public directory; officers edit their union's stations; admins the fleet
    "stations.index": _(ANYONE, PUBLIC),
    "stations.station": _(ANYONE, PUBLIC),
    "stations.poster": _(ANYONE, PUBLIC),
    "stations.kiosk_receipt": _(ANYONE, TOKEN),
    "stations.manage": _({A, U}, UNION),
    "stations.edit": _({A, U}, UNION),
    "stations.kiosks": _({A, U}, UNION),
    "stations.kiosk": _({A, U}, UNION),
    "stations.handled": _({A, U}, UNION),
    "stations.create": _({A}, FEDERATION),
    "stations.new_kiosk": _({A}, FEDERATION),
    "stations.reenrol": _({A}, FEDERATION),
    "stations.rotate": _({A}, FEDERATION),
    "stations.retire": _({A}, FEDERATION),
    "stations.revoke": _({A}, FEDERATION),
    # events: public listings, a member's registrations, the organising union's management
    "events.index": _(ANYONE, PUBLIC),
    "events.show_event": _(ANYONE, PUBLIC),
    "events.show_wedding": _(ANYONE, PUBLIC),
    "events.register": _({M}, OWN),
    "events.mine": _({M}, OWN),
    "events.participant": _({M}, OWN),
    "events.cancel": _({M}, OWN),
    "events.choose": _({M}, OWN),
    "events.withdraw_choice": _({M}, OWN),
    "events.register_couple": _({M}, OWN),
    "events.couple": _({M}, OWN),
    "events.cancel_couple": _({M}, OWN),
    "events.manage_index": _({U, A}, UNION),
    "events.manage_event": _({U, A}, UNION),
    "events.manage_wedding": _({U, A}, UNION),
    "events.manage_programme": _({U, A}, UNION),
    "events.manage_new_event": _({U}, UNION),
    "events.manage_publish": _({U}, UNION),
    "events.manage_decide": _({U}, UNION),
    "events.manage_door": _({U}, UNION),
    "events.manage_new_wedding": _({U}, UNION),
    "events.manage_publish_wedding": _({U}, UNION),
    "events.manage_decide_couple": _({U}, UNION),
    # evaluation (康乃馨): organising and participating unions; administrators read
    "evaluation.index": _({U, A}, UNION),
    "evaluation.show_round": _({U, A}, UNION),
    "evaluation.check_round": _({U, A}, UNION),
    "evaluation.export": _({U, A}, UNION),
    "evaluation.photo": _({U, A}, UNION),
    "evaluation.result": _({U, A}, UNION),
    "evaluation.station": _({U, A}, UNION),
    "evaluation.new_round": _({U}, UNION),
    "evaluation.draw": _({U}, UNION),
    "evaluation.publish": _({U}, UNION),
    "evaluation.sheet": _({U}, UNION),
    "evaluation.upload_photo": _({U}, UNION),
    # hardship register and heat relief: union officers of the subtree, administrators
    "hardship.index": _({U, A}, UNION),
    "hardship.register": _({U, A}, UNION),
    "hardship.family": _({U, A}, UNION),
    "hardship.review": _({U, A}, UNION),
    "hardship.remove": _({U, A}, UNION),
    "relief.index": _({U, A}, UNION),
    "relief.season": _({U, A}, UNION),
    "relief.confirm": _({U, A}, UNION),
    "relief.payout": _({U, A}, UNION),
    "relief.packs": _({U, A}, UNION),
    "relief.close": _({U, A}, UNION),
    # joining online: anyone asks; the chosen union's officers (and administrators) answer
    "joining.start": _(ANYONE, PUBLIC),
    "joining.details": _(ANYONE, PUBLIC),
    "joining.received": _(ANYONE, PUBLIC),
    "joining.requests": _({A, U}, UNION),
    "joining.request_detail": _({A, U}, UNION),
    "joining.confirm": _({A, U}, UNION),
    "joining.decline": _({A, U}, UNION),
    "joining.proof": _({A, U}, UNION),
    # the kiosks' sync API: signed by the device, never a browser session
    "sync.openapi": _(ANYONE, PUBLIC),
    "sync.enrol": _(ANYONE, DEVICE),
    "sync.session": _(ANYONE, DEVICE),
    "sync.head_blob": _(ANYONE, DEVICE),
    "sync.put_blob": _(ANYONE, DEVICE),
    "sync.push": _(ANYONE, DEVICE),
    "sync.changes": _(ANYONE, DEVICE),
    "sync.rotate_key": _(ANYONE, DEVICE),
    "sync.start_lookup": _(ANYONE, DEVICE),
    "sync.verify_lookup": _(ANYONE, DEVICE),
    # texts: the SMS gateway's signed delivery reports (a machine, like a kiosk); templates
    "texts.delivery_reports": _(ANYONE, DEVICE),
    "texts.templates": _({A}, FEDERATION),
    "texts.edit_template": _({A}, FEDERATION),
    "texts.preview_template": _({A}, FEDERATION),
    "texts.reset_template": _({A}, FEDERATION),
}


def audience() -> str:
    """Who is asking: ``anonymous`` or the signed-in account's role."""
    if not getattr(current_user, "is_authenticated", False):
        return ANONYMOUS
    return Role(current_user.role)


def enforce():
    """Before every request: refuse an audience the table does not allow for the endpoint."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: the 404 (or 405) follows
        return None
    access = POLICY.get(endpoint)
    if access is None:
        current_app.logger.error("endpoint %s has no entry in portal.access_policy.POLICY: refused", endpoint)
        abort(403)
    who = audience()
    if access.allows(who):
        return None
    if who == ANONYMOUS:
        from portal.extensions import login_manager

        return login_manager.unauthorized()
    abort(403)
