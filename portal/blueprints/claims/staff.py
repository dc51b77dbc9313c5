"""The union officer's screen: its union's claims, filtered and paged (at ``/claims/``, where a
member sees their own claims instead)."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from portal.domain.claims import CLAIM_STATUS_LABELS
from portal.services.claims import queries
from portal.web import needs_search_redirect, page_arg, render, search_redirect, search_term

PER_PAGE = 50


def union_claims():
    """The claims of the officer's union subtree, by status or by ID number / claim number (POSTed,
    then carried sealed in the address: ``web.search_term``)."""
    if needs_search_redirect():
        return search_redirect("claims.index", ("status",))
    page = page_arg()
    status = request.args.get("status") or None
    query = search_term() or None
    claims, total = queries.union_claims(current_user, status=status, query=query, page=page, per_page=PER_PAGE)
    return render("claims/union.html", fragment="claims/_union_table.html", claims=claims, total=total, page=page,
                  per_page=PER_PAGE, status_filter=status or "", q=query or "", statuses=CLAIM_STATUS_LABELS)
