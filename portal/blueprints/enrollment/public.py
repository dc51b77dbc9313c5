"""Anyone: what a scanned certificate proves (the masked name, the plan and the validity)."""

from __future__ import annotations

from portal.blueprints.enrollment import bp
from portal.domain.errors import DomainError
from portal.services.enrollment import queries
from portal.web import error_text, render


@bp.get("/verify/<token>")
def verify(token: str):
    """Public: what a scanned certificate proves: the masked name, the plan and the validity, nothing more."""
    try:
        result = queries.verify_certificate(token)
    except DomainError as error:
        return render("enrollment/verify.html", result=None, message=error_text(error), status=404)
    return render("enrollment/verify.html", result=result, message=None)
