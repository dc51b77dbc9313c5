"""Reviewers' pages: the queue, decisions one by one or in bulk, payout batches, discharge lists."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.blueprints.review import bp
from portal.blueprints.review.forms import DecisionForm, DischargeListForm, PaidForm, SplitForm
from portal.domain.claims import DISCHARGE_OUTCOME_LABELS
from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.integrations.spreadsheets import xlsx_download, xlsx_stream
from portal.services.claims import queries as claim_queries
from portal.services.review import decisions, discharges, payouts, queries
from portal.services.review import exports as review_exports
from portal.web import (
    MAX_ID,
    EmptyForm,
    field_error,
    flash_error,
    int_arg,
    needs_search_redirect,
    page_arg,
    redirect_back,
    render,
    roles_required,
    search_redirect,
    search_term,
)

federation_staff = roles_required(Role.REVIEWER, Role.ADMIN)
reviewers_only = roles_required(Role.REVIEWER)
MAX_AGE_DAYS = 36_600  # the "waiting at least N days" filter: a century covers every claim
PER_PAGE = 50
BATCH_PAGE_ITEMS = 200  # a batch page lists this many lines; the bank file has them all


QUEUE_FILTERS = ("status", "flag", "union", "age")


def _filters() -> queries.QueueFilters:
    age = request.args.get("age", type=int)
    return queries.QueueFilters(status=request.args.get("status") or None, flag=request.args.get("flag") or None,
                                union_code=(request.args.get("union") or "").strip().upper() or None,
                                min_age_days=min(age, MAX_AGE_DAYS) if age and age > 0 else None,
                                q=search_term() or None)


@bp.route("/", methods=["GET", "POST"])
@federation_staff
def queue():
    """The review queue, oldest first, with filters (status, flag, union, age), a search by claim
    number, name or ID number, and paging. The search words are POSTed and carried sealed
    (``web.search_term``): an ID number never sits in an address."""
    if needs_search_redirect():
        return search_redirect("review.queue", QUEUE_FILTERS)
    page = page_arg()
    filters = _filters()
    claims, total = queries.review_queue(current_user, filters, page=page, per_page=PER_PAGE)
    return render("review/queue.html", fragment="review/_queue_table.html", claims=claims, total=total, page=page,
                  per_page=PER_PAGE, filters=filters, counts=queries.queue_counts(current_user), bulk=EmptyForm(),
                  age=request.args.get("age", ""))


@bp.get("/export.xlsx")
@federation_staff
def export_queue():
    """The queue as filtered on screen, every page of it, as Excel; audited."""
    export = review_exports.export_claims(current_user, _filters())
    return xlsx_stream(export.filename, export.stream)


@bp.get("/payouts/export.xlsx")
@federation_staff
def export_payouts():
    """Every payout line (or one batch's, ``batch``) as Excel; bank cards in full for administrators only."""
    export = review_exports.export_payouts(current_user, batch_id=int_arg("batch", 1))
    return xlsx_stream(export.filename, export.stream)


@bp.get("/claims/<int:claim_id>")
@federation_staff
def claim(claim_id: int):
    """One claim with everything a decision needs, and the decision form."""
    claim = claim_queries.load_claim(current_user, claim_id)
    return _claim_page(claim, DecisionForm(version=claim.version_id))


def _claim_page(claim, form, status=200):
    return render("review/claim.html", status=status, claim=claim, form=form,
                  timeline=claim_queries.member_timeline(claim, current_user),
                  missing=claim_queries.missing_document_kinds(claim))


@bp.post("/claims/<int:claim_id>")
@reviewers_only
def decide(claim_id: int):
    """Start the review, approve, reject or ask for documents; a stale page is told, not obeyed."""
    claim = claim_queries.load_claim(current_user, claim_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _claim_page(claim, form, status=400)
    try:
        decisions.decide_claim(current_user, claim.id, form.decision.data, version=form.version.data,
                               amount_fen=form.amount_fen(), reason=form.reason.data, documents=form.documents.data,
                               reason_code=form.reason_code.data, override=form.override.data,
                               justification=form.justification.data)
    except DomainError as error:
        flash_error(error)
        if error.code in ("stale", "claim_state"):
            return redirect(url_for("review.claim", claim_id=claim_id))
        return _claim_page(claim_queries.load_claim(current_user, claim_id), form, status=422)
    flash(_("已处理：%(reference)s 现为“%(status)s”。", reference=claim.reference, status=_(claim.status_label)),
          "success")
    return redirect(url_for("review.queue"))


@bp.post("/bulk")
@reviewers_only
def bulk():
    """Approve the ticked unflagged claims; a random 5% of them is held for a full review."""
    if not EmptyForm().validate_on_submit():
        flash(_("页面已过期，请刷新后重试。"), "error")
        return redirect(url_for("review.queue"))
    ids = [int(value) for value in request.form.getlist("claim_id") if value.isdigit() and int(value) <= MAX_ID]
    if not ids:
        flash(_("请先勾选要批量核准的申请。"), "error")
        return redirect_back(url_for("review.queue"))
    try:
        result = decisions.bulk_approve(current_user, ids)
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("批量核准%(approved)s件，%(second)s件待第二位审核员复核，"
                "随机抽取%(held)s件转人工逐项审核，%(skipped)s件不符合批量条件未处理。",
                approved=len(result.approved), second=len(result.awaiting_second),
                held=len(result.held_for_review), skipped=len(result.skipped)), "success")
        if result.skipped_reasons:
            why = "；".join(_("%(reason)s %(count)s件", reason=_(label), count=count)
                           for label, count in result.skipped_summary())
            flash(_("未处理的原因：%(why)s。这些申请须逐件审核。", why=why), "warning")
    return redirect(url_for("review.queue"))


@bp.route("/payouts", methods=["GET", "POST"])
@federation_staff
def payout_list():
    """Approved claims waiting for payment, and the payout batches."""
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            batch = payouts.create_batch(current_user)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已生成发放批次%(reference)s：%(count)s笔。", reference=batch.reference, count=batch.claim_count),
                  "success")
            return redirect(url_for("review.batch", batch_id=batch.id))
    page = page_arg()
    return render("review/payouts.html", form=form,
                  waiting=queries.approved_waiting(current_user, page=page, per_page=PER_PAGE), page=page,
                  per_page=PER_PAGE, batches=queries.list_batches(current_user))


