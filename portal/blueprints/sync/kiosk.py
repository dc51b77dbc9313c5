"""The kiosk's endpoints. Each view reads the verified request, calls one service, answers JSON."""

from __future__ import annotations

import json

from flask import current_app, g, jsonify, make_response, request
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal.blueprints.sync import bp
from portal.blueprints.sync.openapi import document
from portal.domain.errors import DomainError
from portal.domain.sync import SHA256_RE, has_unstorable_text
from portal.extensions import db, limiter
from portal.models import Kiosk
from portal.models.base import utcnow
from portal.services.sync import blobs, envelopes, feed, kiosks, lookups
from portal.services.sync.problems import Problem
from portal.services.sync.signatures import Message, server_time, verify_enrolment_request, verify_kiosk_request
from portal.services.unit_of_work import independent_unit, transaction

UNSIGNED = {"sync.openapi", "sync.enrol"}  # the enrolment is signed with the key it brings
RETRY_AFTER_BUSY = 5


def _kiosk_key() -> str:
    return g.sync_kiosk_id


def _push_limit() -> str:
    return current_app.config["SYNC_PUSH_RATE_LIMIT"]


def _signed_url() -> str:
    """The absolute URL as the kiosk addressed it (``@authority``, ``@target-uri``)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    if not raw.startswith("/"):
        query = request.query_string.decode("latin-1")
        raw = request.full_path if query else request.path
    scheme = current_app.config.get("SYNC_PUBLIC_SCHEME") or request.scheme
    return f"{scheme}://{request.host}{raw}"


def _body_limit() -> int:
    key = "SYNC_MAX_BLOB_BYTES" if request.endpoint == "sync.put_blob" else "SYNC_MAX_BODY_BYTES"
    return current_app.config[key]


def _read_body() -> bytes:
    limit = _body_limit()
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    return request.get_data(cache=True)


@bp.before_request
def authenticate():
    """Every request but the document and the enrolment carries a kiosk's signature."""
    if request.endpoint is None or request.endpoint in UNSIGNED:
        return
    if "Signature" not in request.headers or "Signature-Input" not in request.headers:
        raise Problem("signature_missing", "请求没有签名（需要 Signature 和 Signature-Input）。",
                      server_time=server_time(utcnow()))
    body = _read_body()
    g.sync = verify_kiosk_request(Message(request.method, _signed_url(), request.headers), body, now=utcnow())
    g.sync_kiosk_id = g.sync.kiosk.id
    g.sync_body = body


def _json_body(*, required: bool = True, whole: bool = True):
    """The request's JSON. ``whole``: refuse the request if any string in it cannot be stored (a
    batch of envelopes checks each envelope on its own instead, so one cannot hold back the rest)."""
    body = g.get("sync_body", b"")
    if not body and not required:
        return {}
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Problem("bad_request", "请求内容不是有效的JSON。") from None
    if whole and has_unstorable_text(parsed):
        raise Problem("bad_request", "请求内容含有空字符或无效编码的字符。")
    return parsed


