"""Administrators' pages: every text template, its wording edited with a live preview, and a way
back to the portal's own wording. Changes are audited (the audit log keeps the history)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.texts import bp
from portal.blueprints.texts.forms import TemplateForm
from portal.domain import texts as rules
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.services import sms_templates
from portal.web import EmptyForm, error_text, field_error, render, roles_required

admin_required = roles_required(Role.ADMIN)


@bp.get("/templates")
@admin_required
def templates():
    """Every template, the portal's wording or the administrators' own."""
    return render("texts/templates.html", rows=sms_templates.list_templates(current_user),
                  outcome_labels=rules.OUTCOME_LABELS)


@bp.route("/templates/<kind>", methods=["GET", "POST"])
@admin_required
def edit_template(kind: str):
    """Reword one template (``outcome`` for kinds with several wordings)."""
    outcome = request.args.get("outcome", "")[:20]
    row = sms_templates.get_template(current_user, kind[:40], outcome)
    form = TemplateForm()
    if request.method == "GET":
        form.body.data = row.custom.body if row.custom else str(row.default)
    if form.validate_on_submit():
        try:
            sms_templates.save_template(current_user, row.kind, row.outcome, form.body.data)
        except DomainError as error:
            field_error(form, error, "body")
        else:
            flash(_("已保存“%(label)s”短信模板，之后发出的短信使用新内容。", label=_(row.label)), "success")
            return redirect(url_for("texts.templates"))
    return render("texts/template.html", row=row, form=form, reset_form=EmptyForm(),
                  outcome_labels=rules.OUTCOME_LABELS,
                  preview=_preview(row, form.body.data or ""))


@bp.post("/templates/<kind>/preview")
@admin_required
def preview_template(kind: str):
    """The text as a phone shows it, with sample values (htmx, as the administrator types)."""
    outcome = request.args.get("outcome", "")[:20]
    row = sms_templates.get_template(current_user, kind[:40], outcome)
    form = TemplateForm()
    form.validate()  # only for the CSRF token; the wording is checked by the preview itself
    return render("texts/_preview.html", preview=_preview(row, request.form.get("body", "")[:1000]))


@bp.post("/templates/<kind>/reset")
@admin_required
def reset_template(kind: str):
    outcome = request.args.get("outcome", "")[:20]
    row = sms_templates.get_template(current_user, kind[:40], outcome)
    if EmptyForm().validate_on_submit():
        sms_templates.reset_template(current_user, row.kind, row.outcome)
        flash(_("“%(label)s”已恢复为平台默认内容。", label=_(row.label)), "success")
    return redirect(url_for("texts.templates"))


def _preview(row, body: str) -> dict:
    try:
        return {"text": rules.preview(row.kind, row.outcome, body), "error": None}
    except DomainError as error:
        return {"text": None, "error": error_text(error)}
