"""The OpenAPI 3.1 document of the sync API: SYNC.md made exact, and every choice it leaves open.

Built from the same schemas the server validates envelopes with (``portal.domain.sync``), so
the document cannot drift from the checks.
"""

from __future__ import annotations

import copy
import functools

from portal.domain.sync import (
    ATTACHMENT_SCHEMA,
    ENVELOPE_SCHEMA,
    MAX_CLOCK_SKEW_SECONDS,
    MEMBER_SCHEMA,
    PAYLOAD_SCHEMAS,
    PROBLEMS,
    EnvelopeKind,
    ResultStatus,
)

DESCRIPTION = f"""
The central side of the kiosk sync protocol (SYNC.md, version 1). Choices SYNC.md leaves open:

**Signatures (RFC 9421).** Every request except `GET /openapi.json` is signed with Ed25519,
`keyid` = the kiosk id, covering `"@method"`, `"@authority"`, `"@target-uri"` and, when there is a
body, `"content-digest"` (RFC 9530, `sha-256`; a digest of an empty body may be covered too, and
other components such as `date` may be added), with the parameters `created`, `nonce` (8–128
characters), `keyid` and `alg` (`ed25519`). Exactly one signature per request. `requests-http-signature`
with `use_nonce=True` produces exactly this. `@authority` and `@target-uri` are checked against the
URL the request arrived at, so a reverse proxy must pass the `Host` header through unchanged
(and the portal is told the public scheme with `PORTAL_SYNC_PUBLIC_SCHEME=https`).
A signature whose `created` is more than {MAX_CLOCK_SKEW_SECONDS} s from the server's clock is refused
with `401` `clock_skew`; every `401` carries `server_time` (RFC 3339, UTC), so the kiosk can work out
its skew (`server_time` − its own clock) and report it. Nonces are remembered per kiosk for
{2 * MAX_CLOCK_SKEW_SECONDS + 60} s across all servers. A revoked kiosk gets `403` `kiosk_revoked` once its
signature has verified.

**Keys and enrolment.** A kiosk registered on the command line already has its key. One enrolled
with a token from the staff portal calls `POST /enrolment` with the token and its public key (PEM,
SubjectPublicKeyInfo), signed with that same new key (any `keyid`, e.g. `enrolment`): proof that it
holds the private half. A kiosk may rotate its key with `POST /keys`, signed with its current key;
the old key stays valid for the overlap (7 days by default), then expires.

**Errors** are `application/problem+json` (RFC 9457) with a stable `code` (see the `Problem`
schema); `detail` is Chinese. Overload answers `429` (per-kiosk rate limit) or `503` (the database is
busy) with `Retry-After` in seconds; a kiosk retries with exponential back-off and full jitter.

**Envelopes.** `POST /envelopes` answers `200` with `results`, one per envelope, in order. Each
envelope is applied in its own transaction. Two envelopes are the same when their `kind`,
`payload` and `attachments` are equal as JSON (key order ignored); `seq` and `created_at` may differ.
An envelope repeated after it was `rejected` gets the same `rejected` answer again (final). Only
`pending_attachments` is not final: upload the missing blobs and send the envelope again.
`applied` may carry a Chinese `message` too (e.g. a childcare registration put on the waitlist).
Rejection codes are stable strings: `envelope_invalid` (no usable id; nothing stored),
`payload_invalid` (breaks the kind's schema), `kind_unsupported`, `member_mismatch` (the member block
does not match the member record), `internal_error` (kept for staff to handle by hand), and the
codes of the portal's own rules (e.g. `not_covered`, `position_closed`, `invalid_id_number`).
`conflict` has code `envelope_id_reused`.

**Attachments.** `PUT /blobs/{{sha256}}` takes the whole file as the body (`Content-Type` is not
trusted: JPEG, PNG and PDF are recognised by content; images are re-encoded without EXIF). An
upload cut off halfway stores nothing (the bytes do not hash to the name, or never arrive): to
resume, the kiosk asks `HEAD` and sends the whole file again. PUT is idempotent: the same bytes
again answer `200`. An envelope names its attachments by `sha256`; `role` is the claim document
kind (`discharge_summary`, `invoice`, `id_card`, `pathology_report`, `accident_certificate`,
`disability_appraisal`, `death_certificate`, `bank_card`).

**Change feed.** `GET /changes` without a cursor starts with a copy of every current entity
(all `upsert`), then follows the feed. The cursor is opaque; store it in the same local
transaction as the rows applied. `data` is the entity as it is when pulled (not when changed),
so applying changes in the order given always leaves the latest state; `op` `delete` means the
entity is no longer offered (withdrawn, unpublished, closed). Entities carry their dates; a kiosk
hides what is past its dates itself. Campaigns are identified by `code` (the `campaign_code` of
a `campaign.claim`). `submission_status` rows concern only the pulling kiosk's own envelopes.
A cursor from before pruned changes (30 days) answers `410` `cursor_expired`: start again without one.

**Look-ups** are online only and rate-limited per kiosk; a look-up lives 5 minutes and allows 5
wrong codes.
"""

