"""Work-study positions and childcare classes, from the local copy of the change feed; applying
and registering are queued, and capacity is decided centrally in arrival order (the receipt
says 待确认 until the answer comes back)."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request

from kiosk import outbox, store_of
from kiosk.blueprints import bp
from kiosk.blueprints.forms import masked_person, message, person, text
from kiosk.blueprints.home import show_receipt
from kiosk.models import Reference
from portal import clock
from portal.domain.childcare import check_age
from portal.domain.errors import DomainError
from portal.domain.identity import mask_id_number, mask_name, parse_id_number, parse_mobile
from portal.domain.jobs import check_student_age


def _rows(entity: str) -> list[dict]:
    with store_of().read() as db:
        return [row.data for row in db.query(Reference).filter(Reference.entity == entity)]


def _one(entity: str, key: int) -> dict:
    with store_of().read() as db:
        row = db.get(Reference, (entity, str(key)))
    if row is None:
        abort(404)
    return row.data


def _open_positions() -> list[dict]:
    today = clock.today().isoformat()
    return sorted((p for p in _rows("position") if (p.get("apply_by") or "") >= today),
                  key=lambda p: p.get("apply_by") or "")


@bp.get("/jobs")
def positions():
    return render_template("kiosk/positions.html", positions=_open_positions())


@bp.route("/jobs/<int:position_id>", methods=["GET", "POST"])
def position(position_id: int):
    item = _one("position", position_id)
    errors: dict = {}
    if request.method == "POST":
        parent = person("parent", errors)
        # Only a student the parent already registered on the web (the student's code is needed
        # there): the kiosk sends who the student is, and the centre finds them among the parent's own.
        student = {"name": text("student_name", 30)}
        if not student["name"]:
            errors["student_name"] = "请填写学生姓名。"
        try:
            parsed = parse_id_number(text("student_id_number", 24), today=clock.today())
            if item.get("starts_on"):
                check_student_age(parsed, date.fromisoformat(item["starts_on"]), minimum_age=item.get("min_age") or 16)
            student["id_number"] = parsed.value
        except DomainError as error:
            errors["student_id_number"] = message(error)
        if not errors:
            payload = {"parent": parent, "position_id": position_id, "student": student,
                       "motivation": text("motivation", 500)}
            summary = [("岗位", item["title"]), ("企业", item["enterprise"]), *masked_person(parent, "家长"),
                       ("学生", mask_name(student["name"])), ("学生身份证号", mask_id_number(student["id_number"]))]
            return show_receipt(outbox.submit(store_of(), "job.apply", payload, summary).number)
    return render_template("kiosk/position.html", position=item, errors=errors, form=request.form)


def _open_classes() -> list[dict]:
    today = clock.today().isoformat()
    return sorted((c for c in _rows("childcare_class") if (c.get("registration_closes_on") or "") >= today
                   and (c.get("registration_opens_on") or "") <= today), key=lambda c: c.get("starts_on") or "")


@bp.get("/childcare")
def classes():
    return render_template("kiosk/classes.html", classes=_open_classes())


@bp.route("/childcare/<int:class_id>", methods=["GET", "POST"])
def childcare_class(class_id: int):
    item = _one("childcare_class", class_id)
    errors: dict = {}
    if request.method == "POST":
        parent = person("parent", errors)
        child = {"name": text("child_name", 30), "health_notes": text("health_notes", 1000),
                 "allergies": text("allergies", 500), "pickup_adults": []}
        if not child["name"]:
            errors["child_name"] = "请填写孩子姓名。"
        try:
            parsed = parse_id_number(text("child_id_number", 24), today=clock.today())
            check_age(parsed.birth_date, date.fromisoformat(item["starts_on"]), item["min_age"], item["max_age"])
            child["id_number"] = parsed.value
        except DomainError as error:
            errors["child_id_number"] = message(error)
        for index in (1, 2):
            name, raw_mobile = text(f"pickup{index}_name", 30), text(f"pickup{index}_mobile", 20)
            if not name and not raw_mobile and index == 2:
                continue
            if not name:
                errors[f"pickup{index}_name"] = "请填写接送人姓名。"
            try:
                child["pickup_adults"].append({"name": name, "mobile": parse_mobile(raw_mobile),
                                               "relation": text(f"pickup{index}_relation", 20)})
            except DomainError as error:
                errors[f"pickup{index}_mobile"] = message(error)
        if request.form.get("accepted_rules") != "yes":
            errors["accepted_rules"] = "请先阅读并同意本班的安全须知。"
        if not errors:
            payload = {"parent": parent, "class_id": class_id, "child": child, "accepted_rules": True}
            summary = [("班级", item["name"]), *masked_person(parent, "家长"), ("孩子", mask_name(child["name"]))]
            return show_receipt(outbox.submit(store_of(), "childcare.register", payload, summary).number)
    return render_template("kiosk/class.html", cls=item, errors=errors, form=request.form)
