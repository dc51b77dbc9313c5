"""The sync client (SYNC.md, the kiosk side): session → blobs → envelopes → changes.

Trust: the server is reachable only when ``POST /session`` answers the sync API's JSON with this
kiosk's own id; any other answer (a captive Wi-Fi page answering 200, a proxy's error page) is
"not reachable" and changes nothing locally. Answers are applied in local transactions: push
results one batch at a time, each change-feed page together with the cursor that follows it.

A round that fails leaves everything as it was; ``run_forever`` waits with exponential back-off
and full jitter (cap 5 minutes) and tries again, forever.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests_http_signature import HTTPSignatureAuth, algorithms
from sqlalchemy import select

from kiosk import outbox
from kiosk.domain import (
    Backoff,
    Hello,
    OutboxState,
    UntrustedAnswer,
    parse_server_time,
    read_changes,
    read_hello,
    read_results,
)
from kiosk.models import Blob, Envelope, Reference
from kiosk.store import Store
from portal.models.base import utcnow

API = "/api/sync/v1"
SOFTWARE_VERSION = "kiosk/1"
REFERENCE_ENTITIES = {"plan", "campaign", "position", "childcare_class"}
SKEW_CORRECTED_ABOVE = 30  # seconds: below this the kiosk signs with its own clock
log = logging.getLogger("kiosk.sync")


class SyncError(Exception):
    """A round could not finish; ``retry_after`` when the server asked for a pause."""

    def __init__(self, message: str, *, code: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after


class Unreachable(SyncError):
    """No answer, or not the sync API's answer (captive portal, proxy, wrong server)."""


class Refused(SyncError):
    """The server answered with a problem (signature, clock, revoked kiosk, …)."""


class _KioskSignature(HTTPSignatureAuth):
    """requests-http-signature with a nonce, signing ``created`` from the kiosk's corrected clock."""

    def __init__(self, *, kiosk_id: str, key_pem: bytes, clock: Callable[[], float]):
        super().__init__(signature_algorithm=algorithms.ED25519, key=key_pem, key_id=kiosk_id, use_nonce=True)
        self.clock = clock

    def get_created(self, request):
        created = dt.datetime.fromtimestamp(self.clock())
        self.add_date(request, timestamp=int(created.timestamp()))
        return created


@dataclass
class RoundReport:
    pushed: int = 0
    answered: dict = field(default_factory=dict)
    blobs_uploaded: int = 0
    changes: int = 0
    skew_seconds: int | None = None
    clock_refused: bool = False  # the server refused our clock once; we signed again with its time

    def line(self) -> str:
        answers = ", ".join(f"{status} {count}" for status, count in sorted(self.answered.items())) or "none"
        return (f"pushed {self.pushed} ({answers}); uploaded {self.blobs_uploaded} attachments; "
                f"pulled {self.changes} changes; clock skew {self.skew_seconds}s")


