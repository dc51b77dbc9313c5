"""Filing a claim with photos of its documents (camera or scanner); queued, works offline."""

from __future__ import annotations

from flask import abort, render_template, request

from kiosk import outbox, store_of
from kiosk.blueprints import bp
from kiosk.blueprints.forms import bank_card, day, documents, masked_person, person, text, yuan_to_fen
from kiosk.blueprints.home import show_receipt
from portal.domain.claims import CLAIM_TYPE_LABELS, DOCUMENT_LABELS, ClaimType, mask_bank_card

# The documents asked for at the kiosk, by claim type (the reviewer may ask for more later).
DOCUMENT_ROLES = {
    "hospital": ["discharge_summary", "invoice", "id_card", "bank_card"],
    "critical_illness": ["pathology_report", "discharge_summary", "id_card", "bank_card"],
    "accident": ["accident_certificate", "invoice", "id_card", "bank_card"],
}


@bp.get("/claims/new")
def claim_types():
    return render_template("kiosk/claim_types.html", types=CLAIM_TYPE_LABELS)


def _event(claim_type: str, errors: dict) -> dict:
    if claim_type == "hospital":
        event = {"admission_date": day("admission_date", errors, "入院日期"),
                 "discharge_date": day("discharge_date", errors, "出院日期"),
                 "hospital": text("hospital", 120), "diagnosis": text("diagnosis", 200)}
        if not event["hospital"]:
            errors["hospital"] = "请填写医院名称。"
        if event["admission_date"] and event["discharge_date"] and event["discharge_date"] < event["admission_date"]:
            errors["discharge_date"] = "出院日期不能早于入院日期。"
    elif claim_type == "critical_illness":
        event = {"disease": text("disease", 80), "diagnosis_date": day("diagnosis_date", errors, "确诊日期")}
        if not event["disease"]:
            errors["disease"] = "请填写确诊的疾病名称。"
    else:
        event = {"accident_date": day("accident_date", errors, "事故日期"),
                 "accident_description": text("accident_description", 1000),
                 "medical_costs_fen": yuan_to_fen("medical_costs", errors, "医疗费用")}
        if not event["accident_description"]:
            errors["accident_description"] = "请简要说明事故经过。"
    return {key: value for key, value in event.items() if value not in (None, "")}


@bp.route("/claims/new/<claim_type>", methods=["GET", "POST"])
def new_claim(claim_type: str):
    if claim_type not in DOCUMENT_ROLES:
        abort(404)
    roles = DOCUMENT_ROLES[claim_type]
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
                           labels=DOCUMENT_LABELS, errors=errors, form=request.form, kept=kept)