ENTITY_DATA = {
    "plan": {"type": "object", "description": "The current version of a plan; money in fen.",
             "properties": {"code": {"type": "string"}, "version": {"type": "integer"}, "name": {"type": "string"},
                            "contribution_fen": {"type": "integer"}}},
    "campaign": {"type": "object", "properties": {
        "code": {"type": "string"}, "name": {"type": "string"}, "plan_code": {"type": "string"},
        "opens_on": {"type": "string", "format": "date"}, "closes_on": {"type": "string", "format": "date"},
        "remaining": {"type": "integer"}, "occupations": {"type": "array", "items": {"type": "string"}},
        "requires_gig_worker": {"type": "boolean"}}},
    "position": {"type": "object", "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "enterprise": {"type": "string"},
        "places": {"type": "integer"}, "places_left": {"type": "integer"}, "pay_fen": {"type": "integer"},
        "apply_by": {"type": "string", "format": "date"}}},
    "childcare_class": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "seats": {"type": "integer"},
        "seats_left": {"type": "integer"}, "starts_on": {"type": "string", "format": "date"},
        "registration_opens_on": {"type": "string", "format": "date"},
        "registration_closes_on": {"type": "string", "format": "date"}}},
    "submission_status": {"type": "object", "properties": {
        "envelope_id": {"type": "string"}, "kind": {"type": "string"},
        "status": {"type": "string", "enum": ["applied", "rejected"]}, "receipt": {"type": ["string", "null"]},
        "code": {"type": ["string", "null"]}, "message": {"type": ["string", "null"]}}},
}


def _kind_schema_name(kind: EnvelopeKind) -> str:
    return "".join(part.capitalize() for part in kind.value.replace(".", "_").split("_")) + "Payload"


