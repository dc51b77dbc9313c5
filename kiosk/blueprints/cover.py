"""My cover and claims (a live look-up, online only), and enrolling in or claiming the gifted
"锡新保" cover (queued, works offline)."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select

from kiosk import outbox, store_of
from kiosk.blueprints import bp
from kiosk.blueprints.forms import OCCUPATIONS, masked_person, person, text
from kiosk.blueprints.home import show_receipt
from kiosk.models import Reference
from kiosk.sync import Refused, SyncClient, SyncError
from portal import clock


def _client() -> SyncClient:
    return SyncClient.from_store(store_of(), current_app.config["KEY_FILE"])


@bp.route("/cover/check", methods=["GET", "POST"])
def check_cover():
    errors: dict = {}
    if request.method == "POST":
        block = person("member", errors, worker=False)
        errors.pop("member_name", None)  # the look-up needs no name
        if not errors:
            try:
                session["lookup_id"] = _client().start_lookup(block["id_number"], block["mobile"])
            except Refused as error:
                errors["form"] = str(error)
            except SyncError:
                return render_template("kiosk/offline.html")
            else:
                return redirect(url_for("kiosk.check_cover_code"))
    return render_template("kiosk/cover_check.html", errors=errors, form=request.form)


@bp.route("/cover/code", methods=["GET", "POST"])
def check_cover_code():
    lookup_id = session.get("lookup_id")
    if not lookup_id:
        return redirect(url_for("kiosk.check_cover"))
    error = None
    if request.method == "POST":
        code = "".join(ch for ch in request.form.get("code", "") if ch.isdigit())[:8]
        try:
            summary = _client().verify_lookup(lookup_id, code)
        except Refused as refusal:
            if refusal.code in ("lookup_expired", "lookup_not_found"):
                session.pop("lookup_id", None)
            error = str(refusal)
        except SyncError:
            return render_template("kiosk/offline.html")
        else:
            session.pop("lookup_id", None)
            return render_template("kiosk/cover_result.html", summary=summary)
    return render_template("kiosk/cover_code.html", error=error)


def open_campaigns() -> list[dict]:
    today = clock.today().isoformat()
    with store_of().read() as db:
        rows = [row.data for row in db.scalars(select(Reference).where(Reference.entity == "campaign"))]
    return sorted((c for c in rows if (c.get("opens_on") or "") <= today <= (c.get("closes_on") or "9999")
                   and (c.get("remaining") is None or c["remaining"] > 0)), key=lambda c: c.get("closes_on") or "")


@bp.route("/cover/apply", methods=["GET", "POST"])
def apply_cover():
    campaigns = open_campaigns()
    errors: dict = {}
    if request.method == "POST":
        block = person("member", errors)
        occupation = text("occupation", 40)
        if occupation not in OCCUPATIONS:
            errors["occupation"] = "请选择您的职业。"
        choice = text("campaign", 40)
        chosen = next((c for c in campaigns if c["code"] == choice), None)
        if choice != "self" and chosen is None:
            errors["campaign"] = "请选择要办理的项目。"
        if not errors:
            summary = [*masked_person(block), ("职业", occupation)]
            if chosen is not None:
                payload = {"member": block, "campaign_code": chosen["code"], "occupation": occupation}
                receipt = outbox.submit(store_of(), "campaign.claim", payload,
                                        [("项目", chosen["name"]), *summary])
            else:
                payload = {"member": block, "union_code": None, "occupation": occupation,
                           "is_gig_worker": occupation != "其他"}
                receipt = outbox.submit(store_of(), "enrollment.apply", payload,
                                        [("项目", "职工互助保障（自费参保）"), *summary])
            return show_receipt(receipt.number)
    return render_template("kiosk/cover_apply.html", campaigns=campaigns, occupations=OCCUPATIONS,
                           errors=errors, form=request.form)
