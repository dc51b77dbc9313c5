"""Helpers the work-study views share: refusals under their field, the certificate page."""

from __future__ import annotations

from flask import flash, redirect
from flask_babel import gettext as _

from portal.domain.errors import DomainError
from portal.services.jobs import enterprises, placements
from portal.web import render


def form_error(form, error: DomainError, default_field: str) -> None:
    """Put a refusal under the field it concerns, so the person sees it next to what they typed."""
    field = getattr(form, error.field or "", None) or getattr(form, default_field, None)
    if field is not None:
        field.errors = [*field.errors, _(error.message)]
    else:
        flash(_(error.message), "error")


def enterprise_details(form) -> enterprises.EnterpriseDetails:
    return enterprises.EnterpriseDetails(
        name=form.name.data or "", uscc=form.uscc.data or "", district=form.district.data or "",
        address=form.address.data or "", union_id=form.union_id.data, contact_name=form.contact_name.data or "",
        contact_mobile=form.contact_mobile.data or "", description=form.description.data or "")


def is_local(target: str | None) -> bool:
    """Only local paths: never bounce anyone to another site."""
    return bool(target) and target.startswith("/") and not target.startswith("//")


def certificate_page(item, *, back: str):
    """The printable practice certificate, or back to the placement with the reason it is not ready."""
    try:
        placements.certificate(item)
    except DomainError as error:
        flash(_(error.message), "error")
        return redirect(back)
    return render("jobs/certificate.html", placement=item, back=back)