@bp.get("/payouts/<int:batch_id>")
@federation_staff
def batch(batch_id: int):
    """A batch: its claims (cards masked), the export and the "paid" form."""
    batch = queries.get_batch(current_user, batch_id)
    return render("review/batch.html", batch=batch, export_form=EmptyForm(),
                  paid_form=PaidForm(version=batch.version_id), split_form=SplitForm(version=batch.version_id),
                  items=queries.batch_items(batch, limit=BATCH_PAGE_ITEMS),
                  paid=payouts.paid_count(batch.id) if batch.status == "paid" else 0)


@bp.post("/payouts/<int:batch_id>/split")
@federation_staff
def split(batch_id: int):
    """Move the claims beyond the first N of an open, not yet exported batch into a new batch."""
    form = SplitForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            flash(messages[0], "error")
        return redirect(url_for("review.batch", batch_id=batch_id))
    try:
        other = payouts.split_batch(current_user, batch_id, keep=form.keep.data, version=form.version.data)
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("review.batch", batch_id=batch_id))
    flash(_("已拆分：%(count)s笔移入新批次%(reference)s。", count=other.claim_count, reference=other.reference),
          "success")
    return redirect(url_for("review.batch", batch_id=other.id))


@bp.post("/payouts/<int:batch_id>/export")
@federation_staff
def export(batch_id: int):
    """The bank-transfer file (full card numbers): reviewers and administrators only, audited."""
    if not EmptyForm().validate_on_submit():
        flash(_("页面已过期，请刷新后重试。"), "error")
        return redirect(url_for("review.batch", batch_id=batch_id))
    filename, content = payouts.export_batch(current_user, batch_id)
    return xlsx_download(filename, content)


@bp.post("/payouts/<int:batch_id>/paid")
@federation_staff
def mark_paid(batch_id: int):
    """Record the bank's reference: the claims become paid and their members are texted."""
    form = PaidForm()
    if form.validate_on_submit():
        try:
            payouts.mark_batch_paid(current_user, batch_id, bank_reference=form.bank_reference.data,
                                    version=form.version.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已登记付款；各笔申请正在逐笔登记为已发放，会员将收到到账短信。"), "success")
    else:
        for messages in form.errors.values():
            flash(messages[0], "error")
    return redirect(url_for("review.batch", batch_id=batch_id))


@bp.route("/discharges", methods=["GET", "POST"])
@federation_staff
def discharge_lists():
    """Import a hospital-discharge list: drafts and invitation texts for covered, unclaimed stays."""
    form = DischargeListForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            record = discharges.import_discharges(current_user, upload.read(), upload.filename)
        except DomainError as error:
            field_error(form, error, "file")
        else:
            flash(_("已导入%(rows)s行：新建草稿%(drafts)s件，短信%(texts)s条。", rows=record.row_count,
                    drafts=record.drafts_created, texts=record.texts_queued), "success")
            return redirect(url_for("review.discharge_import", import_id=record.id))
    return render("review/discharges.html", form=form, imports=queries.list_imports(current_user))


@bp.get("/discharges/<int:import_id>")
@federation_staff
def discharge_import(import_id: int):
    """What one import did, row by row, with each text's delivery status."""
    record, texts = queries.get_import(current_user, import_id)
    return render("review/discharge_import.html", record=record, texts=texts, outcomes=DISCHARGE_OUTCOME_LABELS)


@bp.get("/discharges/sample.xlsx")
@federation_staff
def discharge_sample():
    """A discharge list built from current covered members, to try the import with."""
    return xlsx_download("出院名单示例.xlsx", queries.sample_discharge_list(current_user))
