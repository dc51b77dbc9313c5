"""Pushes against the real server (gunicorn on loopback): many kiosks racing for a class's last
seats, one batch of real kinds from 8 threads, and a server SIGKILLed at random points of a push
(before, during, after its commit and before the answer reaches the kiosk), 50 rounds.

Every envelope must end applied exactly once (one effect, one ``applied`` answer, the same
receipt in every later answer) or rejected with a reason.
"""

from __future__ import annotations

import random
import select
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select as sql_select

from portal import clock
from portal.domain.identity import compose_id_number
from portal.extensions import db
from portal.models import Application, SyncEnvelope
from portal.models.childcare import Registration
from portal.models.claims import Claim
from tests.factories import (
    CARD,
    child_input,
    covered_member,
    create_childcare_class,
    create_enterprise,
    create_member,
    create_position,
    create_student,
    create_union,
)
from tests.sync.conftest import API, CentralServer, register, signature_auth


def kiosk_session(kiosk_id: str, key) -> requests.Session:
    session = requests.Session()
    session.auth = signature_auth(kiosk_id, key)
    return session


def push(session: requests.Session, base: str, batch: list[dict]) -> list[dict]:
    response = session.post(base + API + "/envelopes", json={"envelopes": batch}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def member_block(member) -> dict:
    return {"id_number": member.id_number, "name": member.name, "mobile": member.mobile}


def newcomer(number: int) -> dict:
    """A parent the portal has never seen (created unverified by the envelope)."""
    return {"id_number": compose_id_number("320211", date(1960, 1, 1) + timedelta(days=number), 1),
            "name": f"新家长{number}",
            "mobile": f"137{number:08d}"}


def registration(parent: dict, class_id: int) -> dict:
    child = child_input()
    return {"id": str(uuid.uuid4()), "seq": 1, "kind": "childcare.register", "created_at": None, "payload": {
        "parent": parent, "class_id": class_id,
        "child": {"name": child.name, "id_number": child.id_number, "health_notes": "",
                  "pickup_adults": [{"name": "王芳", "mobile": "13912345678"}]}}}


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(sql_select(func.count()).select_from(model).where(*where))


@pytest.fixture
def open_class(federation):
    def make(seats: int):
        return create_childcare_class(create_union(parent=federation), today=clock.today(), phase="after_window",
                                      seats=seats, allocated_at=clock.now())
    return make


def test_20_kiosks_registering_for_5_seats_at_once_get_seats_then_the_waitlist_in_arrival_order(
        federation, open_class, central_server):
    cls = open_class(5)
    kiosks = [register(station_code=f"ST{n:02d}", name=f"终端{n}") for n in range(20)]
    sessions = [kiosk_session(kiosk.id, key) for kiosk, key in kiosks]
    envelopes = [registration(newcomer(n), cls.id) for n in range(20)]
    start = threading.Barrier(20)

    def send(n):
        start.wait()
        return push(sessions[n], central_server.url, [envelopes[n]])[0]

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    assert {answer["status"] for answer in answers} == {"applied"}
    db.session.rollback()
    rows = list(db.session.scalars(sql_select(Registration).where(Registration.class_id == cls.id)
                                   .order_by(Registration.number)))
    assert [row.number for row in rows] == list(range(1, 21))
    # Arrival at the class lock is the order of the numbers: the first five have the seats, the
    # other fifteen wait in the same order.
    assert [row.status for row in rows] == ["confirmed"] * 5 + ["waitlisted"] * 15
    assert [row.queue_number for row in rows[5:]] == sorted(row.queue_number for row in rows[5:])
    by_receipt = {answer["receipt"]: answer["message"] for answer in answers}
    for place, row in enumerate(rows[5:], start=1):
        assert f"候补名单，第{place}位" in by_receipt[f"TB{cls.id}-{row.number}"]
    for row in rows[:5]:
        assert "已获得名额" in by_receipt[f"TB{cls.id}-{row.number}"]


def test_one_batch_of_real_kinds_from_8_threads_is_applied_once(federation, open_class, central_server):
    today = clock.today()
    insured = covered_member(create_union(parent=federation), starts_on=today - timedelta(days=90))
    enterprise = create_enterprise(union=create_union(parent=federation))
    position = create_position(enterprise, starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=50),
                               apply_by=today + timedelta(days=10))
    cls = open_class(3)
    parent = create_member(name="李建华")
    student = create_student(parent)  # registered on the web: a kiosk applies only for the parent's own
    kiosk, key = register()
    batch = [
        {"id": str(uuid.uuid4()), "kind": "claim.submit", "payload": {
            "member": member_block(insured), "type": "hospital", "payee_name": insured.name, "bank_card": CARD,
            "event": {"admission_date": (today - timedelta(days=20)).isoformat(),
                      "discharge_date": (today - timedelta(days=10)).isoformat(),
                      "hospital": "无锡市人民医院", "diagnosis": "社区获得性肺炎"}}},
        registration(member_block(parent), cls.id),
        {"id": str(uuid.uuid4()), "kind": "job.apply", "payload": {
            "parent": member_block(parent), "position_id": position.id,
            "student": {"name": student.name, "id_number": student.id_number}}},
        registration(member_block(parent), 2_000_000_000),  # no such class: rejected, with a reason
    ]
    sessions = [kiosk_session(kiosk.id, key) for _ in range(8)]
    start = threading.Barrier(8)

    def send(n):
        start.wait()
        return push(sessions[n], central_server.url, batch)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    for index in range(3):
        statuses = sorted(answer[index]["status"] for answer in answers)
        assert statuses == ["applied"] + ["duplicate"] * 7, (index, statuses)
        assert len({answer[index]["receipt"] for answer in answers}) == 1
    assert {answer[3]["status"] for answer in answers} == {"rejected"}
    assert {answer[3]["code"] for answer in answers} == {"not_found"}
    assert count(Claim) == 1 and count(Registration) == 1 and count(Application) == 1


