"""Home, the status line, the reset after a task or idle time, and receipts."""

from __future__ import annotations

import segno
from flask import abort, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import select

from kiosk import store_of
from kiosk.blueprints import bp
from kiosk.domain import OutboxState, normal_receipt_number
from kiosk.models import Receipt
from kiosk.outbox import waiting_count


@bp.app_context_processor
def status_line():
    """Every page shows how many submissions wait and when the last sync succeeded."""
    store = store_of()
    return {"waiting": waiting_count(store), "last_sync_at": store.get("last_sync_at"),
            "station_name": store.get("station_name"), "kiosk_config": current_app.config}


@bp.get("/")
def home():
    return render_template("kiosk/home.html")


@bp.get("/status")
def status():
    return render_template("kiosk/_status.html")


@bp.get("/reset")
def reset():
    """The end of every task and of idle time: forget everything this person did here."""
    session.clear()
    return redirect(url_for("kiosk.home"))


def show_receipt(number: str):
    """Remember which receipt this person may see (in the session, never in the address, so
    history holds nothing that reopens it after the reset) and go to it."""
    session["receipt"] = number
    return redirect(url_for("kiosk.receipt"))


def _current_receipt() -> Receipt:
    number = session.get("receipt")
    if not number:
        abort(404)
    with store_of().read() as db:
        receipt = db.get(Receipt, number)
        if receipt is None:
            abort(404)
        receipt.envelope  # noqa: B018 - loaded before the session closes
        return receipt


@bp.get("/receipt")
def receipt():
    receipt = _current_receipt()
    link = phone_link(receipt)
    qr = segno.make(link or f"回执 {receipt.number}", error="m").svg_inline(scale=4, border=2)
    return render_template("kiosk/receipt.html", receipt=receipt, envelope=receipt.envelope, qr=qr,
                           phone=bool(link), queued=OutboxState.QUEUED.value)


def phone_link(receipt: Receipt) -> str | None:
    """The central portal's page for this submission, which the receipt's QR code opens on a
    phone (kiosk id and envelope id, nothing personal); ``PUBLIC_PORTAL_URL`` when the address
    people reach differs from the one the kiosk syncs with."""
    store = store_of()
    base = current_app.config.get("PUBLIC_PORTAL_URL") or store.get("central_url")
    kiosk_id = store.get("kiosk_id")
    if not base or not kiosk_id:
        return None
    return f"{base.rstrip('/')}/stations/receipts/{kiosk_id}/{receipt.envelope_id}"


@bp.get("/receipt/state")
def receipt_state():
    """The receipt's status, polled while it waits for the central answer."""
    receipt = _current_receipt()
    return render_template("kiosk/_receipt_state.html", receipt=receipt, envelope=receipt.envelope,
                           queued=OutboxState.QUEUED.value)


@bp.route("/receipts/find", methods=["GET", "POST"])
def find_receipt():
    error = None
    if request.method == "POST":
        number = normal_receipt_number(request.form.get("number"))
        if number is None:
            error = "回执编号是11位数字，请对照回执逐位核对。"
        else:
            with store_of().read() as db:
                found = db.scalar(select(Receipt.number).where(Receipt.number == number))
            if found:
                return show_receipt(found)
            error = "这台终端上没有这个回执编号。回执只能在办理的终端上查询。"
    return render_template("kiosk/find_receipt.html", error=error)
