"""Public pages: the home page, help, the language switch, the health check."""

from __future__ import annotations

from flask import current_app, jsonify, request, session, url_for
from sqlalchemy import text

from portal.blueprints.main import bp
from portal.extensions import db
from portal.services import stations
from portal.web import EmptyForm, redirect_back, render

HELP_STATIONS = 8  # service points listed for a district, those open today first


@bp.get("/")
def home():
    """The programmes in plain words, and where each one starts."""
    return render("main/home.html")


@bp.get("/help")
def help_page():
    """Help: the hotline and its hours, the nearest service points, answers to common questions."""
    districts = stations.directory_districts()
    district = request.args.get("district", "")
    district = district if district in districts else ""
    nearby = stations.directory(stations.DirectoryFilters(district=district))[:HELP_STATIONS] if district else []
    return render("main/help.html", districts=districts, district=district, nearby=nearby,
                  hotline=current_app.config["HELP_HOTLINE"], hours=current_app.config["HELP_HOTLINE_HOURS"])


@bp.post("/lang/<code>")
def set_language(code: str):
    """Switch the interface language for this browser."""
    if EmptyForm().validate_on_submit() and code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect_back(url_for("main.home"), request.form.get("next") or "")


@bp.get("/healthz")
def healthz():
    """Liveness for load balancers: JSON with the database reachable or not."""
    try:
        # A connection of its own: a failed probe leaves no broken transaction in the request's session.
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        current_app.logger.warning("health check: database unreachable: %s", exc)
        database = "unreachable"
    status = 200 if database == "ok" else 503
    return jsonify({"status": "ok" if status == 200 else "degraded", "database": database}), status
