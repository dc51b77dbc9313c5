"""The claimant's pages: start a claim, fill it in, add documents, submit, follow it step by step.

Members use them for their own claims; a union officer uses the same pages for a member of its
union (the service checks whose claim it is). Reviewers open documents here too.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.claims import bp, staff
from portal.blueprints.claims.forms import ClaimForm, DocumentForm, StartClaimForm
from portal.domain.claims import EDITABLE_BY_CLAIMANT
from portal.domain.errors import DomainError
from portal.domain.plans import DEFAULT_CRITICAL_DISEASES
from portal.domain.roles import Role
from portal.services.claims import documents, filing, queries
from portal.web import (
    EmptyForm,
    error_text,
    field_error,
    flash_error,
    form_errors,
    redirect_back,
    render,
    roles_required,
)

claimants_required = roles_required(Role.MEMBER, Role.UNION_OFFICER)
viewers_required = roles_required(Role.MEMBER, Role.UNION_OFFICER, Role.REVIEWER, Role.ADMIN)


@bp.route("/", methods=["GET", "POST"])  # POST: an officer's search (``staff.union_claims``)
@claimants_required
def index():
    """Members: every claim of theirs. Officers: their union's claims, filtered and paged."""
    if current_user.role != Role.MEMBER:
        return staff.union_claims()
    if request.method == "POST":
        return redirect(url_for("claims.index"), 303)
    return render("claims/index.html", claims=queries.member_claims(current_user))


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
            field_error(form, error, "claim_type")
        else:
            return redirect(url_for("claims.edit", claim_id=claim.id))
    return render("claims/new.html", form=form)


@bp.route("/<int:claim_id>/edit", methods=["GET", "POST"])
@claimants_required
def edit(claim_id: int):
    """Fill in the claim; save as a draft at any time, submit when complete."""
    claim = queries.load_claim(current_user, claim_id)
    if claim.status not in EDITABLE_BY_CLAIMANT:
        return _already_submitted(claim_id, said=request.method == "POST")
    form = _claim_form(claim)
    if request.method == "GET":
        form.show(claim)
    elif form.validate_on_submit():
        submitting = request.form.get("action") == "submit"
        try:
            result = _save(form, claim_id, submitting=submitting)
        except DomainError as error:
            result = filing.SubmitResult(claim, refused=error)
        else:
            # What was typed is saved even when the submission is refused: the page goes on from the
            # saved version, or the next 保存草稿 would be taken for someone else's change.
            form.version.data = result.claim.version_id
        if result.refused is None:
            return _saved(result, submitted=submitting)
        if queries.load_claim(current_user, claim_id).status not in EDITABLE_BY_CLAIMANT:
            return _already_submitted(claim_id, said=True)  # a second tap lost the race to the first
        field_error(form, result.refused, also_flash=True)
    else:
        flash(_("请按提示修改后再保存。"), "error")
    return _edit_page(queries.load_claim(current_user, claim_id), form)


def _claim_form(claim) -> ClaimForm:
    form = ClaimForm(obj=claim if request.method == "GET" else None)
    form.disease.choices = [("", _("请选择"))] + [(name, name) for name in _diseases(claim)]
    return form


def _save(form: ClaimForm, claim_id: int, *, submitting: bool) -> filing.SubmitResult:
    """Save the draft, or save and submit it: one action either way."""
    options = {"version": form.version.data, "bank_card": form.bank_card.data, "claim_type": form.claim_type.data}
    if submitting:
        return filing.save_and_submit(current_user, claim_id, form.claim_data(), **options)
    return filing.SubmitResult(filing.save_claim(current_user, claim_id, form.claim_data(), **options))


def _saved(result: filing.SubmitResult, *, submitted: bool):
    if not submitted:
        flash(_("草稿已保存。"), "success")
        return redirect(url_for("claims.edit", claim_id=result.claim.id))
    flash(_("该申请已经提交过了。") if result.already_submitted else _("申请已提交，审核结果会以短信通知。"), "success")
    return redirect(url_for("claims.detail", claim_id=result.claim.id))


def _edit_page(claim, form: ClaimForm, upload: DocumentForm | None = None):
    if upload is None:
        upload = DocumentForm(formdata=None)
        upload.kind.choices = queries.document_choices(claim)
    return render("claims/edit.html", claim=claim, form=form, document_form=upload,
                  missing=queries.missing_document_kinds(claim), button=EmptyForm())


def _already_submitted(claim_id: int, *, said: bool):
    """A form posted for a claim that is no longer a draft: show the claim, and say why."""
    if said:
        flash(_("该申请已经提交过了。"), "info")
    return redirect(url_for("claims.detail", claim_id=claim_id))


def _diseases(claim) -> list[str]:
    return list(claim.plan.critical_diseases) if claim.plan else list(DEFAULT_CRITICAL_DISEASES)


@bp.post("/<int:claim_id>/documents")
@claimants_required
def upload(claim_id: int):
    """Add documents (several photos at once); a refused file is explained and the draft stays.

    The 上传 button belongs to the claim form, so what was typed above comes along and is saved
    first: choosing a photo never wipes the accident date, the costs or the bank card. A request
    with the document alone (an older page, a script) leaves the draft as it was.
    """
    claim = queries.load_claim(current_user, claim_id)
    if claim.status not in EDITABLE_BY_CLAIMANT:
        return _already_submitted(claim_id, said=True)
    upload_form = DocumentForm()
    upload_form.kind.choices = queries.document_choices(claim)
    claim_form, draft_kept, seen, before = None, True, None, None
    if "version" in request.form:
        claim_form = _claim_form(claim)
        seen, before = claim_form.version.data, claim.version_id
        draft_kept = _save_typed(claim_form, claim_id)
    uploaded, refused = 0, False
    if upload_form.validate_on_submit():
        for file in upload_form.file.data[:DocumentForm.MAX_FILES]:
            try:
                documents.upload_document(current_user, claim.id, kind=upload_form.kind.data, filename=file.filename,
                                          data=file.read())
            except DomainError as error:
                refused = True
                upload_form.file.errors.append(_("%(name)s：%(reason)s", name=file.filename, reason=error_text(error)))
            else:
                uploaded += 1
    else:
        refused = True
    if uploaded:
        flash(_("已上传%(count)s个文件。", count=uploaded), "success")
    if claim_form is None:  # a document alone: the draft was not touched
        for message in form_errors(upload_form):
            flash(message, "error")
        return redirect(url_for("claims.edit", claim_id=claim.id) + "#documents")
    if not refused and draft_kept:
        return redirect(url_for("claims.edit", claim_id=claim.id) + "#documents")
    fresh = queries.load_claim(current_user, claim_id)
    # The page goes on from the claim's version when only this request (its save, its upload) moved it.
    if draft_kept or str(before) == str(seen):
        claim_form.version.data = fresh.version_id
    return _edit_page(fresh, claim_form, upload_form)


def _save_typed(form: ClaimForm, claim_id: int) -> bool:
    """Save the claim form that came along with an upload; ``False`` (errors under the fields,
    the typed values kept on the page) when it cannot be saved as it is."""
    if not form.validate():
        flash(_("填写的内容有误，尚未保存，请按提示修改。"), "error")
        return False
    try:
        _save(form, claim_id, submitting=False)
    except DomainError as error:
        field_error(form, error, also_flash=True)
        return False
    flash(_("草稿已保存。"), "success")
    return True


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
        return redirect_back(url_for("claims.index"))
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
