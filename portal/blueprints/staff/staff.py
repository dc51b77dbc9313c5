"""Every staff member: the dashboard of their role, the union tree (administrators add unions).
The hardship register has its own area (``portal.blueprints.hardship``)."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock
from portal.blueprints.staff import bp
from portal.blueprints.staff.forms import UnionEditForm, UnionForm, UnionImportForm, UnionMoveForm
from portal.domain.claims import CLAIM_STATUS_LABELS
from portal.domain.dashboards import REPORT_ROLES, Section, parse_month, parse_year
from portal.domain.enrollment import CHANNEL_LABELS
from portal.domain.errors import DomainError, InvalidInput, PermissionDenied
from portal.domain.jobs import PLACEMENT_STATUS_LABELS
from portal.domain.roles import Role
from portal.integrations.spreadsheets import XLSX_MIME, xlsx_download
from portal.services import unions
from portal.services.access import role_of
from portal.services.dashboards import queries as dashboards
from portal.services.dashboards import report
from portal.services.dashboards.queues import queue_counts
from portal.web import error_text, field_error, render, roles_required, staff_required

LABELS = {"claim_status": CLAIM_STATUS_LABELS, "channel": CHANNEL_LABELS, "placement_status": PLACEMENT_STATUS_LABELS}


@bp.get("/")
@staff_required
def dashboard():
    """Where each role starts: live figures of its scope with charts, then the tasks of that role.
    The filters (year, union) are in the address; htmx swaps only the figures."""
    year_text, union_code = request.args.get("year", ""), request.args.get("union", "").strip()
    error = None
    try:
        try:
            board = dashboards.dashboard(current_user, year=parse_year(year_text), union_code=union_code or None)
        except InvalidInput as refusal:
            error, year_text, union_code = error_text(refusal), "", ""
            board = dashboards.dashboard(current_user)
    except PermissionDenied as refusal:  # an account without its union or enterprise: tasks, no figures
        error, board = error_text(refusal), None
    today = clock.today()
    return render("staff/dashboard.html", "staff/_figures.html", board=board, error=error,
                  years=list(range(today.year + 1, today.year - 5, -1)), year_text=year_text, union_code=union_code,
                  unions=dashboards.unions_to_choose(current_user) if board else [], labels=LABELS, Section=Section,
                  can_report=role_of(current_user) in REPORT_ROLES, queues=queue_counts(current_user),
                  last_month=parse_month("", today=today))


@bp.get("/report.xlsx")
@roles_required(*REPORT_ROLES)
def monthly_report():
    """The monthly report workbook of the chosen month and union (the actor's scope by default)."""
    try:
        month = parse_month(request.args.get("month"), today=clock.today())
        union_code = request.args.get("union", "").strip() or None
        file = report.monthly_report(current_user, month=month, union_code=union_code)
    except InvalidInput as refusal:
        flash(error_text(refusal), "error")
        return redirect(url_for("staff.dashboard"))
    return xlsx_stream(f"月报-{month.year}-{month.month:02d}.xlsx", file)


def xlsx_stream(filename: str, file) -> Response:
    """Stream an open temporary workbook file as a download; the file closes (and, being anonymous,
    disappears) when the last chunk is sent or the client goes away."""
    from urllib.parse import quote

    def chunks():
        with file:
            while chunk := file.read(64 * 1024):
                yield chunk

    response = Response(chunks(), mimetype=XLSX_MIME)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/queue-counts")
@staff_required
def queue_count_list():
    """The counts of work waiting, for the staff navigation (htmx loads it and refreshes it every minute)."""
    return render("staff/_nav_queues.html", queues=queue_counts(current_user))


@bp.route("/unions", methods=["GET", "POST"], endpoint="unions")
@roles_required(Role.ADMIN, Role.UNION_OFFICER, Role.CHILDCARE_ORGANISER)
def union_tree():
    """The union tree (an officer sees its own subtree); administrators add unions."""
    form = UnionForm() if current_user.role == Role.ADMIN else None
    if form is not None and form.validate_on_submit():
        try:
            union = unions.create_union(current_user, code=form.code.data, name=form.name.data,
                                               kind=form.kind.data, parent_code=form.parent_code.data)
        except DomainError as error:
            field_error(form, error, "code")
        else:
            flash(_("已添加 %(name)s。", name=union.name), "success")
            return redirect(url_for("staff.unions"))
    return render("staff/unions.html", form=form, tree=unions.union_tree(current_user))



@bp.route("/unions/<code>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_union(code: str):
    """Edit a union, or move it (with everything below it) under another parent."""
    union = unions.get_union(current_user, code)
    form = UnionEditForm(obj=union) if request.method == "GET" else UnionEditForm()
    move_form = UnionMoveForm(prefix="move")
    if request.method == "POST" and "move-parent_code" in request.form:
        if move_form.validate_on_submit():
            try:
                moved = unions.move_union(current_user, union.code, parent_code=move_form.parent_code.data)
            except DomainError as error:
                field_error(move_form, error, "parent_code")
            else:
                flash(_("已将%(name)s移到%(parent)s之下，其下级工会一并移动。", name=moved.name,
                        parent=moved.parent.name), "success")
                return redirect(url_for("staff.unions"))
    elif form.validate_on_submit():
        try:
            unions.update_union(current_user, union.code, name=form.name.data, kind=form.kind.data,
                                district=form.district.data or "", contact_name=form.contact_name.data or "",
                                contact_phone=form.contact_phone.data or "",
                                takes_join_requests=form.takes_join_requests.data)
        except DomainError as error:
            field_error(form, error, "name")
        else:
            flash(_("已保存 %(name)s。", name=form.name.data), "success")
            return redirect(url_for("staff.unions"))
    return render("staff/union.html", union=union, form=form, move_form=move_form)


@bp.route("/unions/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_unions():
    """Create or update unions from an Excel sheet (the downloadable template's columns)."""
    form = UnionImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = unions.import_unions(current_user, upload.read(), upload.filename or "")
        except DomainError as error:
            field_error(form, error, "file")
        else:
            flash(_("导入完成：新增%(created)s个，修改%(updated)s个，调整隶属%(moved)s个，未变%(unchanged)s个。",
                    created=outcome.created, updated=outcome.updated, moved=outcome.moved,
                    unchanged=outcome.unchanged), "success")
            return redirect(url_for("staff.unions"))
    return render("staff/union_import.html", form=form)


@bp.get("/unions/template.xlsx")
@roles_required(Role.ADMIN)
def union_template():
    """The import template, with two example rows."""
    return xlsx_download("工会组织导入模板.xlsx", unions.template_xlsx())
