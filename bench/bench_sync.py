"""Benchmark: kiosks pushing envelopes to the central portal under gunicorn (2 workers).

Two runs per database: 10,000 envelopes from one kiosk (batches one after the other), and
10,000 from 100 simulated kiosks at once (each pushing its own batches from client threads).
Requests are signed as kiosks sign them (requests-http-signature, Ed25519, nonce). A batch that
fails (network, 429/503) is sent again, as a kiosk would; afterwards the database is counted:
``lost`` envelopes have no stored outcome, ``duplicated`` were answered ``applied`` more than once.
Prints JSON: envelopes per second, p50/p95 batch latency, lost and duplicated, per run.

    .venv/bin/python bench/bench_sync.py                          # both databases
    .venv/bin/python bench/bench_sync.py --database sqlite --envelopes 2000

``--kind enrollment`` (the default, comparable with earlier figures) sends ``enrollment.apply``
envelopes that all name one ID number under different names: whatever applier that kind has on
this checkout answers them (``rejected`` is an outcome like any other for these counts), so it
measures the push machinery: signature, schema, guard, commit. ``--kind childcare`` sends
``childcare.register`` envelopes of parents new to the portal for one class with seats for all:
each creates a member, a child and a registration through the childcare service, the real work
of a kiosk's backlog. PostgreSQL: ``--postgres-url`` (default the local server); the database
``--database-name`` (default ``bench_sync``) is dropped and created. Nothing listens beyond loopback.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API = "/api/sync/v1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database(url: str, instance: Path, kiosks: int) -> tuple[list[tuple[str, bytes]], str, int]:
    """Migrate, add the federation and a class open to all, and register ``kiosks`` kiosks:
    (kiosk id, private PEM) each, the data key and the class id."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.models import UnionKind, add_union
    from portal.services.sync.kiosks import register_kiosk

    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret", "SMS_ECHO": False})
    registered = []
    with app.app_context():
        upgrade()
        federation = add_union("FED", "市总工会", UnionKind.FEDERATION)
        db.session.commit()
        class_id = open_class(federation)
        for number in range(kiosks):
            key = ed25519.Ed25519PrivateKey.generate()
            public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
            kiosk = register_kiosk(None, station_code=f"BENCH{number // 10:03d}", name=f"终端{number}",
                                   public_key=public)
            registered.append((kiosk.id, key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption())))
        db.engine.dispose()
    return registered, app.config["DATA_KEY"], class_id


def open_class(federation) -> int:
    """A published class past its draw with a seat for every envelope (first come, no waitlist)."""
    from datetime import time as clock_time
    from datetime import timedelta

    from portal import clock
    from portal.extensions import db
    from portal.models import ChildcareClass

    today = clock.today()
    cls = ChildcareClass(
        union=federation, name="压测暑托班", site_name="职工服务中心", address="测试路1号", district="测试区",
        starts_on=today + timedelta(days=10), ends_on=today + timedelta(days=40), weekdays="12345",
        daily_start=clock_time(8), daily_end=clock_time(17, 30), seats=1_000_000, seats_taken=0, last_number=0,
        min_age=3, max_age=14, fee_fen=0, meals="午餐", programme="阅读", staff_and_volunteers="社工2名",
        safety_rules="须由授权成人接送。", registration_opens_on=today - timedelta(days=20),
        registration_closes_on=today - timedelta(days=1), status="published", allocated_at=clock.now())
    db.session.add(cls)
    db.session.commit()
    return cls.id


def start_gunicorn(url: str, instance: Path, data_key: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_INSTANCE_PATH": str(instance),
           "PORTAL_SECRET_KEY": "bench-secret", "PORTAL_DATA_KEY": data_key, "PORTAL_SMS_ECHO": "0",
           "PORTAL_SYNC_PUSH_RATE_LIMIT": "100000/minute"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "--workers", "2", "--threads", "4", "--worker-class", "gthread",
                                "--bind", f"127.0.0.1:{port}", "--timeout", "120", "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}{API}/openapi.json", timeout=5).ok:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("gunicorn did not start")


_numbers = itertools.count(1)


