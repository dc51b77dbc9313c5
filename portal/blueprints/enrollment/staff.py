"""Union staff: enrolments and members (paged, filtered, exported), applications, renewal, and the
union rosters (template, upload, the row-by-row report with its progress bar, confirm)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.enrollment import bp
from portal.blueprints.enrollment.forms import RejectForm, RenewalForm, RosterUploadForm
from portal.domain import enrollment as rules
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.roles import Role
from portal.integrations.spreadsheets import xlsx_download, xlsx_stream
from portal.services.enrollment import enrolments, exports, queries, roster_rows, rosters
from portal.templating import local_date
from portal.web import (
    EmptyForm,
    error_text,
    field_error,
    flash_error,
    int_arg,
    needs_search_redirect,
    page_arg,
    render,
    roles_required,
    search_redirect,
    search_term,
)

READERS = (Role.ADMIN, Role.REVIEWER, Role.UNION_OFFICER)
OFFICERS = (Role.ADMIN, Role.UNION_OFFICER)


def _page() -> int:
    return page_arg()


def _enrollment_filters() -> queries.EnrollmentFilters:
    args = request.args
    return queries.EnrollmentFilters(
        q=search_term(), status=args.get("status", "") if args.get("status") in rules.STATUS_LABELS else "",
        plan_year=int_arg("plan_year", 1900, 9999), union_code=args.get("union_code", "")[:32],
        channel=args.get("channel", "") if args.get("channel") in rules.CHANNEL_LABELS else "",
    )


ENROLLMENT_FILTERS = ("status", "channel", "plan_year", "union_code")
MEMBER_FILTERS = ("union_code", "cover", "gig")


@bp.route("/", methods=["GET", "POST"])
@roles_required(*READERS)
def enrollments():
    """Enrolments in the actor's union subtree, filtered and paged. The search words are POSTed
    and carried sealed (``web.search_term``): an ID number never sits in an address."""
    if needs_search_redirect():
        return search_redirect("enrollment.enrollments", ENROLLMENT_FILTERS)
    filters, page, per_page = _enrollment_filters(), _page(), current_app.config["PAGE_SIZE"]
    try:
        rows, total = queries.list_enrollments(current_user, filters, page=page, per_page=per_page)
    except DomainError as error:
        flash_error(error)
        rows, total = [], 0
    return render("enrollment/list.html", "enrollment/_list_table.html", rows=rows, total=total, page=page,
                  per_page=per_page, filters=filters, rules=rules)


@bp.get("/export.xlsx")
@roles_required(*READERS)
def export_enrollments():
    """The filtered enrolments as an Excel file."""
    export = exports.export_enrollments(current_user, _enrollment_filters())
    return xlsx_stream(export.filename, export.stream)


def _member_filters() -> queries.MemberFilters:
    args = request.args
    return queries.MemberFilters(q=search_term(), union_code=args.get("union_code", "")[:32],
                                            cover=args.get("cover", ""), gig=args.get("gig", ""))


@bp.route("/members", methods=["GET", "POST"])
@roles_required(*READERS)
def members():
    """Members of the actor's union subtree with their cover today (searched as ``enrollments``)."""
    if needs_search_redirect():
        return search_redirect("enrollment.members", MEMBER_FILTERS)
    filters, page, per_page = _member_filters(), _page(), current_app.config["PAGE_SIZE"]
    try:
        rows, total, covers = queries.list_members(current_user, filters, page=page, per_page=per_page)
    except DomainError as error:
        flash_error(error)
        rows, total, covers = [], 0, {}
    return render("enrollment/members.html", "enrollment/_members_table.html", rows=rows, total=total,
                  covers=covers, page=page, per_page=per_page, filters=filters)


@bp.get("/members/export.xlsx")
@roles_required(*READERS)
def export_members():
    """The filtered members as an Excel file."""
    export = exports.export_members(current_user, _member_filters())
    return xlsx_stream(export.filename, export.stream)


@bp.get("/applications")
@roles_required(*OFFICERS)
def applications():
    """Self-service applications waiting for the union to confirm."""
    page = _page()
    rows, total = queries.list_applications(current_user, page=page)
    return render("enrollment/applications.html", rows=rows, total=total, page=page, per_page=50,
                  form=EmptyForm(), reject_form=RejectForm())


@bp.post("/applications/<int:enrollment_id>/confirm")
@roles_required(*OFFICERS)
def confirm_application(enrollment_id: int):
    """Confirm one application: the cover starts tomorrow."""
    if EmptyForm().validate_on_submit():
        try:
            enrollment = enrolments.confirm_application(current_user, enrollment_id)
        except PermissionDenied:
            raise
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已确认 %(name)s 的参保申请，保障自%(date)s起生效。", name=enrollment.member.name,
                    date=local_date(enrollment.starts_on)), "success")
    return redirect(url_for("enrollment.applications"))