def _kiosk() -> Kiosk:
    return db.session.get(Kiosk, g.sync_kiosk_id)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of this API."""
    return jsonify(document())


@bp.post("/enrolment")
@limiter.limit("10/minute")
def enrol():
    """A kiosk redeems its one-time token and registers its public key."""
    body_bytes = _read_body()
    try:
        body = json.loads(body_bytes)
    except (ValueError, UnicodeDecodeError):
        raise Problem("bad_request", "请求内容不是有效的JSON。") from None
    if not isinstance(body, dict) or not all(isinstance(body.get(name), str) for name in ("token", "public_key")):
        raise Problem("bad_request", "请求内容应为 {\"token\": ..., \"public_key\": \"PEM\"}。")
    now = utcnow()
    try:
        pem, _ = kiosks.parse_public_key(body["public_key"])
    except DomainError as error:
        raise Problem("key_invalid", error.message) from None
    verify_enrolment_request(Message(request.method, _signed_url(), request.headers), body_bytes, pem, now=now)
    try:
        kiosk = kiosks.redeem_enrolment_token(body["token"], pem, now=now)
    except DomainError as error:
        raise Problem("token_invalid" if error.code == "token_invalid" else "key_invalid", error.message) from None
    return jsonify(_hello(kiosk, now)), 201


def _hello(kiosk: Kiosk, now) -> dict:
    config = current_app.config
    return {
        "kiosk_id": kiosk.id, "server_time": server_time(now), "api_version": "1",
        "limits": {"max_envelopes": config["SYNC_MAX_ENVELOPES"], "max_body_bytes": config["SYNC_MAX_BODY_BYTES"],
                   "max_blob_bytes": config["SYNC_MAX_BLOB_BYTES"],
                   "max_changes": config["SYNC_CHANGES_MAX_LIMIT"]},
        "station": {"code": kiosk.station.code, "name": kiosk.station.name, "kind": kiosk.station.kind},
        "unions": [{"code": union.code, "name": union.name} for union in kiosk.unions],
    }


@bp.post("/session")
@limiter.limit(_push_limit, key_func=_kiosk_key)
def session():
    """Probe and hello; the kiosk may report its backlog and software version."""
    body = _json_body(required=False)
    now = utcnow()
    report = {}
    if isinstance(body, dict):
        backlog = body.get("backlog")
        if isinstance(backlog, int) and not isinstance(backlog, bool) and 0 <= backlog < 2**31:
            report.update(reported_backlog=backlog, reported_at=now)
        if isinstance(body.get("software_version"), str):
            report["software_version"] = body["software_version"][:40]
    with independent_unit() as unit:
        unit.execute(update(Kiosk).where(Kiosk.id == g.sync_kiosk_id).values(last_contact_at=now, **report))
    return jsonify(_hello(_kiosk(), now))


@bp.route("/blobs/<sha256>", methods=["HEAD"])
@limiter.limit(_push_limit, key_func=_kiosk_key)
def head_blob(sha256: str):
    """200 when the server holds the attachment, 404 when not."""
    blob = blobs.held(sha256)
    response = make_response("", 200 if blob else 404)
    if blob:
        response.headers["X-Blob-Size"] = str(blob.received_bytes)
    return response


@bp.put("/blobs/<sha256>")
@limiter.limit(_push_limit, key_func=_kiosk_key)
def put_blob(sha256: str):
    """Upload one attachment (the whole file; a cut upload is simply sent again)."""
    if not SHA256_RE.match(sha256):
        raise Problem("hash_mismatch", "附件地址应为64位小写十六进制SHA-256。")
    created = blobs.put_blob(_kiosk(), sha256, g.sync_body, now=utcnow())
    return jsonify({"sha256": sha256, "stored": True}), 201 if created else 200


@bp.post("/envelopes")
@limiter.limit(_push_limit, key_func=_kiosk_key)
def push():
    """Apply a batch of envelopes, one result each."""
    now = utcnow()
    results = envelopes.push(_kiosk(), _json_body(whole=False), now=now)
    return jsonify({"results": results, "server_time": server_time(now)})


@bp.get("/changes")
@limiter.limit(_push_limit, key_func=_kiosk_key)
def changes():
    """The change feed after ``cursor``."""
    maximum = current_app.config["SYNC_CHANGES_MAX_LIMIT"]
    raw_limit = request.args.get("limit", "")
    limit = int(raw_limit) if raw_limit.isdigit() and len(raw_limit) < 7 else maximum
    limit = min(max(limit, 1), maximum)
    with transaction():  # a read only: ending it here frees the snapshot before the write below
        rows, cursor, more = feed.pull(_kiosk(), request.args.get("cursor") or None, limit)
    now = utcnow()
    with independent_unit() as unit:
        unit.execute(update(Kiosk).where(Kiosk.id == g.sync_kiosk_id).values(last_sync_at=now))
    return jsonify({"changes": rows, "cursor": cursor, "more": more})


@bp.post("/keys")
@limiter.limit(_push_limit, key_func=_kiosk_key)
def rotate_key():
    """The kiosk adds a new key, signing with its current one; both stay valid for the overlap."""
    body = _json_body()
    if not isinstance(body, dict) or not isinstance(body.get("public_key"), str):
        raise Problem("bad_request", "请求内容应为 {\"public_key\": \"PEM\"}。")
    kiosk = _kiosk()
    try:
        key = kiosks.rotate_key(kiosk, kiosk.id, body["public_key"], now=utcnow())
    except DomainError as error:
        raise Problem("key_invalid", error.message) from None
    return jsonify({"fingerprint": key.fingerprint, "valid_from": server_time(key.valid_from),
                    "previous_keys_valid_until": [server_time(k.valid_until) for k in key.kiosk.keys
                                                  if k.id != key.id and k.valid_until]}), 201


@bp.post("/lookups")
@limiter.limit(_push_limit, key_func=_kiosk_key)
@limiter.limit(lookups.lookup_rate_limit, key_func=_kiosk_key)
def start_lookup():
    """Ask for a code to the member's mobile; 202 whatever the match."""
    lookup = lookups.start_lookup(_kiosk(), _json_body(), now=utcnow())
    return jsonify({"lookup_id": lookup.id, "expires_at": server_time(lookup.expires_at)}), 202


