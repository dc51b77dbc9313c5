"""Fixtures for the sync API: a registered kiosk with its key, requests signed the way kiosks sign
them (``requests-http-signature``), and the central app under gunicorn on a loopback port.

``central_server`` is shared with the kiosk side's tests: it serves the test database (the same
SQLite file or PostgreSQL database as the ``app`` fixture, the same data key and upload folder)
with real gunicorn workers, which a test may SIGKILL and start again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from requests_http_signature import HTTPSignatureAuth, algorithms

from portal.extensions import db
from tests.factories import create_union

ROOT = Path(__file__).resolve().parents[2]
API = "/api/sync/v1"


def new_private_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def private_pem(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def public_pem(key: ed25519.Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def signature_auth(kiosk_id: str, key: ed25519.Ed25519PrivateKey, *, created: float | None = None):
    """The kiosk side's signer: requests-http-signature with a nonce (and a fixed clock if given)."""
    auth = HTTPSignatureAuth(signature_algorithm=algorithms.ED25519, key=private_pem(key), key_id=kiosk_id,
                             use_nonce=True)
    if created is not None:
        import datetime

        auth.get_created = lambda request: datetime.datetime.fromtimestamp(created)
    return auth


@dataclass
class Signed:
    """A request signed for the test client: what a kiosk would put on the wire."""

    method: str
    url: str
    headers: dict
    body: bytes | None


def sign(kiosk_id: str, key, method: str, path: str, *, json=None, data=None, headers=None,
         base: str = "http://localhost", created: float | None = None) -> Signed:
    prepared = requests.Request(method, base + API + path, json=json, data=data, headers=headers or {}).prepare()
    signature_auth(kiosk_id, key, created=created)(prepared)
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    return Signed(method, prepared.url, dict(prepared.headers), body)


class KioskClient:
    """Signs every request with the kiosk's key and sends it through the Flask test client."""

    def __init__(self, client, kiosk_id: str, key):
        self.client, self.kiosk_id, self.key = client, kiosk_id, key

    def sign(self, method: str, path: str, **kwargs) -> Signed:
        return sign(self.kiosk_id, self.key, method, path, **kwargs)

    def send(self, signed: Signed):
        return self.client.open(signed.url, method=signed.method, headers=signed.headers, data=signed.body)

    def request(self, method: str, path: str, **kwargs):
        return self.send(self.sign(method, path, **kwargs))

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def head(self, path, **kwargs):
        return self.request("HEAD", path, **kwargs)

    def push(self, *envelopes):
        return self.post("/envelopes", json={"envelopes": list(envelopes)})


def register(station_code: str = "ST01", name: str = "一号机", key=None):
    """A registered, active kiosk and its private key."""
    from portal.services.sync.kiosks import register_kiosk

    key = key or new_private_key()
    kiosk = register_kiosk(None, station_code=station_code, name=name, public_key=public_pem(key))
    return kiosk, key


@pytest.fixture
def federation():
    from portal.models import UnionKind

    return create_union(code="FED", name="市总工会", kind=UnionKind.FEDERATION)


@pytest.fixture
def kiosk_and_key(federation):
    kiosk, key = register()
    kiosk_id = kiosk.id
    db.session.remove()
    return kiosk_id, key


@pytest.fixture
def kiosk_client(client, kiosk_and_key):
    kiosk_id, key = kiosk_and_key
    return KioskClient(client, kiosk_id, key)


# --- the central app under gunicorn -----------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class CentralServer:
    """``gunicorn wsgi:app`` on 127.0.0.1 against the test database; killable and restartable."""

    def __init__(self, app, *, workers: int = 2, extra_env: dict | None = None, preload: bool = False):
        self.app = app
        self.workers = workers
        # Preloaded, the arbiter holds the imported app and a worker killed alone is back in a
        # fork's time (the app opens no connection at import, so none is shared across the fork).
        self.preload = preload
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.env = {**os.environ,
                    "PORTAL_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                    "PORTAL_INSTANCE_PATH": app.instance_path,
                    "PORTAL_SECRET_KEY": app.config["SECRET_KEY"],
                    "PORTAL_DATA_KEY": app.config["DATA_KEY"],
                    "PORTAL_UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
                    "PORTAL_HUEY_IMMEDIATE": "1",
                    "PORTAL_SMS_ECHO": "0",
                    **(extra_env or {})}
        self.log = Path(app.instance_path) / f"gunicorn-{self.port}.log"

    def start(self, timeout: float = 90) -> CentralServer:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(gunicorn), "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
                 "--graceful-timeout", "2", "--timeout", "60", *(["--preload"] if self.preload else []),
                 "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + API + "/openapi.json", timeout=10).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError("gunicorn did not answer in time")

    def kill(self) -> None:
        """SIGKILL the whole process group (arbiter and workers), as a power cut would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def kill_workers(self) -> None:
        """SIGKILL the worker processes only (those serving requests): the arbiter forks new ones,
        which take the requests waiting on the listening socket."""
        if self.process is None or self.process.poll() is not None:
            return
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid:
                try:
                    os.kill(int(entry.name), signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def central_server(app):
    """A started ``CentralServer``; stopped after the test (``.kill()`` and ``.start()`` to crash it)."""
    server = CentralServer(app).start()
    yield server
    server.stop()


# --- envelopes --------------------------------------------------------------------------------

def enrolment_envelope(name: str = "王五", *, envelope_id: str | None = None, attachments=None, **payload):
    """An ``enrollment.apply`` envelope as a kiosk builds it."""
    import uuid

    body = {"member": {"id_number": "320213199001010012", "name": name, "mobile": "13861800001"},
            "union_code": None, "occupation": "快递员", "is_gig_worker": True, **payload}
    envelope = {"id": envelope_id or str(uuid.uuid4()), "seq": 1, "kind": "enrollment.apply",
                "created_at": "2026-07-15T09:30:00+08:00", "payload": body}
    if attachments is not None:
        envelope["attachments"] = attachments
    return envelope


@pytest.fixture
def recording_handler(monkeypatch):
    """An applier for ``enrollment.apply`` that writes one audit row per effect, so a test can count
    effects; the member name 坏人 is refused by a rule, 崩溃 raises an unexpected error."""
    from portal.domain.errors import InvalidInput
    from portal.domain.i18n import N_
    from portal.services import audit
    from portal.services.sync import handlers

    def apply(context):
        name = context.payload["member"]["name"]
        if name == "坏人":
            raise InvalidInput(N_("测试规则拒绝了%(name)s。"), code="test_refused", name=name)
        if name == "崩溃":
            raise RuntimeError("a bug in an applier")
        event = audit.record(None, "sync.test_applied", "envelope", context.envelope_id)
        db.session.flush()
        return handlers.Applied(receipt=f"T{event.id}")

    monkeypatch.setitem(handlers.HANDLERS, "enrollment.apply", apply)


def effects() -> int:
    from sqlalchemy import func, select

    from portal.models import AuditEvent

    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "sync.test_applied"))