def childcare_envelope(number: int, class_id: int) -> dict:
    """A registration by a parent new to the portal, for a child of 8: distinct people every time."""
    from datetime import date

    from portal.domain.identity import compose_id_number

    unique = next(_numbers)
    parent = {"id_number": compose_id_number("320211", date(1980, 1, 1) + timedelta(days=unique // 400),
                                             unique % 400 * 2 + 1),
              "name": f"家长{unique}", "mobile": f"13{unique:09d}"}
    child = {"name": f"孩子{unique}", "id_number": compose_id_number("320214", date(2018, 1, 1) + timedelta(
        days=unique // 400), unique % 400 * 2 + 1), "health_notes": "",
             "pickup_adults": [{"name": "王芳", "mobile": "13912345678"}]}
    return {"id": str(uuid.uuid4()), "seq": number, "kind": "childcare.register",
            "created_at": "2026-07-15T09:30:00+08:00",
            "payload": {"parent": parent, "class_id": class_id, "child": child}}


def envelope(number: int) -> dict:
    return {"id": str(uuid.uuid4()), "seq": number, "kind": "enrollment.apply",
            "created_at": "2026-07-15T09:30:00+08:00",
            "payload": {"member": {"id_number": "320213199001010012", "name": f"测试{number}", "mobile": "13861800001"},
                        "union_code": None, "occupation": "快递员", "is_gig_worker": True}}


class Kiosk:
    def __init__(self, base: str, kiosk_id: str, key_pem: bytes):
        from requests_http_signature import HTTPSignatureAuth, algorithms

        self.base = base
        self.session = requests.Session()
        self.session.auth = HTTPSignatureAuth(signature_algorithm=algorithms.ED25519, key=key_pem,
                                              key_id=kiosk_id, use_nonce=True)

    def push(self, batch: list[dict], latencies: list[float], statuses: dict, lock: threading.Lock) -> None:
        """Push until the batch is answered, as a kiosk does (back-off on failure)."""
        delay = 0.05
        while True:
            started = time.perf_counter()
            try:
                response = self.session.post(self.base + API + "/envelopes", json={"envelopes": batch}, timeout=120)
            except requests.RequestException:
                response = None
            if response is not None and response.status_code == 200:
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    for result in response.json()["results"]:
                        statuses.setdefault(result["id"], []).append(result["status"])
                return
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def run(base: str, kiosks: list[tuple[str, bytes]], total: int, batch_size: int, workers: int,
        make=envelope) -> dict:
    per_kiosk = total // len(kiosks)
    jobs = []
    for kiosk_id, key in kiosks:
        client = Kiosk(base, kiosk_id, key)
        items = [make(n) for n in range(per_kiosk)]
        jobs.append((client, [items[i:i + batch_size] for i in range(0, len(items), batch_size)]))
    latencies: list[float] = []
    statuses: dict[str, list[str]] = {}
    lock = threading.Lock()

    def drive(job):
        client, batches = job
        for batch in batches:
            client.push(batch, latencies, statuses, lock)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(drive, jobs))
    elapsed = time.perf_counter() - started
    sent = [item["id"] for _, batches in jobs for batch in batches for item in batch]
    latencies.sort()
    outcome = {
        "kiosks": len(kiosks), "envelopes": len(sent), "batch_size": batch_size, "client_threads": workers,
        "seconds": round(elapsed, 2), "envelopes_per_second": round(len(sent) / elapsed, 1),
        "batch_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "batch_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "statuses": {},
        "answered_applied_twice": sum(1 for answers in statuses.values() if answers.count("applied") > 1),
        "unanswered": sum(1 for envelope_id in sent if envelope_id not in statuses),
    }
    for answers in statuses.values():
        outcome["statuses"][answers[0]] = outcome["statuses"].get(answers[0], 0) + 1
    return outcome, sent


def count_stored(url: str, instance: Path, sent: list[str]) -> int:
    from sqlalchemy import func, select

    from portal import create_app
    from portal.extensions import db
    from portal.models import SyncEnvelope

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret"})
    with app.app_context():
        stored = 0
        for start in range(0, len(sent), 500):
            chunk = sent[start:start + 500]
            stored += db.session.scalar(select(func.count()).select_from(SyncEnvelope)
                                        .where(SyncEnvelope.envelope_id.in_(chunk)))
        db.engine.dispose()
    return stored


def bench_database(name: str, url: str, args) -> dict:
    instance = Path(tempfile.mkdtemp(prefix=f"bench-sync-{name}-"))
    try:
        kiosks, data_key, class_id = prepare_database(url, instance, 100)
        make = envelope if args.kind == "enrollment" else functools.partial(childcare_envelope, class_id=class_id)
        port = free_port()
        process = start_gunicorn(url, instance, data_key, port)
        base = f"http://127.0.0.1:{port}"
        try:
            results = {"kind": args.kind}
            for label, group, batch, threads in (("one_kiosk", kiosks[:1], 100, 1),
                                                 ("hundred_kiosks", kiosks, 25, 16)):
                outcome, sent = run(base, group, args.envelopes, batch, threads, make)
                stored = count_stored(url, instance, sent)
                outcome["lost"] = len(sent) - stored
                outcome["duplicated"] = outcome.pop("answered_applied_twice")
                results[label] = outcome
            return results
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--envelopes", type=int, default=10_000)
    parser.add_argument("--kind", choices=["enrollment", "childcare"], default="enrollment")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="bench_sync", help="PostgreSQL database to drop and create")
    args = parser.parse_args()
    report = {}
    if args.database in ("sqlite", "both"):
        folder = Path(tempfile.mkdtemp(prefix="bench-sync-db-"))
        try:
            report["sqlite"] = bench_database("sqlite", f"sqlite:///{folder / 'bench.db'}", args)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if args.database in ("postgresql", "both"):
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(args.postgres_url)
        plain = admin.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{args.database_name}"')
            connection.execute(f'CREATE DATABASE "{args.database_name}"')
        report["postgresql"] = bench_database(
            "postgresql", admin.set(database=args.database_name).render_as_string(hide_password=False), args)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
