"""Union rosters: template, upload, the row-by-row report with its progress bar, confirm."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.enrollment.blueprint import bp
from portal.blueprints.enrollment.forms import RosterUploadForm
from portal.domain.errors import DomainError, PermissionDenied
from portal.domain.roles import Role
from portal.integrations.spreadsheets import xlsx_download
from portal.services import enrollment as enrollment_service
from portal.services import rosters as roster_service
from portal.web import EmptyForm, flash_error, page_arg, render, roles_required

OFFICERS = (Role.ADMIN, Role.UNION_OFFICER)


@bp.get("/rosters/template.xlsx")
@roles_required(*OFFICERS)
def roster_template():
    """The Excel template with the Chinese headers and text-formatted ID column."""
    return xlsx_download("参保名单模板.xlsx", roster_service.template_xlsx())


@bp.route("/rosters", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def rosters():
    """Upload a roster; earlier uploads with their outcome."""
    form = RosterUploadForm(union_code=getattr(current_user.union, "code", None))
    form.union_code.choices = [(u.code, f"{u.name}（{u.code}）")
                               for u in enrollment_service.unions_in_scope(current_user)]
    if form.validate_on_submit():
        upload = form.roster.data
        try:
            union = enrollment_service.union_by_code(current_user, form.union_code.data)
            roster, is_new = roster_service.upload_roster(current_user, union, upload.read(), upload.filename or "")
        except DomainError as error:
            form.roster.errors.append(_(error.message))
        else:
            if not is_new:
                flash(_("这份名单此前已上传过，下面是当时的校验结果；同一份名单不会重复参保。"), "info")
            return redirect(url_for("enrollment.roster", import_id=roster.id))
    page = page_arg()
    rows, total = roster_service.list_rosters(current_user, page=page)
    return render("enrollment/rosters.html", form=form, rows=rows, total=total, page=page, per_page=20)


@bp.get("/rosters/<int:import_id>")
@roles_required(*OFFICERS)
def roster(import_id: int):
    """One roster: progress while it is being checked or imported, then the report."""
    roster = roster_service.get_roster(current_user, import_id)
    return render("enrollment/roster.html", "enrollment/_roster_status.html", roster=roster,
                  progress=roster_service.get_progress(roster.id), form=EmptyForm())


@bp.get("/rosters/<int:import_id>/status")
@roles_required(*OFFICERS)
def roster_status(import_id: int):
    """The fragment htmx polls every second while the roster is being processed."""
    roster = roster_service.get_roster(current_user, import_id)
    return render("enrollment/_roster_status.html", roster=roster,
                  progress=roster_service.get_progress(roster.id), form=EmptyForm())


@bp.post("/rosters/<int:import_id>/confirm")
@roles_required(*OFFICERS)
def confirm_roster(import_id: int):
    """Import the valid rows of a checked roster (in the task queue)."""
    if EmptyForm().validate_on_submit():
        try:
            roster_service.confirm_roster(current_user, import_id)
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
            roster_service.recheck_roster(current_user, import_id)
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
        content = roster_service.roster_report_xlsx(current_user, import_id)
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("enrollment.roster", import_id=import_id))
    return xlsx_download(f"校验报告-{import_id}.xlsx", content)