@bp.post("/lookups/<lookup_id>/verify")
@limiter.limit(_push_limit, key_func=_kiosk_key)
@limiter.limit(lookups.lookup_rate_limit, key_func=_kiosk_key)
def verify_lookup(lookup_id: str):
    """Check the texted code; the member's masked cover and claims."""
    return jsonify(lookups.verify_lookup(_kiosk(), lookup_id, _json_body(), now=utcnow()))


# --- answers: always problem+json with a code -------------------------------------------------
# No handler rolls back: a service that failed was a unit of work and rolled itself back, and the
# request's session (whatever a failed read left in it) is discarded when the request ends.

def problem_response(problem: Problem):
    response = jsonify(problem.body())
    response.status_code = problem.status
    response.mimetype = "application/problem+json"
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


@bp.errorhandler(Problem)
def on_problem(problem: Problem):
    return problem_response(problem)


HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
              415: "unsupported_media_type", 429: "rate_limited"}


def on_http_error(error: HTTPException):
    code = HTTP_CODES.get(error.code or 500, "bad_request" if (error.code or 500) < 500 else "server_error")
    if code == "body_too_large" and request.endpoint == "sync.put_blob":
        code = "blob_too_large"
    headers = {name: value for name, value in error.get_headers() if name == "Allow"}
    if error.code == 429:
        limit = getattr(error, "limit", None)
        headers["Retry-After"] = str(limit.limit.get_expiry() if limit is not None else 60)
    return problem_response(Problem(code, headers=headers))


# By code as well as by class: the application's own handlers for these codes (HTML pages, or a
# generic problem) would otherwise win over a blueprint's class-wide handler.
bp.register_error_handler(HTTPException, on_http_error)
for _status in (400, 403, 404, 405, 413, 415, 429):
    bp.register_error_handler(_status, on_http_error)


@bp.errorhandler(OperationalError)
@bp.errorhandler(PoolTimeout)
def on_database_busy(error):
    current_app.logger.warning("sync request refused, database busy: %s", error)
    return problem_response(Problem("overloaded", "系统繁忙，请稍后重试。",
                                    headers={"Retry-After": str(RETRY_AFTER_BUSY)}))


@bp.errorhandler(Exception)
def on_unexpected(error: Exception):
    current_app.logger.exception("sync request failed")
    return problem_response(Problem("server_error", "系统出错，请稍后重试。"))


@bp.app_errorhandler(405)
def method_not_allowed(error: HTTPException):
    """Routing refused the method before the blueprint is known: answer sync paths as problems."""
    if request.path.startswith(bp.url_prefix + "/"):
        allowed = {name: value for name, value in error.get_headers() if name == "Allow"}
        return problem_response(Problem("method_not_allowed", headers=allowed))
    return error
