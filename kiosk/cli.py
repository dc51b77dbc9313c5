"""``flask --app kiosk.wsgi kiosk …``: enrol with the central portal, run the sync loop, and the
few installer chores (a key pair for command-line registration, the staff PIN's hash)."""

from __future__ import annotations

import json
import logging
import signal

import click
import requests
from flask import Flask, current_app
from requests_http_signature import HTTPSignatureAuth, algorithms

from kiosk.domain import Backoff, UntrustedAnswer, read_hello
from kiosk.keys import ensure_key, public_path
from kiosk.sync import API, SyncClient, SyncError, run_forever


def _store():
    return current_app.extensions["kiosk_store"]


@click.group("kiosk")
def kiosk_group():
    """This kiosk: enrolment and sync with the central portal."""


@kiosk_group.command("enroll")
@click.option("--central", required=True, help="中心系统地址，例如 https://portal.example.cn")
@click.option("--token", required=True, help="管理员在工作台“自助终端”页签发的一次性登记码（24小时有效）。")
def enroll_command(central, token):
    """Make this kiosk's key pair and redeem a one-time enrolment token with the central portal."""
    private, public = ensure_key(current_app.config["KEY_FILE"])
    url = central.rstrip("/") + API + "/enrolment"
    auth = HTTPSignatureAuth(signature_algorithm=algorithms.ED25519, key=private, key_id="enrolment",
                             use_nonce=True)
    try:
        response = requests.post(url, json={"token": token, "public_key": public.decode()}, auth=auth,
                                 timeout=(5, 30), allow_redirects=False)
    except requests.RequestException as error:
        raise click.ClickException(f"连不上中心系统：{error}") from None
    try:
        body = response.json()
    except ValueError:
        raise click.ClickException(f"中心系统的应答不是JSON（HTTP {response.status_code}）。") from None
    if response.status_code != 201:
        detail = body.get("detail") if isinstance(body, dict) else None
        raise click.ClickException(f"登记失败（HTTP {response.status_code}）：{detail or body}")
    try:
        hello = read_hello(body, body.get("kiosk_id") if isinstance(body, dict) else None)
    except UntrustedAnswer as error:
        raise click.ClickException(f"登记应答不符合协议：{error}") from None
    _save_identity(central, hello.kiosk_id, hello.station_name)
    click.echo(f"kiosk {hello.kiosk_id} enrolled with {central} (station {hello.station_name or '?'})")


@kiosk_group.command("keygen")
def keygen_command():
    """Make the key pair if needed and print the public key file (for `flask --app wsgi kiosk register`)."""
    ensure_key(current_app.config["KEY_FILE"])
    click.echo(str(public_path(current_app.config["KEY_FILE"])))


@kiosk_group.command("configure")
@click.option("--central", required=True, help="中心系统地址。")
@click.option("--kiosk-id", "kiosk_id", required=True, help="`flask --app wsgi kiosk register` 打印的终端编号。")
def configure_command(central, kiosk_id):
    """Use a kiosk id registered on the command line (instead of an enrolment token)."""
    ensure_key(current_app.config["KEY_FILE"])
    _save_identity(central, kiosk_id, None)
    click.echo(f"kiosk {kiosk_id} will sync with {central}")


def _save_identity(central: str, kiosk_id: str, station_name: str | None) -> None:
    store = _store()
    with store.transaction() as session:
        if store.get("kiosk_id", session=session) not in (None, kiosk_id):
            store.put("cursor", None, session=session)  # another identity: the feed starts over
        store.put("central_url", central.rstrip("/"), session=session)
        store.put("kiosk_id", kiosk_id, session=session)
        if station_name:
            store.put("station_name", station_name, session=session)


@kiosk_group.command("sync")
@click.option("--forever", is_flag=True, help="一直运行：定时同步，失败后退避重试，永不放弃。")
def sync_command(forever):
    """One sync round (session → blobs → envelopes → changes), or a loop with --forever."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    store, config = _store(), current_app.config

    def make_client() -> SyncClient:
        return SyncClient.from_store(store, config["KEY_FILE"])

    if not forever:
        try:
            report = make_client().round()
        except SyncError as error:
            raise click.ClickException(f"同步未完成（{error.code}）：{error}") from None
        click.echo(report.line())
        return
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    def note(outcome):
        if not isinstance(outcome, Exception):
            click.echo(outcome.line())

    run_forever(make_client, interval=config["SYNC_INTERVAL_SECONDS"],
                backoff=Backoff(base=config["BACKOFF_BASE_SECONDS"], cap=config["BACKOFF_CAP_SECONDS"]),
                should_stop=lambda: bool(stopping), on_round=note, sleep=_sleeper(stopping))


def _sleeper(stopping: list):
    """Sleep in short steps so SIGTERM (systemd stop) ends the loop promptly."""
    import time

    def sleep(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(1.0, deadline - time.monotonic()))

    return sleep


@kiosk_group.command("rotate-key")
def rotate_key_command():
    """Make a new key pair and register it with the central portal (signed with the current key);
    the old key stays valid there for the overlap and is kept here as kiosk_key.old.pem."""
    from kiosk.keys import new_key_path, promote_new_key, public_of, write_private_key

    store, key_file = _store(), current_app.config["KEY_FILE"]
    pending = new_key_path(key_file)
    if pending.exists():
        # A rotation that stopped halfway: the server may hold the new key already.
        try:
            SyncClient(store, central_url=store.get("central_url"), kiosk_id=store.get("kiosk_id"),
                       key_pem=pending.read_bytes()).session()
        except SyncError:
            pass
        else:
            promote_new_key(key_file)
            click.echo("the new key was already registered; it is now in use")
            return
    private = pending.read_bytes() if pending.exists() else write_private_key(pending)
    try:
        SyncClient.from_store(store, key_file).add_key(public_of(private))
    except SyncError as error:
        raise click.ClickException(f"更换密钥未完成（{error.code}）：{error}（可以再次运行）") from None
    promote_new_key(key_file)
    click.echo("new key registered and in use; the old key stays valid centrally for the overlap")


@kiosk_group.command("status")
def status_command():
    """What the screen shows staff: identity, waiting submissions, last sync, clock skew (JSON)."""
    from kiosk.outbox import waiting_count

    store = _store()
    values = store.settings()
    click.echo(json.dumps({"kiosk_id": values.get("kiosk_id"), "central_url": values.get("central_url"),
                           "waiting": waiting_count(store), "last_sync_at": values.get("last_sync_at"),
                           "last_error": values.get("last_error"),
                           "clock_skew_seconds": values.get("clock_skew_seconds")}, ensure_ascii=False))


@kiosk_group.command("pin-hash")
@click.password_option("--pin", prompt="站点工作人员PIN（至少6位数字）", help="the PIN to hash")
def pin_hash_command(pin):
    """Print the line to put in instance/kiosk/config.py for the station staff PIN."""
    from werkzeug.security import generate_password_hash

    if not (pin.isdigit() and len(pin) >= 6):
        raise click.ClickException("PIN应为至少6位数字。")
    click.echo(f"STAFF_PIN_HASH = {generate_password_hash(pin)!r}")


def init_app(app: Flask) -> None:
    app.cli.add_command(kiosk_group)
