"""Fixtures for the kiosk: its app on a fresh instance folder, enrolled against the central app
(``central_server`` from the sync tests: gunicorn on a loopback port, the test database)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from stdnum import luhn

from kiosk import create_app
from kiosk.sync import SyncClient
from tests.sync.conftest import (  # noqa: F401 - fixtures shared with the sync API's tests
    CentralServer,
    central_server,
    federation,
    private_pem,
    register,
)

PIN = "246810"


@pytest.fixture
def kiosk_app(tmp_path):
    from werkzeug.security import generate_password_hash

    return create_app({"INSTANCE_PATH": str(tmp_path / "kiosk"), "TESTING": True,
                       "STAFF_PIN_HASH": generate_password_hash(PIN, method="scrypt:1024:8:1")})


@pytest.fixture
def kiosk_store(kiosk_app):
    store = kiosk_app.extensions["kiosk_store"]
    yield store
    store.dispose()


def enrol(kiosk_app, central_url: str, station_code: str = "ST01") -> str:
    """Register the kiosk centrally (as `flask --app wsgi kiosk register` does) and give the device
    its private key and identity (as `kiosk configure` does)."""
    kiosk, key = register(station_code=station_code)
    key_file = Path(kiosk_app.config["KEY_FILE"])
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem(key))
    store = kiosk_app.extensions["kiosk_store"]
    store.put("central_url", central_url)
    store.put("kiosk_id", kiosk.id)
    return kiosk.id


def post_form(web, url: str, data: dict, **kwargs):
    """POST like the touch screen: fetch the form for its CSRF token, then submit."""
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get(url).get_data(as_text=True)).group(1)
    return web.post(url, data={"csrf_token": token, **data}, **kwargs)


def client_for(kiosk_app, **kwargs) -> SyncClient:
    return SyncClient.from_store(kiosk_app.extensions["kiosk_store"], kiosk_app.config["KEY_FILE"], **kwargs)


def bank_card() -> str:
    body = "622202020011223344"
    return body + luhn.calc_check_digit(body)


def claim_payload(member_name: str, id_number: str, mobile: str) -> dict:
    return {"member": {"name": member_name, "id_number": id_number, "mobile": mobile}, "type": "hospital",
            "event": {"admission_date": "2026-11-01", "discharge_date": "2026-11-06", "hospital": "无锡市人民医院",
                      "diagnosis": "肺炎"},
            "payee_name": member_name, "bank_card": bank_card()}


def big_photo(seed: int = 1) -> bytes:
    """A phone photo large enough to be cut off halfway (noise does not compress)."""
    import io
    import random

    from PIL import Image

    rng = random.Random(seed)
    image = Image.frombytes("RGB", (160, 120), bytes(rng.randrange(256) for _ in range(160 * 120 * 3)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


class CuttingProxy:
    """A loopback TCP proxy to the central server that, when armed, cuts the connection carrying
    the next blob upload after ``keep`` bytes of its body, as a dropped mobile link would. Until
    it is made, nothing listens on its port: the central server is "down" for the kiosk."""

    def __init__(self, upstream_port: int, keep: int = 4000, port: int = 0):
        self.upstream_port, self.keep = upstream_port, keep
        self.armed = threading.Event()
        self.cuts = 0
        self.sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self.sockets += [downstream, upstream]
            threading.Thread(target=self._pump, args=(upstream, downstream), daemon=True).start()
            threading.Thread(target=self._pump_up, args=(downstream, upstream), daemon=True).start()

    def _pump(self, source, target):
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(source, target)

    def _pump_up(self, source, target):
        budget = None
        try:
            while chunk := source.recv(65536):
                if budget is None and self.armed.is_set() and b"PUT /api/sync/v1/blobs/" in chunk:
                    head, _, body = chunk.partition(b"\r\n\r\n")
                    target.sendall(head + b"\r\n\r\n")
                    budget, chunk = self.keep, body
                if budget is not None:
                    target.sendall(chunk[:budget])
                    budget -= len(chunk[:budget])
                    if budget <= 0:
                        self.armed.clear()
                        self.cuts += 1
                        raise OSError("cut")
                    continue
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(source, target)

    def close(self):
        self.listener.close()
        _close(*self.sockets)


def _close(*sockets):
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
