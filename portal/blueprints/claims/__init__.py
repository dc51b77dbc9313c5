"""Claims pages: members file their own claims, union officers file for the members of their union.

``member`` holds the claimant's pages (an officer filing for a member uses the same ones, on the
member's behalf, and reviewers open documents through them); ``staff`` holds the officer's list
of its union's claims.
"""

from flask import Blueprint

from portal.domain.claims import DOCUMENT_LABELS

bp = Blueprint("claims", __name__, url_prefix="/claims")


@bp.context_processor
def claim_labels():
    return {"document_labels": DOCUMENT_LABELS}


from portal.blueprints.claims import member, staff  # noqa: E402, F401  (each adds its routes to bp)
