"""The member's own pages (我的): profile and the way into each programme."""

from __future__ import annotations

import json

from flask import Response, redirect, request, url_for
from flask_login import current_user

from portal.blueprints.members import bp
from portal.services import members, personal_data
from portal.web import EmptyForm, member_required, render


@bp.get("/")
@member_required
def home():
    """The signed-in member's own page, personal data masked."""
    return render("members/home.html", member=current_user)


@bp.post("/sms-consent")
@member_required
def sms_consent():
    """Turn reminder texts on or off; htmx swaps just the switch."""
    if EmptyForm().validate_on_submit():
        members.set_sms_consent(current_user, request.form.get("consent") == "1")
    return render("members/home.html", fragment="members/_sms_consent.html", member=current_user)


@bp.post("/my-data")
@member_required
def my_data():
    """A copy of everything held about the member, as a JSON file (POST: the download is audited)."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("members.home"))
    copy = personal_data.download_copy(current_user)
    body = json.dumps(copy, ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": "attachment; filename=my-data.json"})
