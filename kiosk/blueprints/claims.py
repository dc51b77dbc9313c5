"""Filing a claim with photos of its documents (camera or scanner); queued, works offline."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request
from sqlalchemy import select

from kiosk import outbox, store_of
from kiosk.blueprints import bp
from kiosk.blueprints.forms import bank_card, day, documents, masked_person, person, text, yuan_to_fen
from kiosk.blueprints.home import show_receipt
from kiosk.models import Reference
from portal.domain.claims import (
    CLAIM_TYPE_LABELS,
    DOCUMENT_LABELS,
    ClaimFacts,
    ClaimType,
    mask_bank_card,
    required_fields,
)
from portal.domain.i18n import interpolate

# The documents asked for at the kiosk, by claim type (the reviewer may ask for more later).
DOCUMENT_ROLES = {
    "hospital": ["discharge_summary", "invoice", "id_card", "bank_card"],
    "critical_illness": ["pathology_report", "discharge_summary", "id_card", "bank_card"],
    "accident": ["accident_certificate", "invoice", "id_card", "bank_card"],
}


@bp.get("/claims/new")
def claim_types():
    return render_template("kiosk/claim_types.html", types=CLAIM_TYPE_LABELS)


def _plans() -> list[dict]:
    with store_of().read() as db:
        return [row.data for row in db.scalars(select(Reference).where(Reference.entity == "plan"))]


def _roles(claim_type: str, plans: list[dict]) -> list[str]:
    """The documents to photograph: the current plans' checklist for the type (from the change
    feed), else the kiosk's own list; the proof of the bank card always."""
    roles: list[str] = []
    for plan in plans:
        for role in (plan.get("document_checklist") or {}).get(claim_type, []):
            if role in DOCUMENT_LABELS and role not in roles:
                roles.append(role)
    roles = roles or list(DOCUMENT_ROLES[claim_type])
    return roles if "bank_card" in roles else [*roles, "bank_card"]


def _diseases(plans: list[dict]) -> list[str]:
    seen: list[str] = []
    for plan in plans:
        seen += [name for name in plan.get("critical_diseases") or [] if name not in seen]
    return seen


def _complete(claim_type: str, event: dict, errors: dict) -> None:
    """The portal's own rule for what a claim must say before it can be submitted, so the kiosk
    never queues a claim the central side would refuse as incomplete."""
    dates = {name: date.fromisoformat(event[name]) for name in
             ("admission_date", "discharge_date", "diagnosis_date", "accident_date") if event.get(name)}
    others = {name: event[name] for name in ("hospital", "diagnosis", "disease", "accident_description",
                                             "medical_costs_fen") if event.get(name) not in (None, "")}
    facts = ClaimFacts(ClaimType(claim_type), **dates, **others)
    for field, msgid in required_fields(facts):
        errors.setdefault(field, interpolate(msgid, {}))


def _event(claim_type: str, errors: dict) -> dict:
    if claim_type == "hospital":
        event = {"admission_date": day("admission_date", errors, "入院日期"),
                 "discharge_date": day("discharge_date", errors, "出院日期"),
                 "hospital": text("hospital", 120), "diagnosis": text("diagnosis", 200)}
        if event["admission_date"] and event["discharge_date"] and event["discharge_date"] < event["admission_date"]:
            errors["discharge_date"] = "出院日期不能早于入院日期。"
    elif claim_type == "critical_illness":
        event = {"disease": text("disease", 80), "diagnosis_date": day("diagnosis_date", errors, "确诊日期")}
    else:
        event = {"accident_date": day("accident_date", errors, "事故日期"),
                 "accident_description": text("accident_description", 1000),
                 "medical_costs_fen": yuan_to_fen("medical_costs", errors, "医疗费用")}
    event = {key: value for key, value in event.items() if value not in (None, "")}
    _complete(claim_type, event, errors)
    return event


@bp.route("/claims/new/<claim_type>", methods=["GET", "POST"])
def new_claim(claim_type: str):
    if claim_type not in DOCUMENT_ROLES:
        abort(404)
    plans = _plans()
    roles = _roles(claim_type, plans)
    errors: dict = {}
    kept: dict = {}
    if request.method == "POST":
        store = store_of()
        member = person("member", errors)
        event = _event(claim_type, errors)
        payee = text("payee_name", 30) or member["name"]
        card = bank_card(errors)
        uploads, kept = documents(roles, errors, store)
        if not errors:
            payload = {"member": member, "type": claim_type, "event": event, "payee_name": payee,
                       "bank_card": card, "bank_name": text("bank_name", 60)}
            summary = [("理赔类型", CLAIM_TYPE_LABELS[ClaimType(claim_type)]), *masked_person(member),
                       ("收款卡", mask_bank_card(card)), ("材料", f"{len(uploads)}份")]
            receipt = outbox.submit(store, "claim.submit", payload, summary, uploads=uploads)
            return show_receipt(receipt.number)
    return render_template("kiosk/claim_form.html", claim_type=claim_type,
                           type_label=CLAIM_TYPE_LABELS[ClaimType(claim_type)], roles=roles,
                           labels=DOCUMENT_LABELS, errors=errors, form=request.form, kept=kept,
                           diseases=_diseases(plans))
