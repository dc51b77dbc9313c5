"""The member's side: my cover, applying, claiming a gift, the certificate."""

from __future__ import annotations

import segno
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal import clock
from portal.blueprints.enrollment import bp
from portal.domain import enrollment as rules
from portal.domain.errors import DomainError
from portal.models import EnrollmentChannel
from portal.services.enrollment import campaigns, enrolments, plans, queries
from portal.web import EmptyForm, error_text, flash_error, member_required, render


@bp.get("/my")
@member_required
def my_cover():
    """One page: current and past cover, the benefits in plain words, how to claim, what to apply for."""
    today = clock.today()
    cover = queries.my_cover(current_user, today=today)
    shown = cover.current or cover.upcoming
    return render(
        "enrollment/my_cover.html", cover=cover, today=today, form=EmptyForm(), rules=rules,
        plan=shown.plan if shown else _current_plan_or_none(),
        offers=[(campaign, error_text(refusal) if refusal else None)
                for campaign, refusal in campaigns.campaigns_for_member(current_user, today=today)]
        if cover.can_apply else [],
    )


def _current_plan_or_none():
    try:
        return plans.current_plan()
    except DomainError:
        return None


@bp.post("/my/apply")
@member_required
def apply():
    """Apply to be enrolled by one's union for the coming year."""
    if EmptyForm().validate_on_submit():
        try:
            enrolments.apply_for_cover(current_user)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("申请已提交，所在工会确认后保障即生效，届时会短信通知您。"), "success")
    return redirect(url_for("enrollment.my_cover"))


@bp.post("/my/campaigns/<int:campaign_id>/claim")
@member_required
def claim(campaign_id: int):
    """Claim the gifted cover of an open campaign."""
    if EmptyForm().validate_on_submit():
        try:
            campaigns.claim_gift(current_user, campaign_id, channel=EnrollmentChannel.CAMPAIGN)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("领取成功！保障从明天开始，为期一年。"), "success")
    return redirect(url_for("enrollment.my_cover"))


@bp.get("/my/certificate/<int:enrollment_id>")
@member_required
def certificate(enrollment_id: int):
    """The electronic certificate (电子参保凭证): one A4 page with a QR code to the verification page."""
    try:
        enrollment = enrolments.certificate_for(current_user, enrollment_id)
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("enrollment.my_cover"))
    url = url_for("enrollment.verify", token=enrolments.certificate_token(enrollment), _external=True)
    qr = Markup(segno.make(url, error="m").svg_inline(scale=4, dark="#1b1b1f"))  # noqa: S704 - segno's own SVG
    return render("enrollment/certificate.html", enrollment=enrollment, plan=enrollment.plan, qr=qr,
                  verify_url=url, rules=rules, expanded=True)
