"""Reading the kiosk's forms with the portal's rules. Each reader returns the clean values and a
dict of Chinese messages by field; a form with errors is shown again with everything typed kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app, request

from kiosk.outbox import Upload
from portal import clock
from portal.domain.claims import DOCUMENT_LABELS, parse_bank_card, sniff_content_type
from portal.domain.errors import DomainError
from portal.domain.i18n import interpolate
from portal.domain.identity import (
    mask_id_number,
    mask_mobile,
    mask_name,
    parse_id_number,
    parse_mobile,
    parse_worker_id_number,
)

OCCUPATIONS = ["快递员", "外卖骑手", "网约车司机", "货车司机", "环卫工人", "其他"]


def text(name: str, limit: int = 80) -> str:
    return (request.form.get(name) or "").strip()[:limit]


def message(error: DomainError) -> str:
    return interpolate(error.msgid, error.params)


def person(prefix: str, errors: dict, *, worker: bool = True, today: date | None = None) -> dict:
    """A member block (name, ID number, mobile) from ``prefix_name`` etc."""
    today = today or clock.today()
    name = text(f"{prefix}_name", 30)
    if not name:
        errors[f"{prefix}_name"] = "请填写姓名。"
    block = {"name": name, "id_number": "", "mobile": ""}
    try:
        parse = parse_worker_id_number if worker else parse_id_number
        block["id_number"] = parse(text(f"{prefix}_id_number", 24), today=today).value
    except DomainError as error:
        errors[f"{prefix}_id_number"] = message(error)
    try:
        block["mobile"] = parse_mobile(text(f"{prefix}_mobile", 20))
    except DomainError as error:
        errors[f"{prefix}_mobile"] = message(error)
    return block


def masked_person(block: dict, who: str = "") -> list[tuple[str, str]]:
    return [(f"{who}姓名", mask_name(block["name"])), (f"{who}身份证号", mask_id_number(block["id_number"])),
            (f"{who}手机", mask_mobile(block["mobile"]))]


def day(name: str, errors: dict, label: str, *, today: date | None = None) -> str | None:
    raw = text(name, 12)
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"请选择{label}。"
        return None
    if value > (today or clock.today()):
        errors[name] = f"{label}不能晚于今天。"
        return None
    return value.isoformat()


def yuan_to_fen(name: str, errors: dict, label: str) -> int | None:
    raw = text(name, 20).replace(",", "")
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        errors[name] = f"{label}请填写数字，例如 1234.50。"
        return None
    if amount < 0 or amount > Decimal("20000000") or amount != amount.quantize(Decimal("0.01")):
        errors[name] = f"{label}应为0到2000万元之间、最多两位小数的金额。"
        return None
    return int(amount * 100)


def bank_card(errors: dict) -> str:
    try:
        return parse_bank_card(text("bank_card", 30))
    except DomainError as error:
        errors["bank_card"] = message(error)
        return ""


def documents(roles: list[str], errors: dict, store) -> tuple[list[Upload], dict[str, list[dict]]]:
    """The photos and files of each role: new ones from the camera or a scanner, and those kept
    from an earlier try of the same form (hidden ``kept_<role>`` fields holding their hash), so a
    form shown again for a typo does not lose the photos."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    uploads: list[Upload] = []
    kept: dict[str, list[dict]] = {}
    for role in roles:
        label = DOCUMENT_LABELS.get(role, role)
        for index, sha256 in enumerate(request.form.getlist(f"kept_{role}")[:5]):
            path = store.blob_path(sha256) if len(sha256) == 64 and sha256.isalnum() else None
            if path is None or not path.exists():
                continue
            data = path.read_bytes()
            content_type = sniff_content_type(data[:16]) or "application/octet-stream"
            uploads.append(Upload(data, content_type, role, _file_name(label, content_type, index)))
        for storage in request.files.getlist(f"doc_{role}")[:5]:
            if not storage or not storage.filename:
                continue
            data = storage.read(limit + 1)
            content_type = sniff_content_type(data[:16])
            if len(data) > limit:
                errors[f"doc_{role}"] = f"{label}的文件超过{limit // 1024 // 1024}MB，请重新拍照或换一个文件。"
            elif content_type is None:
                errors[f"doc_{role}"] = f"{label}只能是照片（JPG、PNG）或PDF文件。"
            else:
                uploads.append(Upload(data, content_type, role,
                                      _file_name(label, content_type, len([u for u in uploads if u.role == role]))))
    for upload in uploads:
        sha256 = store.write_blob(upload.data)
        kept.setdefault(upload.role, []).append({"sha256": sha256, "content_type": upload.content_type})
    if not uploads:
        errors["documents"] = "请至少拍一张材料照片（或插入扫描的文件）。"
    return uploads, kept


def _file_name(label: str, content_type: str, index: int) -> str:
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[content_type]
    return f"{label}{index + 1 if index else ''}.{extension}"
