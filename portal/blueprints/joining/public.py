"""Anyone: a worker on no union roster joins online (ID number + mobile, a texted code, details)."""

from __future__ import annotations

from flask import redirect, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.blueprints.joining import bp
from portal.blueprints.joining.forms import JoinDetailsForm, JoinStartForm
from portal.domain.errors import DomainError
from portal.domain.identity import mask_id_number, normalise
from portal.extensions import limiter
from portal.services import joining
from portal.web import field_error, render


def _details_choices(form: JoinDetailsForm) -> None:
    form.occupation.choices = [("", _("请选择"))] + [(name, _(name)) for name in joining.OCCUPATIONS]
    form.union_id.choices = [("", _("请选择"))] + [(str(u.id), u.name) for u in joining.joinable_unions()]


@bp.route("/", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def start() -> Response | str:
    """Step one: ID number and mobile; a code goes to that mobile."""
    form = JoinStartForm()
    if form.validate_on_submit():
        try:
            id_hash = joining.request_join_code(form.id_number.data, form.mobile.data)
        except DomainError as error:
            field_error(form, error, "id_number")
        else:
            session["join_id_hash"] = id_hash
            session["join_masked_id"] = mask_id_number(normalise(form.id_number.data))
            return redirect(url_for("joining.details"))
    return render("joining/start.html", form=form)


@bp.route("/details", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def details() -> Response | str:
    """Step two: the code, and what the union needs to know (the photo is optional)."""
    id_hash = session.get("join_id_hash")
    if not id_hash:
        return redirect(url_for("joining.start"))
    form = JoinDetailsForm()
    _details_choices(form)
    if form.validate_on_submit():
        proof = form.proof.data
        try:
            joining.submit_join_request(
                id_hash, form.code.data,
                joining.JoinDetails(name=form.name.data, occupation=form.occupation.data,
                                    employer=form.employer.data, union_id=_int(form.union_id.data),
                                    has_social_insurance=form.has_social_insurance.data),
                proof=(proof.filename, proof.read()) if proof and getattr(proof, "filename", "") else None,
            )
        except DomainError as error:
            field_error(form, error, "code")
        else:
            session.pop("join_id_hash", None)
            return redirect(url_for("joining.received"))
    return render("joining/details.html", form=form, masked_id=session.get("join_masked_id", ""))


@bp.get("/received")
def received() -> str:
    """The same page for everyone who got this far."""
    return render("joining/received.html")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
