"""Review pages, for the federation's reviewers (and administrators, who may look and pay):
the queue and decisions, bulk approval, payout batches and bank files, discharge lists."""

from flask import Blueprint

from portal.domain.claims import CLAIM_STATUS_LABELS, DOCUMENT_LABELS, FLAG_LABELS

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.context_processor
def review_labels():
    return {"document_labels": DOCUMENT_LABELS, "flag_labels": FLAG_LABELS, "status_labels": CLAIM_STATUS_LABELS}


from portal.blueprints.review import staff  # noqa: E402, F401  (adds its routes to bp)