@bp.post("/applications/<int:enrollment_id>/reject")
@roles_required(*OFFICERS)
def reject_application(enrollment_id: int):
    """Decline one application, with the reason the member will read."""
    form = RejectForm()
    if not form.validate_on_submit():
        for message in form.reason.errors:
            flash(message, "error")
        return redirect(url_for("enrollment.applications"))
    try:
        enrolments.reject_application(current_user, enrollment_id, reason=form.reason.data)
    except PermissionDenied:
        raise
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("已告知会员不予确认的原因。"), "success")
    return redirect(url_for("enrollment.applications"))


def _union_choices(form) -> None:
    form.union_code.choices = [(u.code, f"{u.name}（{u.code}）")
                               for u in queries.unions_in_scope(current_user)]


@bp.route("/renewal", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def renewal():
    """Carry a union's covers that end soon into the next period: the list and the cost first, then
    one confirmation that renews exactly that list."""
    form = RenewalForm(union_code=request.args.get("union_code") or getattr(current_user.union, "code", None))
    _union_choices(form)
    report = None
    if form.validate_on_submit():
        try:
            union = queries.union_by_code(current_user, form.union_code.data)
            report = enrolments.renew_union(current_user, union, expected=form.expected.data or "")
        except DomainError as error:
            field_error(form, error, "checked", also_flash=True)
        else:
            flash(_("续保完成：新增%(created)s人，%(covered)s人已由其他渠道参保。", created=report.created,
                    covered=report.already_covered), "success")
    plan = None
    if form.union_code.data:
        try:
            plan = enrolments.renewal_plan(current_user, queries.union_by_code(current_user, form.union_code.data))
        except DomainError:
            plan = None
    if plan is not None:
        form.expected.data = plan.fingerprint
    return render("enrollment/renewal.html", form=form, report=report, plan=plan, shown=RENEWAL_SHOWN,
                  window=rules.RENEWAL_WINDOW_DAYS)


RENEWAL_SHOWN = 500  # members listed on the page; the count and the cost always cover everyone


# --- Rosters -----------------------------------------------------------------------------------


@bp.get("/rosters/template.xlsx")
@roles_required(*OFFICERS)
def roster_template():
    """The Excel template with the Chinese headers and text-formatted ID column."""
    return xlsx_download("参保名单模板.xlsx", roster_rows.template_xlsx())


@bp.route("/rosters", methods=["GET", "POST"], endpoint="rosters")
@roles_required(*OFFICERS)
def roster_list():
    """Upload a roster; earlier uploads with their outcome."""
    form = RosterUploadForm(union_code=getattr(current_user.union, "code", None))
    form.union_code.choices = [(u.code, f"{u.name}（{u.code}）")
                               for u in queries.unions_in_scope(current_user)]
    if form.validate_on_submit():
        upload = form.roster.data
        try:
            union = queries.union_by_code(current_user, form.union_code.data)
            roster, is_new = rosters.upload_roster(current_user, union, upload.read(), upload.filename or "")
        except DomainError as error:
            form.roster.errors.append(error_text(error))
        else:
            if not is_new:
                flash(_("这份名单此前已上传过，下面是当时的校验结果；同一份名单不会重复参保。"), "info")
            return redirect(url_for("enrollment.roster", import_id=roster.id))
    page = page_arg()
    rows, total = queries.list_rosters(current_user, page=page)
    return render("enrollment/rosters.html", form=form, rows=rows, total=total, page=page, per_page=20)


@bp.get("/rosters/<int:import_id>")
@roles_required(*OFFICERS)
def roster(import_id: int):
    """One roster: progress while it is being checked or imported, then the report."""
    roster = rosters.get_roster(current_user, import_id)
    return render("enrollment/roster.html", "enrollment/_roster_status.html", roster=roster,
                  progress=rosters.get_progress(roster.id), form=EmptyForm())


@bp.get("/rosters/<int:import_id>/status")
@roles_required(*OFFICERS)
def roster_status(import_id: int):
    """The fragment htmx polls every second while the roster is being processed."""
    roster = rosters.get_roster(current_user, import_id)
    return render("enrollment/_roster_status.html", roster=roster,
                  progress=rosters.get_progress(roster.id), form=EmptyForm())


@bp.post("/rosters/<int:import_id>/confirm")
@roles_required(*OFFICERS)
def confirm_roster(import_id: int):
    """Import the valid rows of a checked roster (in the task queue)."""
    if EmptyForm().validate_on_submit():
        try:
            rosters.confirm_roster(current_user, import_id)
        except PermissionDenied:
            raise
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("enrollment.roster", import_id=import_id))


@bp.post("/rosters/<int:import_id>/recheck")
@roles_required(*OFFICERS)
def recheck_roster(import_id: int):
    """Check the roster again, e.g. after a failed import."""
    if EmptyForm().validate_on_submit():
        try:
            rosters.recheck_roster(current_user, import_id)
        except PermissionDenied:
            raise
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("enrollment.roster", import_id=import_id))


@bp.get("/rosters/<int:import_id>/report.xlsx")
@roles_required(*OFFICERS)
def roster_report(import_id: int):
    """Every row of the roster with its result, as Excel."""
    try:
        content = rosters.roster_report_xlsx(current_user, import_id)
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("enrollment.roster", import_id=import_id))
    return xlsx_download(f"校验报告-{import_id}.xlsx", content)
