"""The union officer's screen: its union's claims, filtered and paged (at ``/claims/``, where a
member sees their own claims instead)."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from portal.domain.claims import CLAIM_STATUS_LABELS
from portal.services.claims import queries
from portal.web import page_arg, render

PER_PAGE = 50


def union_claims():
    """The claims of the officer's union subtree, by status or by ID number / claim number."""
    page = page_arg()
    status = request.args.get("status") or None
    query = (request.args.get("q") or "").strip() or None
    claims, total = queries.union_claims(current_user, status=status, query=query, page=page, per_page=PER_PAGE)
    return render("claims/union.html", fragment="claims/_union_table.html", claims=claims, total=total, page=page,
                  per_page=PER_PAGE, status_filter=status or "", q=query or "", statuses=CLAIM_STATUS_LABELS)