def _problem_response(*codes: str) -> dict:
    return {"description": "Problem: " + ", ".join(f"`{code}`" for code in codes),
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _json(schema_name: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}


SIGNED_ERRORS = {
    "401": _problem_response("signature_missing", "signature_invalid", "digest_mismatch", "clock_skew",
                             "nonce_replayed", "kiosk_unknown"),
    "403": _problem_response("kiosk_revoked"),
    # gunicorn (and any proxy) refuses a request line over ~4 KB before the app sees it, as plain text.
    "414": {"description": "Request line too long: refused by the HTTP server in front of the app, not a problem"},
    "429": _problem_response("rate_limited"),
    "503": _problem_response("overloaded"),
}


def _signed(operation: dict, **responses) -> dict:
    operation["security"] = [{"httpSignature": []}]
    operation["responses"] = {**responses, **SIGNED_ERRORS}
    return operation


def _body(schema_name: str) -> dict:
    return {"required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}


SHA_PARAM = {"name": "sha256", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}


@functools.cache
def _document() -> dict:
    envelope = copy.deepcopy(ENVELOPE_SCHEMA)
    envelope["properties"]["payload"] = {
        "description": "The kind's payload (see the schema named after the kind).",
        "oneOf": [{"$ref": f"#/components/schemas/{_kind_schema_name(kind)}"} for kind in EnvelopeKind]}
    schemas = {
        "Member": MEMBER_SCHEMA,
        "Attachment": ATTACHMENT_SCHEMA,
        "Envelope": envelope,
        **{_kind_schema_name(kind): schema for kind, schema in PAYLOAD_SCHEMAS.items()},
        "PushRequest": {"type": "object", "required": ["envelopes"],
                        "properties": {"envelopes": {"type": "array",
                                                     "items": {"$ref": "#/components/schemas/Envelope"}}}},
        "EnvelopeResult": {"type": "object", "required": ["id", "status", "receipt", "code", "message"],
                           "properties": {"id": {"type": "string"},
                                          "status": {"type": "string", "enum": [s.value for s in ResultStatus]},
                                          "receipt": {"type": ["string", "null"]},
                                          "code": {"type": ["string", "null"]},
                                          "message": {"type": ["string", "null"]}}},
        "PushResponse": {"type": "object", "required": ["results", "server_time"],
                         "properties": {"results": {"type": "array",
                                                    "items": {"$ref": "#/components/schemas/EnvelopeResult"}},
                                        "server_time": {"type": "string", "format": "date-time"}}},
        "SessionReport": {"type": "object", "description": "Optional report from the kiosk, shown to staff.",
                          "properties": {"backlog": {"type": "integer", "minimum": 0,
                                                     "description": "submissions waiting in the outbox"},
                                         "software_version": {"type": "string", "maxLength": 40},
                                         "clock_skew_seconds": {"type": "integer"}}},
        "Hello": {"type": "object", "required": ["kiosk_id", "server_time", "limits"], "properties": {
            "kiosk_id": {"type": "string"}, "server_time": {"type": "string", "format": "date-time"},
            "api_version": {"type": "string"},
            "limits": {"type": "object", "required": ["max_envelopes", "max_body_bytes", "max_blob_bytes"],
                       "properties": {"max_envelopes": {"type": "integer"}, "max_body_bytes": {"type": "integer"},
                                      "max_blob_bytes": {"type": "integer"}, "max_changes": {"type": "integer"}}},
            "station": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                                                         "kind": {"type": "string"}}},
            "unions": {"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "name": {"type": "string"}}}}}},
        "BlobStored": {"type": "object", "required": ["sha256", "stored"],
                       "properties": {"sha256": {"type": "string"}, "stored": {"type": "boolean"}}},
        "Change": {"type": "object", "required": ["entity", "id", "op", "data"], "properties": {
            "entity": {"type": "string", "enum": list(ENTITY_DATA)}, "id": {"type": "string"},
            "op": {"type": "string", "enum": ["upsert", "delete"]},
            "data": {"description": "The entity now (null for a delete).",
                     "oneOf": [{"type": "null"}, *ENTITY_DATA.values()]}}},
        "ChangesResponse": {"type": "object", "required": ["changes", "cursor", "more"], "properties": {
            "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}},
            "cursor": {"type": "string", "description": "Opaque; pass it back as `cursor`."},
            "more": {"type": "boolean", "description": "Pull again at once: more changes are waiting."}}},
        "LookupRequest": {"type": "object", "required": ["id_number", "mobile"],
                          "properties": {"id_number": {"type": "string", "maxLength": 30},
                                         "mobile": {"type": "string", "maxLength": 30}}},
        "LookupStarted": {"type": "object", "required": ["lookup_id", "expires_at"],
                          "properties": {"lookup_id": {"type": "string"},
                                         "expires_at": {"type": "string", "format": "date-time"}}},
        "LookupVerify": {"type": "object", "required": ["code"],
                         "properties": {"code": {"type": "string", "maxLength": 12}}},
        "LookupAnswer": {"type": "object", "required": ["member", "covers", "claims"], "properties": {
            "member": {"type": "object", "properties": {"name": {"type": "string"},
                                                        "id_number": {"type": "string"}},
                       "description": "Masked: 张*三, 3202**********0012."},
            "covers": {"type": "array", "items": {"type": "object", "properties": {
                "plan": {"type": "string"}, "plan_code": {"type": "string"}, "plan_year": {"type": "integer"},
                "starts_on": {"type": ["string", "null"], "format": "date"},
                "ends_on": {"type": ["string", "null"], "format": "date"},
                "status": {"type": "string"}, "status_label": {"type": "string"}}}},
            "claims": {"type": "array", "items": {"type": "object", "properties": {
                "number": {"type": "string"}, "type": {"type": "string"}, "type_label": {"type": "string"},
                "status": {"type": "string"}, "status_label": {"type": "string"},
                "amount_fen": {"type": ["integer", "null"]}, "last_event": {"type": ["string", "null"]},
                "last_event_at": {"type": ["string", "null"], "format": "date-time"}}}}}},
        "EnrolmentRequest": {"type": "object", "required": ["token", "public_key"], "properties": {
            "token": {"type": "string", "maxLength": 100, "description": "The one-time token from the staff portal."},
            "public_key": {"type": "string", "maxLength": 4096,
                           "description": "Ed25519 public key, PEM (SubjectPublicKeyInfo)."}}},
        "KeyRotation": {"type": "object", "required": ["public_key"],
                        "properties": {"public_key": {"type": "string", "maxLength": 4096}}},
        "KeyAdded": {"type": "object", "required": ["fingerprint", "valid_from"], "properties": {
            "fingerprint": {"type": "string"}, "valid_from": {"type": "string", "format": "date-time"},
            "previous_keys_valid_until": {"type": "array", "items": {"type": "string", "format": "date-time"}}}},
        "Problem": {"type": "object", "required": ["type", "title", "status", "code"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string", "enum": sorted(PROBLEMS)},
            "server_time": {"type": "string", "format": "date-time",
                            "description": "On every 401: the server's clock."},
            "attempts_left": {"type": "integer"}, "max_envelopes": {"type": "integer"}}},
    }
    paths = {
        "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi", "security": [],
                                  "responses": {"200": {"description": "OpenAPI 3.1", "content": {
                                      "application/json": {"schema": {"type": "object"}}}}}}},
        "/enrolment": {"post": {
            "summary": "Redeem a one-time enrolment token and register the kiosk's public key",
            "operationId": "enrol", "security": [{"httpSignature": []}],
            "description": "Signed with the key being registered (any keyid). Answers like /session.",
            "requestBody": _body("EnrolmentRequest"),
            "responses": {"201": _json("Hello", "Enrolled"),
                          "400": _problem_response("bad_request"),
                          "401": _problem_response("signature_missing", "signature_invalid", "digest_mismatch",
                                                   "clock_skew", "token_invalid"),
                          "413": _problem_response("body_too_large"),
                          "422": _problem_response("key_invalid"),
                          "429": _problem_response("rate_limited")}}},
        "/session": {"post": _signed({
            "summary": "Probe and hello", "operationId": "session",
            "description": "Treat the server as reachable only when this JSON comes back with your own kiosk_id.",
            "requestBody": {"required": False, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SessionReport"}}}},
        }, **{"200": _json("Hello", "Hello"), "400": _problem_response("bad_request"),
              "413": _problem_response("body_too_large")})},
        "/blobs/{sha256}": {
            "head": _signed({"summary": "Does the server hold this attachment?", "operationId": "headBlob",
                             "parameters": [SHA_PARAM]},
                            **{"200": {"description": "Held"}, "404": {"description": "Not held"}}),
            "put": _signed({"summary": "Upload one attachment (the whole file)", "operationId": "putBlob",
                            "parameters": [SHA_PARAM],
                            "description": "Any Content-Type may be sent (image/jpeg, application/pdf, …): "
                                           "the type is recognised by content.",
                            "requestBody": {"required": True, "content": {
                                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
                           **{"201": _json("BlobStored", "Stored now"), "200": _json("BlobStored", "Already held"),
                              "413": _problem_response("blob_too_large"),
                              "415": _problem_response("unsupported_media_type"),
                              "422": _problem_response("hash_mismatch", "blob_unreadable")}),
        },
        "/envelopes": {"post": _signed({
            "summary": "Push a batch of envelopes", "operationId": "pushEnvelopes",
            "requestBody": _body("PushRequest"),
        }, **{"200": _json("PushResponse", "One result per envelope, in order"),
              "400": _problem_response("bad_request"),
              "413": _problem_response("too_many_envelopes", "body_too_large")})},
        "/changes": {"get": _signed({
            "summary": "Pull the change feed", "operationId": "changes",
            "parameters": [
                {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200}},
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
        }, **{"200": _json("ChangesResponse", "Changes after the cursor"),
              "400": _problem_response("cursor_invalid"), "410": _problem_response("cursor_expired")})},
        "/keys": {"post": _signed({
            "summary": "Add a new key (rotation); the current keys stay valid for the overlap",
            "operationId": "rotateKey", "requestBody": _body("KeyRotation"),
        }, **{"201": _json("KeyAdded", "Key added"), "400": _problem_response("bad_request"),
              "413": _problem_response("body_too_large"), "422": _problem_response("key_invalid")})},
        "/lookups": {"post": _signed({
            "summary": "Start a live look-up (texts a code when ID number and mobile match)",
            "operationId": "startLookup", "requestBody": _body("LookupRequest"),
        }, **{"202": _json("LookupStarted", "Accepted, whether or not they match"),
              "400": _problem_response("bad_request"), "413": _problem_response("body_too_large"),
              "422": _problem_response("invalid_input")})},
        "/lookups/{lookup_id}/verify": {"post": _signed({
            "summary": "Check the texted code; the member's masked cover and claims",
            "operationId": "verifyLookup",
            "parameters": [{"name": "lookup_id", "in": "path", "required": True,
                            "schema": {"type": "string", "maxLength": 43}}],
            "requestBody": _body("LookupVerify"),
        }, **{"200": _json("LookupAnswer", "The member's masked cover and claims"),
              "400": _problem_response("bad_request"), "404": _problem_response("lookup_not_found"),
              "410": _problem_response("lookup_expired"), "413": _problem_response("body_too_large"),
              "422": _problem_response("code_wrong")})},
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "互助保障服务平台 kiosk sync API", "version": "1.0.0", "description": DESCRIPTION.strip()},
        "servers": [{"url": "/api/sync/v1"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"httpSignature": {
                "type": "apiKey", "in": "header", "name": "Signature",
                "description": "RFC 9421 HTTP Message Signature (Signature and Signature-Input headers), "
                               "Ed25519, keyid = kiosk id; see the description above."}},
        },
    }


def document() -> dict:
    return copy.deepcopy(_document())