# --- the server killed during pushes ----------------------------------------------------------

def raw_post(base_host: str, port: int, prepared: requests.PreparedRequest) -> socket.socket:
    """Send a signed request by hand and return the socket without reading the answer."""
    path = prepared.path_url
    headers = "".join(f"{name}: {value}\r\n" for name, value in prepared.headers.items())
    body = prepared.body if isinstance(prepared.body, bytes) else prepared.body.encode()
    connection = socket.create_connection((base_host, port), timeout=30)
    connection.sendall(f"POST {path} HTTP/1.1\r\nHost: {base_host}:{port}\r\nConnection: close\r\n{headers}\r\n"
                       .encode() + body)
    return connection


def up(servers: list[CentralServer], ready: dict):
    """A server that has (re)started, waiting for one if none has yet."""
    while True:
        for server in servers:
            if ready[id(server)].done():
                ready[id(server)].result()  # a start that failed fails the test here
                return server
        time.sleep(0.05)


def test_a_server_killed_at_random_points_of_50_pushes_loses_and_repeats_nothing(app, federation, open_class):
    """Each round a batch is sent by hand and the server is SIGKILLed at a random moment of it:
    every fifth round just as its answer comes back (after the commit), every tenth the whole
    server (arbiter and workers, then started again), else the worker serving it. The kiosk then
    syncs the batch again with a server that is up, until it has answers."""
    rounds, per_batch = 50, 4
    cls = open_class(10_000)
    kiosk, key = register()
    auth = signature_auth(kiosk.id, key)
    random_points = random.Random(20261202)
    servers = [CentralServer(app, workers=1, preload=True) for _ in range(2)]
    restarting = ThreadPoolExecutor(2)
    ready = {id(server): restarting.submit(server.start) for server in servers}
    answers: dict[str, list[dict]] = {}
    sent: list[dict] = []
    killed_after_commit = 0
    timings = []
    started = time.monotonic()
    try:
        for number in range(rounds):
            batch = [registration(newcomer(number * per_batch + n), cls.id) for n in range(per_batch)]
            batch.append(registration(newcomer(9_000 + number), 2_000_000_000))  # rejected: no such class
            sent += batch
            round_started = time.monotonic()
            server = up(servers, ready)
            prepared = requests.Request("POST", server.url + API + "/envelopes", json={"envelopes": batch}).prepare()
            auth(prepared)
            connection = raw_post("127.0.0.1", server.port, prepared)
            if number % 5 == 4:
                # After the commit, before the answer: the answer is on its way when we kill.
                readable, _, _ = select.select([connection], [], [], 60)
                assert readable
                killed_after_commit += 1
            else:
                time.sleep(random_points.uniform(0, 0.3))
            if number % 10 == 9:
                server.kill()
                ready[id(server)] = restarting.submit(server.start)
            else:
                server.kill_workers()
            connection.close()
            # The kiosk syncs again with whichever server is up, until it has its answers.
            while True:
                session = requests.Session()
                session.auth = signature_auth(kiosk.id, key)
                try:
                    results = push(session, up(servers, ready).url, batch)
                    break
                except (requests.RequestException, AssertionError):
                    time.sleep(0.05)
            timings.append((number, time.monotonic() - round_started))
            for result in results:
                answers.setdefault(result["id"], []).append(result)
    finally:
        restarting.shutdown(wait=True)
        for server in servers:
            server.stop()
    elapsed = time.monotonic() - started
    assert killed_after_commit == rounds // 5
    ids = [envelope["id"] for envelope in sent]
    assert set(answers) == set(ids)
    stored = {row.envelope_id: row for row in db.session.scalars(
        sql_select(SyncEnvelope).where(SyncEnvelope.kiosk_id == kiosk.id))}
    for envelope in sent:
        [result] = answers[envelope["id"]]
        row = stored[envelope["id"]]  # one stored outcome per envelope, whatever the kills did
        if envelope["payload"]["class_id"] == cls.id:
            assert result["status"] in ("applied", "duplicate") and result["receipt"] == row.receipt
        else:
            assert result["status"] == "rejected" and result["code"] == "not_found" and result["message"]
    assert len(stored) == len(sent)
    # One effect per envelope: as many registrations as envelopes for the class, each its own.
    assert count(Registration, Registration.class_id == cls.id) == rounds * per_batch
    receipts = [row.receipt for row in stored.values() if row.receipt]
    assert len(set(receipts)) == len(receipts) == rounds * per_batch
    print(f"{rounds} kill rounds in {elapsed:.1f}s", sorted(timings, key=lambda t: -t[1])[:8])
