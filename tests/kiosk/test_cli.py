"""``flask --app kiosk.wsgi kiosk …``: enrolment with a one-time token (the key made on the kiosk,
private half 0600), a sync round, the status, and the staff PIN's hash."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from werkzeug.security import check_password_hash

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Kiosk
from portal.services.stations import ensure_station
from portal.services.sync.kiosks import issue_enrolment_token
from tests.factories import create_staff


class Runner:
    """The kiosk's CLI runner. The portal's app context that every test runs in would otherwise
    be taken for the kiosk's (Flask's CLI pushes an app context only when none is current)."""

    def __init__(self, app):
        self.app, self.runner = app, app.test_cli_runner()

    def invoke(self, *, args):
        with self.app.app_context():
            return self.runner.invoke(args=args)


def test_a_kiosk_enrols_with_a_token_and_syncs(kiosk_app, kiosk_store, federation, central_server):
    admin = create_staff("root", Role.ADMIN)
    station = ensure_station(admin, "ST09")
    db.session.commit()
    kiosk, token = issue_enrolment_token(admin, station_id=station.id, name="九号机")
    kiosk_id = kiosk.id
    runner = Runner(kiosk_app)
    result = runner.invoke(args=["kiosk", "enroll", "--central", central_server.url, "--token", token])
    assert result.exit_code == 0, result.output
    key_file = Path(kiosk_app.config["KEY_FILE"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and b"PRIVATE KEY" in key_file.read_bytes()
    assert kiosk_store.get("kiosk_id") == kiosk_id and kiosk_store.get("central_url") == central_server.url
    db.session.rollback()
    assert db.session.get(Kiosk, kiosk_id).status == "active"

    again = runner.invoke(args=["kiosk", "enroll", "--central", central_server.url, "--token", token])
    assert again.exit_code != 0 and "登记失败" in again.output  # a token is used once

    synced = runner.invoke(args=["kiosk", "sync"])
    assert synced.exit_code == 0 and "pulled" in synced.output, synced.output
    status = json.loads(runner.invoke(args=["kiosk", "status"]).output)
    assert status["kiosk_id"] == kiosk_id and status["waiting"] == 0 and status["last_sync_at"]


def test_a_sync_that_cannot_reach_the_central_portal_fails_plainly(kiosk_app, kiosk_store):
    runner = Runner(kiosk_app)
    assert runner.invoke(args=["kiosk", "configure", "--central", "http://127.0.0.1:9",
                               "--kiosk-id", "7b0ad0a5-6b7a-4ad1-9d8e-3f4f2c4a1111"]).exit_code == 0
    result = runner.invoke(args=["kiosk", "sync"])
    assert result.exit_code == 1 and "同步未完成（network）" in result.output
    assert kiosk_store.get("last_sync_at") is None and kiosk_store.get("last_error")


def test_the_pin_hash_line(kiosk_app):
    result = Runner(kiosk_app).invoke(args=["kiosk", "pin-hash", "--pin", "135790"])
    assert result.exit_code == 0
    line = result.output.strip()
    assert line.startswith("STAFF_PIN_HASH = ") and check_password_hash(eval(line.split(" = ", 1)[1]), "135790")
    assert Runner(kiosk_app).invoke(args=["kiosk", "pin-hash", "--pin", "12"]).exit_code != 0


def test_the_kiosk_rotates_its_key_and_keeps_syncing(kiosk_app, kiosk_store, federation, central_server):
    from portal.models import KioskKey
    from tests.kiosk.conftest import enrol

    kiosk_id = enrol(kiosk_app, central_server.url)
    key_file = Path(kiosk_app.config["KEY_FILE"])
    before = key_file.read_bytes()
    runner = Runner(kiosk_app)
    rotated = runner.invoke(args=["kiosk", "rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    assert key_file.read_bytes() != before and key_file.with_name("kiosk_key.old.pem").read_bytes() == before
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    db.session.rollback()
    assert db.session.query(KioskKey).filter_by(kiosk_id=kiosk_id).count() == 2
    synced = runner.invoke(args=["kiosk", "sync"])
    assert synced.exit_code == 0, synced.output
