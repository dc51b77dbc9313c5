"""Claims for members and union officers: file, add documents, submit, look up with a timeline."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.claims.forms import ClaimForm, DocumentForm, StartClaimForm
from portal.domain.claims import CLAIM_STATUS_LABELS, DOCUMENT_LABELS, EDITABLE_BY_CLAIMANT
from portal.domain.errors import DomainError
from portal.domain.money import fen_to_yuan, yuan_to_fen
from portal.domain.plans import DEFAULT_CRITICAL_DISEASES
from portal.domain.roles import Role
from portal.extensions import db
from portal.services.claims import documents, filing, queries
from portal.web import EmptyForm, flash_error, page_arg, render, roles_required

bp = Blueprint("claims", __name__, url_prefix="/claims")
claimants_required = roles_required(Role.MEMBER, Role.UNION_OFFICER)
viewers_required = roles_required(Role.MEMBER, Role.UNION_OFFICER, Role.REVIEWER, Role.ADMIN)

@bp.context_processor
def claim_labels():
    return {"document_labels": DOCUMENT_LABELS}


FACT_FIELDS = ("admission_date", "discharge_date", "hospital", "diagnosis", "diagnosis_date", "accident_date",
               "accident_description", "payee_name", "bank_name")


@bp.get("/")
@claimants_required
def index():
    """Members: every claim of theirs. Officers: their union's claims, filtered and paged."""
    if current_user.role == Role.MEMBER:
        return render("claims/index.html", claims=queries.member_claims(current_user))
    page = page_arg()
    status = request.args.get("status") or None
    query = (request.args.get("q") or "").strip() or None
    claims, total = queries.union_claims(current_user, status=status, query=query, page=page)
    return render("claims/union.html", fragment="claims/_union_table.html", claims=claims, total=total, page=page,
                  per_page=50, status_filter=status or "", q=query or "", statuses=CLAIM_STATUS_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@claimants_required
def new():
    """Choose the kind of claim (and, for officers, the member); a draft is saved at once."""
    form = StartClaimForm()
    if not form.request_key.data:
        form.request_key.data = uuid.uuid4().hex
    if form.validate_on_submit():
        try:
            claim = filing.start_claim(current_user, form.claim_type.data, request_key=form.request_key.data,
                                               id_number=form.id_number.data)
        except DomainError as error:
            getattr(form, error.field or "claim_type").errors.append(_(error.message))
        else:
            return redirect(url_for("claims.edit", claim_id=claim.id))
    return render("claims/new.html", form=form)


def _form_data(form: ClaimForm) -> dict:
    data = {name: getattr(form, name).data for name in FACT_FIELDS}
    data["disease"] = form.disease.data or None
    grade = str(form.disability_grade.data or "")
    data["disability_grade"] = int(grade) if grade.isdigit() else None
    data["is_death"] = bool(form.is_death.data)
    costs = (form.medical_costs.data or "").strip()
    try:
        data["medical_costs_fen"] = yuan_to_fen(costs) if costs else None
    except DomainError as error:
        error.field = "medical_costs"
        raise
    return data


@bp.route("/<int:claim_id>/edit", methods=["GET", "POST"])
@claimants_required
def edit(claim_id: int):
    """Fill in the claim; save as a draft at any time, submit when complete."""
    claim = queries.load_claim(current_user, claim_id)
    if claim.status not in EDITABLE_BY_CLAIMANT:
        return _already_submitted(claim_id, said=request.method == "POST")
    form = ClaimForm(obj=claim if request.method == "GET" else None)
    form.disease.choices = [("", "请选择")] + [(name, name) for name in _diseases(claim)]
    if request.method == "GET":
        form.version.data = claim.version_id
        form.medical_costs.data = str(fen_to_yuan(claim.medical_costs_fen)) if claim.medical_costs_fen else ""
        form.disability_grade.data = str(claim.disability_grade or "")
        form.bank_card.data = ""
    elif form.validate_on_submit():
        try:
            filing.save_claim(current_user, claim.id, _form_data(form), version=form.version.data,
                                      bank_card=form.bank_card.data, claim_type=form.claim_type.data)
            if request.form.get("action") == "submit":
                result = filing.submit_claim(current_user, claim.id)
                flash(_("该申请已经提交过了。") if result.already_submitted
                      else _("申请已提交，审核结果会以短信通知。"), "success")
                return redirect(url_for("claims.detail", claim_id=claim.id))
        except DomainError as error:
            db.session.rollback()
            if queries.load_claim(current_user, claim_id).status not in EDITABLE_BY_CLAIMANT:
                return _already_submitted(claim_id, said=True)  # a second tap lost the race to the first
            _show_error(form, error)
        else:
            flash(_("草稿已保存。"), "success")
            return redirect(url_for("claims.edit", claim_id=claim.id))
    else:
        flash(_("请按提示修改后再保存。"), "error")
    claim = queries.load_claim(current_user, claim_id)
    upload = DocumentForm()
    upload.kind.choices = queries.document_choices(claim)
    return render("claims/edit.html", claim=claim, form=form, document_form=upload,
                  missing=queries.missing_document_kinds(claim), button=EmptyForm())


def _already_submitted(claim_id: int, *, said: bool):
    """A form posted for a claim that is no longer a draft: show the claim, and say why."""
    if said:
        flash(_("该申请已经提交过了。"), "info")
    return redirect(url_for("claims.detail", claim_id=claim_id))


def _show_error(form: ClaimForm, error: DomainError) -> None:
    """Next to the field it concerns when there is one, and at the top of the page."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors") and isinstance(field.errors, list):
        field.errors.append(_(error.message))
    flash_error(error)


def _diseases(claim) -> list[str]:
    return list(claim.plan.critical_diseases) if claim.plan else list(DEFAULT_CRITICAL_DISEASES)


@bp.post("/<int:claim_id>/documents")
@claimants_required
def upload(claim_id: int):
    """Add one document; a refused file is explained and the draft stays as it was."""
    claim = queries.load_claim(current_user, claim_id)
    form = DocumentForm()
    form.kind.choices = queries.document_choices(claim)
    if form.validate_on_submit():
        upload = form.file.data
        try:
            documents.upload_document(current_user, claim.id, kind=form.kind.data,
                                           filename=upload.filename, data=upload.read())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("材料已上传。"), "success")
    else:
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
    return redirect(url_for("claims.edit", claim_id=claim.id) + "#documents")


@bp.post("/documents/<int:document_id>/delete")
@claimants_required
def delete_document(document_id: int):
    """Remove a document from a claim that is still being filled in."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        claim = documents.remove_document(current_user, document_id)
    except DomainError as error:
        flash_error(error)
        return redirect(request.referrer or url_for("claims.index"))
    flash(_("材料已删除。"), "success")
    return redirect(url_for("claims.edit", claim_id=claim.id) + "#documents")


@bp.get("/documents/<int:document_id>")
@viewers_required
def document(document_id: int):
    """One document, to the member, their union officer or a reviewer; each view is audited."""
    document, path = documents.open_document(current_user, document_id)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=document.content_type, download_name=document.original_name,
                         as_attachment=not document.is_image, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


@bp.get("/<int:claim_id>")
@viewers_required
def detail(claim_id: int):
    """The claim with its breakdown, what is missing and the timeline of each step."""
    claim = queries.load_claim(current_user, claim_id)
    if current_user.role in (Role.REVIEWER, Role.ADMIN):
        return redirect(url_for("review.claim", claim_id=claim.id))
    return render("claims/detail.html", claim=claim, timeline=queries.member_timeline(claim, current_user),
                  missing=queries.missing_document_kinds(claim))
