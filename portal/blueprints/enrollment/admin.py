"""Plans (administrators edit the benefit schedule; each save is a new version) and campaigns."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.enrollment import bp
from portal.blueprints.enrollment.forms import CampaignForm, NominateForm, PlanForm
from portal.domain import enrollment as rules
from portal.domain.errors import DomainError, InvalidInput, PermissionDenied
from portal.domain.money import fen_to_yuan, yuan_to_fen
from portal.domain.plans import BenefitSchedule
from portal.domain.roles import Role
from portal.services.enrollment import campaigns, plans, queries
from portal.web import EmptyForm, checked_id, error_text, field_error, flash_error, render, roles_required

MONEY_FIELDS = {
    "contribution": "contribution_fen", "hospital_daily": "hospital_daily_fen", "condolence": "condolence_fen",
    "critical_illness": "critical_illness_fen", "accident_medical_cap": "accident_medical_cap_fen",
    "accident_death": "accident_death_fen",
}
PLAIN_FIELDS = ("hospital_days_cap", "illness_waiting_days", "claim_deadline_days")
SCHEDULE_TO_FORM = {value: key for key, value in MONEY_FIELDS.items()}


@bp.get("/plans", endpoint="plans")
@roles_required(Role.ADMIN)
def plan_list():
    """Every plan version; the current one is what new enrolments get."""
    return render("enrollment/plans.html", plans=queries.list_plans(current_user))


def _fill_form(form: PlanForm, plan) -> None:
    form.based_on_version.data = str(plan.version)
    form.name.data = plan.name
    for form_name, column in MONEY_FIELDS.items():
        getattr(form, form_name).data = str(fen_to_yuan(getattr(plan, column)))
    for name in PLAIN_FIELDS:
        getattr(form, name).data = getattr(plan, name)
    form.critical_diseases.data = "\n".join(plan.critical_diseases)
    form.disability_percentages.data = ",".join(str(p) for p in plan.disability_percentages)
    form.exclusions.data = plan.exclusions


def _schedule_from(form: PlanForm, plan) -> BenefitSchedule:
    money = {}
    for form_name, column in MONEY_FIELDS.items():
        try:
            money[column] = yuan_to_fen(getattr(form, form_name).data)
        except InvalidInput as error:
            error.field = form_name
            raise
    return plans.schedule_with(
        plan.schedule(), **money, **{name: getattr(form, name).data for name in PLAIN_FIELDS},
        critical_diseases=rules.parse_disease_list(form.critical_diseases.data),
        disability_percentages=rules.parse_percentages(form.disability_percentages.data),
        exclusions=form.exclusions.data.strip(),
    )


def _version(value: str | None) -> int:
    """The version the form was built on; a garbled one matches none, so the edit is refused as stale."""
    return int(value) if (value or "").isdigit() and len(value) < 10 else 0


@bp.route("/plans/<code>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_plan(code: str):
    """Edit the benefit schedule; saving creates a new version, older enrolments keep theirs."""
    plan = plans.current_plan(code)
    form = PlanForm()
    if form.validate_on_submit():
        try:
            schedule = _schedule_from(form, plan)
            saved = plans.edit_plan(current_user, code, name=form.name.data, schedule=schedule,
                                    based_on_version=_version(form.based_on_version.data))
        except DomainError as error:
            field = SCHEDULE_TO_FORM.get(error.field or "", error.field)
            target = getattr(form, field, None) if field else None
            (target.errors if target is not None and isinstance(target.errors, list) else form.form_errors) \
                .append(error_text(error))
        else:
            flash(_("已保存为第%(version)s版。新参保按新版本执行，已参保的保持原版本。", version=saved.version),
                  "success")
            return redirect(url_for("enrollment.plans"))
    elif not form.is_submitted():
        _fill_form(form, plan)
    return render("enrollment/plan_form.html", form=form, plan=plan,
                  versions=queries.plan_versions(current_user, code))


@bp.route("/campaigns", methods=["GET", "POST"], endpoint="campaigns")
@roles_required(Role.ADMIN, Role.REVIEWER, Role.UNION_OFFICER)
def campaign_list():
    """Campaigns with their uptake; administrators open new ones here."""
    form = CampaignForm() if current_user.role == Role.ADMIN else None
    if form is not None:
        form.union_code.choices = [(u.code, f"{u.name}（{u.code}）")
                                   for u in queries.unions_in_scope(current_user) if u.kind != "grassroots"]
        if form.validate_on_submit():
            try:
                campaign = campaigns.open_campaign(current_user, campaigns.CampaignDraft(
                    name=form.name.data, sponsor=form.sponsor.data, union_code=form.union_code.data,
                    opens_on=form.opens_on.data, closes_on=form.closes_on.data, quota=form.quota.data,
                    occupations=rules.parse_disease_list(form.occupations.data or ""),
                    requires_gig_worker=form.requires_gig_worker.data,
                    requires_social_insurance=form.requires_social_insurance.data,
                    description=form.description.data or "",
                ))
            except DomainError as error:
                field_error(form, error, "name")
            else:
                flash(_("已开启赠送项目“%(name)s”，名额%(quota)s个。", name=campaign.name, quota=campaign.quota),
                      "success")
                return redirect(url_for("enrollment.campaign", campaign_id=campaign.id))
    return render("enrollment/campaigns.html", uptakes=queries.list_campaigns(current_user), form=form)


@bp.get("/campaigns/<int:campaign_id>")
@roles_required(Role.ADMIN, Role.REVIEWER, Role.UNION_OFFICER)
def campaign(campaign_id: int):
    """One campaign: uptake, and the qualifying members an officer may still nominate."""
    found = queries.get_campaign(current_user, campaign_id)
    nominees = []
    if current_user.role in (Role.ADMIN, Role.UNION_OFFICER) and found.remaining:
        nominees = queries.eligible_unclaimed(current_user, campaign_id)
    return render("enrollment/campaign.html", campaign=found, nominees=nominees, form=EmptyForm(),
                  uptake=next((u for u in queries.list_campaigns(current_user)
                               if u.campaign.id == campaign_id), None))


@bp.post("/campaigns/<int:campaign_id>/nominate")
@roles_required(Role.ADMIN, Role.UNION_OFFICER)
def nominate(campaign_id: int):
    """Claim the gift on behalf of one qualifying member of the officer's union."""
    form = NominateForm()
    if form.validate_on_submit():
        try:
            enrollment = campaigns.nominate(current_user, campaign_id, checked_id(form.member_id.data))
        except PermissionDenied:
            raise
        except DomainError as error:
            flash_error(error)
        except ValueError:
            flash(_("请选择会员。"), "error")
        else:
            flash(_("已为 %(name)s 领取赠送保障。", name=enrollment.member.name), "success")
    return redirect(url_for("enrollment.campaign", campaign_id=campaign_id))


@bp.post("/campaigns/<int:campaign_id>/close")
@roles_required(Role.ADMIN)
def close_campaign(campaign_id: int):
    """Stop a campaign early."""
    if EmptyForm().validate_on_submit():
        try:
            campaigns.close_campaign(current_user, campaign_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("赠送项目已结束领取。"), "success")
    return redirect(url_for("enrollment.campaign", campaign_id=campaign_id))
