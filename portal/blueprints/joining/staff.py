"""Union officers: the join requests to their union subtree; confirm, or decline with a reason."""

from __future__ import annotations

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.joining import bp
from portal.blueprints.joining.forms import DeclineForm
from portal.domain.errors import DomainError
from portal.domain.joining import DECLINE_REASONS, JOIN_STATUS_LABELS, JoinStatus
from portal.domain.roles import Role
from portal.services import joining
from portal.web import EmptyForm, field_error, flash_error, form_errors, render, roles_required

OFFICERS = (Role.ADMIN, Role.UNION_OFFICER)


def _decline_form() -> DeclineForm:
    form = DeclineForm()
    form.reason.choices = [("", _("请选择"))] + [(code.value, _(words)) for code, words in DECLINE_REASONS.items()]
    return form


@bp.get("/requests")
@roles_required(*OFFICERS)
def requests():
    """The queue: requests waiting for the officer's union subtree (or decided ones, by status)."""
    status = request.args.get("status", JoinStatus.SUBMITTED)
    status = status if status in JOIN_STATUS_LABELS else JoinStatus.SUBMITTED
    rows = joining.list_requests(current_user, status=status)
    return render("joining/requests.html", rows=rows, status=status, labels=JOIN_STATUS_LABELS)


@bp.get("/requests/<int:request_id>")
@roles_required(*OFFICERS)
def request_detail(request_id: int):
    join_request = joining.view_request(current_user, request_id)
    return render("joining/request.html", item=join_request, confirm_form=EmptyForm(), decline_form=_decline_form())


@bp.post("/requests/<int:request_id>/confirm")
@roles_required(*OFFICERS)
def confirm(request_id: int):
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            joining.confirm_request(current_user, request_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已确认入会，申请人会收到短信通知。"), "success")
            return redirect(url_for("joining.requests"))
    return redirect(url_for("joining.request_detail", request_id=request_id))


@bp.post("/requests/<int:request_id>/decline")
@roles_required(*OFFICERS)
def decline(request_id: int):
    form = _decline_form()
    if form.validate_on_submit():
        try:
            joining.decline_request(current_user, request_id, reason=form.reason.data, note=form.note.data or "")
        except DomainError as error:
            field_error(form, error, "reason", also_flash=True)
        else:
            flash(_("已不予确认，申请人会收到短信说明原因。"), "success")
            return redirect(url_for("joining.requests"))
    else:
        for message in form_errors(form):
            flash(message, "error")
    return redirect(url_for("joining.request_detail", request_id=request_id))


@bp.get("/requests/<int:request_id>/proof")
@roles_required(*OFFICERS)
def proof(request_id: int):
    """The work-proof photo, shown inline to the officer (audited), never cached."""
    join_request, path = joining.open_proof(current_user, request_id)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=join_request.proof_content_type, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