class SyncClient:
    def __init__(self, store: Store, *, central_url: str, kiosk_id: str, key_pem: bytes,
                 clock: Callable[[], float] = time.time, timeout: tuple[float, float] = (5, 60),
                 changes_page: int = 500):
        self.store = store
        self.base = central_url.rstrip("/") + API
        self.kiosk_id = kiosk_id
        self.clock = clock
        self.timeout = timeout
        self.changes_page = changes_page
        self.http = requests.Session()
        self.http.trust_env = False  # a station's proxy variables must not reroute signed requests
        self.auth = _KioskSignature(kiosk_id=kiosk_id, key_pem=key_pem, clock=self._signing_clock)
        self.correction = float(store.get("clock_correction_seconds", 0) or 0)

    @classmethod
    def from_store(cls, store: Store, key_file: str | Path, **kwargs) -> SyncClient:
        central, kiosk_id = store.get("central_url"), store.get("kiosk_id")
        if not central or not kiosk_id:
            raise SyncError("这台终端还没有登记（先运行 flask --app kiosk.wsgi kiosk enroll）。", code="not_enrolled")
        return cls(store, central_url=central, kiosk_id=kiosk_id, key_pem=Path(key_file).read_bytes(), **kwargs)

    def _signing_clock(self) -> float:
        return self.clock() + self.correction

    # --- HTTP -------------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, json_body=None, data: bytes | None = None, headers=None,
              params=None, timeout=None) -> requests.Response:
        body = data
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = self.http.request(method, self.base + path, data=body, headers=headers, params=params,
                                         auth=self.auth, timeout=timeout or self.timeout, allow_redirects=False)
        except requests.RequestException as error:
            raise Unreachable(f"中心系统连不上：{type(error).__name__}", code="network") from error
        if response.status_code in (429, 503):
            raise Unreachable("中心系统繁忙，稍后重试。", code="busy", retry_after=_retry_after(response))
        return response

    def _json(self, response: requests.Response, *, expect: tuple[int, ...] = (200,)):
        kind = response.headers.get("Content-Type", "").split(";")[0].strip()
        if kind not in ("application/json", "application/problem+json"):
            raise Unreachable(f"收到的不是中心系统的应答（HTTP {response.status_code}，{kind or '无类型'}），"
                              "可能是需要网页登录的无线网络。", code="untrusted")
        try:
            body = response.json()
        except ValueError:
            raise Unreachable("中心系统的应答无法读取。", code="untrusted") from None
        if response.status_code in expect:
            return body
        if kind == "application/problem+json" and isinstance(body, dict) and isinstance(body.get("code"), str):
            self._note_server_time(body)
            raise Refused(str(body.get("detail") or body.get("title") or body["code"])[:300], code=body["code"])
        raise Unreachable(f"中心系统的应答不符合协议（HTTP {response.status_code}）。", code="untrusted")

    def _note_server_time(self, body: dict) -> None:
        if "server_time" not in body:
            return
        try:
            server = parse_server_time(body["server_time"]).timestamp()
        except UntrustedAnswer:
            return
        self._record_skew(self.clock() - server)

    def _record_skew(self, skew: float) -> int:
        """Keep the measured skew for staff and correct the signing clock when it is large."""
        skew_seconds = int(round(skew))
        self.correction = -skew if abs(skew) > SKEW_CORRECTED_ABOVE else 0.0
        with self.store.transaction() as session:
            self.store.put("clock_skew_seconds", skew_seconds, session=session)
            self.store.put("clock_correction_seconds", self.correction, session=session)
        if abs(skew) > SKEW_CORRECTED_ABOVE:
            log.warning("the kiosk clock is %s s off the central server's; signing with a corrected time",
                        skew_seconds)
        return skew_seconds

    # --- the round --------------------------------------------------------------------------

    def round(self) -> RoundReport:
        report = RoundReport()
        self.store.put("last_attempt_at", utcnow().isoformat())
        try:
            hello = self.session(report)
            self.push_blobs(hello, report)
            self.push_envelopes(hello, report)
            self.pull_changes(report)
        except SyncError as error:
            self.store.put("last_error", str(error)[:300])
            raise
        outbox.purge_unreferenced_blobs(self.store)
        with self.store.transaction() as session:
            self.store.put("last_sync_at", utcnow().isoformat(), session=session)
            self.store.put("last_error", None, session=session)
        return report

    def session(self, report: RoundReport | None = None) -> Hello:
        """The probe: the server counts as reachable only with its JSON for this kiosk's id."""
        try:
            return self._hello(report)
        except Refused as error:
            if error.code != "clock_skew":
                raise
            if report is not None:
                report.clock_refused = True
            # The refusal carried the server's time and ``_json`` recorded the skew: sign again.
            return self._hello(report)

    def _hello(self, report: RoundReport | None) -> Hello:
        sent = self.clock()
        response = self._send("POST", "/session", json_body={"backlog": outbox.waiting_count(self.store),
                                                             "software_version": SOFTWARE_VERSION})
        body = self._json(response)
        try:
            hello = read_hello(body, self.kiosk_id)
        except UntrustedAnswer as error:
            raise Unreachable(f"应答不是本终端的会话（{error}），可能是需要网页登录的无线网络。",
                              code="untrusted") from None
        midpoint = (sent + self.clock()) / 2
        skew = self._record_skew(midpoint - hello.server_time.timestamp())
        if report is not None:
            report.skew_seconds = skew
        if hello.station_name:
            self.store.put("station_name", hello.station_name)
        return hello

    def push_blobs(self, hello: Hello, report: RoundReport) -> None:
        """Every attachment a waiting submission needs, unless the server already holds it (HEAD).
        An upload cut halfway left nothing on the server (it stores only whole, hash-checked files):
        the next round finds it missing and sends it again."""
        with self.store.read() as session:
            needed = {item["sha256"] for attachments in session.scalars(
                select(Envelope.attachments).where(Envelope.state == OutboxState.QUEUED.value))
                for item in attachments or []}
            blobs = list(session.scalars(select(Blob).where(Blob.sha256.in_(needed), Blob.uploaded_at.is_(None))))
        for blob in blobs:
            if blob.size > hello.max_blob_bytes:
                self._reject_locally(blob.sha256, "blob_too_large",
                                     f"附件超过中心系统的{hello.max_blob_bytes // 1024 // 1024}MB限制，未能上传。")
                continue
            head = self._send("HEAD", f"/blobs/{blob.sha256}")
            if head.status_code == 200:
                self._mark_uploaded(blob.sha256)
                continue
            if head.status_code != 404:
                self._json(head, expect=(404,))
            path = self.store.blob_path(blob.sha256)
            if not path.exists():
                self._reject_locally(blob.sha256, "attachment_lost", "终端上的附件文件丢失，请重新办理。")
                continue
            response = self._send("PUT", f"/blobs/{blob.sha256}", data=path.read_bytes(),
                                  headers={"Content-Type": blob.content_type})
            try:
                self._json(response, expect=(200, 201))
            except Refused as error:
                if error.code in ("hash_mismatch", "blob_too_large", "unsupported_media_type", "blob_unreadable"):
                    self._reject_locally(blob.sha256, error.code, f"附件未被中心系统接受：{error}")
                    continue
                raise
            self._mark_uploaded(blob.sha256)
            report.blobs_uploaded += 1

    def _mark_uploaded(self, sha256: str) -> None:
        with self.store.transaction() as session:
            blob = session.get(Blob, sha256)
            if blob is not None:
                blob.uploaded_at = utcnow()

    def _reject_locally(self, sha256: str, code: str, message: str) -> None:
        """An attachment the server will never take: the submissions carrying it cannot be done.
        They are shown to station staff with the reason (their payload kept: the central side never
        saw them)."""
        with self.store.transaction() as session:
            for envelope in session.scalars(select(Envelope).where(Envelope.state == OutboxState.QUEUED.value)):
                if any(item["sha256"] == sha256 for item in envelope.attachments or []):
                    envelope.state = OutboxState.REJECTED.value
                    envelope.code, envelope.message, envelope.answered_at = code, message, utcnow()

    def push_envelopes(self, hello: Hello, report: RoundReport) -> None:
        """Waiting submissions in order, in batches within the server's limits, until none is left
        that can go (one whose attachment is still missing waits for the next round)."""
        tried: set[str] = set()
        while True:
            batch = self._next_batch(hello, tried)
            if not batch:
                return
            tried.update(item["id"] for item in batch)
            response = self._send("POST", "/envelopes", json_body={"envelopes": batch})
            body = self._json(response)
            try:
                results = read_results(body, [item["id"] for item in batch])
            except UntrustedAnswer as error:
                raise Unreachable(f"提交的应答不符合协议（{error}）。", code="untrusted") from None
            now = utcnow()
            with self.store.transaction() as session:
                for result in results:
                    envelope = session.get(Envelope, result["id"])
                    envelope.attempts += 1
                    envelope.last_attempt_at = now
                    outbox.record_answer(session, envelope, result, now=now)
                    if result["status"] == "pending_attachments":
                        for item in envelope.attachments or []:
                            blob = session.get(Blob, item["sha256"])
                            if blob is not None:
                                blob.uploaded_at = None
                    report.answered[result["status"]] = report.answered.get(result["status"], 0) + 1
            report.pushed += len(batch)

    def _next_batch(self, hello: Hello, tried: set[str]) -> list[dict]:
        limit_bytes = int(hello.max_body_bytes * 0.9)
        batch, size = [], 20
        with self.store.read() as session:
            uploaded = set(session.scalars(select(Blob.sha256).where(Blob.uploaded_at.is_not(None))))
            for envelope in session.scalars(select(Envelope).where(Envelope.state == OutboxState.QUEUED.value)
                                            .order_by(Envelope.seq)):
                if envelope.id in tried or envelope.payload is None:
                    continue
                if any(item["sha256"] not in uploaded for item in envelope.attachments or []):
                    continue
                item = {"id": envelope.id, "seq": envelope.seq, "kind": envelope.kind,
                        "created_at": envelope.created_at.isoformat(), "payload": envelope.payload,
                        "attachments": envelope.attachments or []}
                item_size = len(json.dumps(item, ensure_ascii=False).encode()) + 1
                if batch and (len(batch) >= hello.max_envelopes or size + item_size > limit_bytes):
                    break
                batch.append(item)
                size += item_size
        return batch

    def pull_changes(self, report: RoundReport) -> None:
        """Pages of the change feed, each applied with its cursor in one local transaction. A
        cursor the server no longer knows (410) starts a full copy; entities the copy did not
        bring again are deleted once it completes."""
        while True:
            cursor = self.store.get("cursor")
            params = {"limit": self.changes_page, **({"cursor": cursor} if cursor else {})}
            response = self._send("GET", "/changes", params=params)
            if response.status_code == 410:
                self._json(response, expect=(410,))
                self.store.put("cursor", None)
                continue
            body = self._json(response)
            try:
                changes, next_cursor, more = read_changes(body)
            except UntrustedAnswer as error:
                raise Unreachable(f"变更的应答不符合协议（{error}）。", code="untrusted") from None
            now = utcnow()
            with self.store.transaction() as session:
                if not cursor:
                    self.store.put("snapshot_started_at", now.isoformat(), session=session)
                for change in changes:
                    self._apply_change(session, change, now)
                self.store.put("cursor", next_cursor, session=session)
                started = self.store.get("snapshot_started_at", session=session)
                if not more and started:
                    for row in session.scalars(select(Reference)):
                        if row.refreshed_at < dt.datetime.fromisoformat(started):
                            session.delete(row)
                    self.store.put("snapshot_started_at", None, session=session)
            report.changes += len(changes)
            if not more:
                return

    def _apply_change(self, session, change: dict, now) -> None:
        entity, key, data = change["entity"], change["id"], change.get("data")
        if entity == "submission_status":
            envelope = session.get(Envelope, key)
            if envelope is not None and isinstance(data, dict) and change["op"] == "upsert":
                outbox.record_answer(session, envelope, data, now=now)
            return
        if entity not in REFERENCE_ENTITIES:
            return
        row = session.get(Reference, (entity, key))
        if change["op"] == "delete" or not isinstance(data, dict):
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(Reference(entity=entity, id=key, data=data, refreshed_at=now))
        else:
            row.data, row.refreshed_at = data, now

    # --- key rotation ------------------------------------------------------------------------

    def add_key(self, public_pem: bytes) -> None:
        """``POST /keys`` signed with the current key: the new key is valid at once, the old one
        for the overlap."""
        response = self._send("POST", "/keys", json_body={"public_key": public_pem.decode()})
        self._json(response, expect=(201,))

    # --- live look-ups (online only; a person is waiting, so short timeouts) -----------------

    def start_lookup(self, id_number: str, mobile: str) -> str:
        response = self._send("POST", "/lookups", json_body={"id_number": id_number, "mobile": mobile},
                              timeout=(3, 10))
        body = self._json(response, expect=(202,))
        if not isinstance(body, dict) or not isinstance(body.get("lookup_id"), str):
            raise Unreachable("查询应答不符合协议。", code="untrusted")
        return body["lookup_id"]

    def verify_lookup(self, lookup_id: str, code: str) -> dict:
        response = self._send("POST", f"/lookups/{lookup_id}/verify", json_body={"code": code}, timeout=(3, 10))
        body = self._json(response)
        if not isinstance(body, dict):
            raise Unreachable("查询应答不符合协议。", code="untrusted")
        return body


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def run_forever(make_client: Callable[[], SyncClient], *, interval: float, backoff: Backoff,
                sleep: Callable[[float], None] = time.sleep, should_stop: Callable[[], bool] = lambda: False,
                on_round: Callable[[RoundReport | SyncError | Exception], None] | None = None) -> None:
    """Sync every ``interval`` seconds; after a failure wait with back-off and try again. Never
    gives up: not on a refused request, not on a bug (logged), not after any number of failures."""
    while not should_stop():
        try:
            outcome: RoundReport | Exception = make_client().round()
            backoff.reset()
            delay = interval
        except SyncError as error:
            outcome = error
            delay = backoff.next_delay(error.retry_after)
            log.warning("sync failed (%s): %s; next try in %.0f s", error.code, error, delay)
        except Exception as error:  # noqa: BLE001 - a bug must not stop the loop that carries the outbox
            outcome = error
            delay = backoff.next_delay()
            log.exception("sync round crashed; next try in %.0f s", delay)
        if on_round is not None:
            on_round(outcome)
        sleep(delay)
