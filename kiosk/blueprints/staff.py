"""The station staff page (PIN): submissions that could not be done, with the reasons, and the
sync state (waiting, last sync, last error, clock skew)."""

from __future__ import annotations

import time

from flask import current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.security import check_password_hash

from kiosk import store_of
from kiosk.blueprints import bp
from kiosk.domain import OutboxState
from kiosk.models import Envelope


def _signed_in() -> bool:
    return session.get("staff_until", 0) > time.time()


@bp.route("/staff", methods=["GET", "POST"])
def staff_login():
    error = None
    pin_hash = current_app.config.get("STAFF_PIN_HASH")
    if request.method == "POST":
        failures = session.get("staff_failures", 0)
        if failures >= 5:
            error = "PIN输错次数太多，请稍后再试。"
        elif pin_hash and check_password_hash(pin_hash, request.form.get("pin", "")):
            session.clear()
            session["staff_until"] = time.time() + current_app.config["STAFF_SESSION_SECONDS"]
            return redirect(url_for("kiosk.staff_page"))
        else:
            session["staff_failures"] = failures + 1
            error = "PIN不正确。" if pin_hash else "这台终端还没有设置工作人员PIN（见安装说明）。"
    return render_template("kiosk/staff_login.html", error=error)


@bp.get("/staff/submissions")
def staff_page():
    if not _signed_in():
        return redirect(url_for("kiosk.staff_login"))
    store = store_of()
    with store.read() as db:
        refused = list(db.scalars(select(Envelope).where(Envelope.state == OutboxState.REJECTED.value)
                                  .order_by(Envelope.seq.desc()).limit(200)))
        for envelope in refused:
            envelope.receipt  # noqa: B018 - loaded before the session closes
    return render_template("kiosk/staff.html", refused=refused, settings=store.settings())
