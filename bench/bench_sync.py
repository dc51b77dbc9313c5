"""Benchmark: kiosks pushing envelopes to the central portal under gunicorn (2 workers).

The workers are gunicorn's sync workers, the class ``deploy/gunicorn.conf.py`` runs. Threaded
workers (2 × 4) were measured slower on both databases: a push shares its process's Python lock
with three others, so the push holding what the others wait for (a childcare class's row on
PostgreSQL, the write lock on SQLite) runs slower.

Two runs per database: N envelopes (default 10,000) from one kiosk (batches one after the other),
and N from 100 simulated kiosks at once (each pushing its own batches from client threads).
Requests are signed as kiosks sign them (requests-http-signature, Ed25519, nonce). A batch that
fails (network, 429/503) is sent again, as a kiosk would.

The envelopes are what kiosks send: in turn a cover application (``enrollment.apply``), a claim
without attachments (``claim.submit``, hospital stay, by a member covered since 90 days), a
childcare registration (``childcare.register``, a class with seats for all) and a work-study
application (``job.apply``, for a student the parent registered on the web beforehand: a kiosk
registers no student, issue 12). Every envelope names its own
member, created beforehand with bulk inserts as the city data is (verified, in a union; the
claimants with a year's cover), so they are applied by the real appliers; one envelope of each
kind in 50 carries a mobile that is not the member's, as a mistyped one would, and is rejected
(``member_mismatch``), so the refusal path is in the mix.

Per run: applied, rejected by reason (code and message), other answers, and two hard checks,
after which the script exits non-zero when either is not 0:
``lost``: sent but without a stored outcome (no guard row), or applied without its record (claim,
cover application, registration or job application counted in the database);
``duplicated``: answered ``applied`` twice, or more records made than envelopes applied.

    .venv/bin/python bench/bench_sync.py                          # both databases
    .venv/bin/python bench/bench_sync.py --database sqlite --envelopes 2000
    .venv/bin/python bench/bench_sync.py --database postgresql --envelopes 2000 --profile 40

``--profile N`` (instead of the runs): N batches of 100 applied in-process through the push
service (no HTTP, no signature) under cProfile; prints the top functions by cumulative time.
PostgreSQL: ``--postgres-url`` (default the local server); the database ``--database-name``
(default ``bench_sync``) is dropped and created. The PostgreSQL runs use Redis as production does
(the task queue, rate limits and nonces; database 14 of the local server, emptied before and after)
when it answers; the report's ``redis`` says whether it did. Nothing listens beyond loopback.
"""

from __future__ import annotations

import argparse
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


KINDS = ("enrollment.apply", "claim.submit", "childcare.register", "job.apply")
MISTYPED_EVERY = 50  # one envelope of each kind in 50 carries a mobile that is not the member's
CARD = "6222021234567890128"


def prepare_database(url: str, instance: Path, kiosks: int, people: int) -> tuple[list, str, dict]:
    """Migrate, add the federation, a union, a plan, a childcare class and positions open to all,
    ``people`` members (with cover for the claimants), and register ``kiosks`` kiosks:
    (kiosk id, private PEM) each, the data key, and the world the envelopes are made from."""
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
        union = add_union("BENCHG", "压测基层工会", UnionKind.GRASSROOTS, federation)
        db.session.commit()
        world = {"class_id": open_class(federation), "position_ids": open_positions(union),
                 "people": add_people(union, people)}
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
    return registered, app.config["DATA_KEY"], world


def person(index: int) -> dict:
    """The ``index``-th member's block: distinct ID number and mobile (valid ones)."""
    from datetime import date

    from portal.domain.identity import compose_id_number

    return {"id_number": compose_id_number("320213", date(1970, 1, 1) + timedelta(days=index // 400),
                                           index % 400 * 2 + 1),
            "name": f"会员{index}", "mobile": f"138{index:08d}"}


def student_id_number(index: int) -> str:
    """The ID number of the ``index``-th member's student (the job applications' members)."""
    from datetime import date

    from portal.domain.identity import compose_id_number

    return compose_id_number("320206", date(2004, 1, 1) + timedelta(days=index // 400), index % 400 * 2 + 1)


def add_people(union, count: int) -> list[dict]:
    """``count`` verified members of ``union`` in bulk (the city data's way: Core inserts, the
    models' encryption and lookup hashes); every fourth one, the claimant of the kinds' cycle,
    with a renewed cover that started 90 days ago. Returns their blocks, in envelope order."""
    from portal import clock
    from portal.demo.city import bulk_insert
    from portal.domain.identity import parse_id_number
    from portal.domain.plans import BenefitSchedule, cover_period
    from portal.extensions import db
    from portal.models import Enrollment, Member, Plan, Student
    from portal.pii import lookup_hash

    plan = Plan.from_schedule("SANHEYI", "职工住院+重疾+意外三合一互助保障", BenefitSchedule())
    db.session.add(plan)
    db.session.flush()
    today = clock.today()
    blocks = [person(index) for index in range(count)]

    def rows():
        for block in blocks:
            identity = parse_id_number(block["id_number"], today=today)
            yield {"name": block["name"], "id_number": identity.value, "id_number_hash": lookup_hash(identity.value),
                   "gender": identity.gender, "birth_date": identity.birth_date,
                   "region_note": identity.region_note, "mobile": block["mobile"],
                   "mobile_hash": lookup_hash(block["mobile"]), "union_id": union.id, "occupation": "快递员",
                   "is_gig_worker": True, "has_social_insurance": True, "sms_consent": True, "is_verified": True,
                   "session_generation": 0}

    bulk_insert(Member, rows())
    ids = {digest: member_id for digest, member_id in db.session.execute(db.select(Member.id_number_hash, Member.id))}
    starts_on, ends_on = cover_period(today - timedelta(days=91))

    def covers():
        for index, block in enumerate(blocks):
            if KINDS[index % len(KINDS)] == "claim.submit":
                yield {"member_id": ids[lookup_hash(block["id_number"])], "plan_id": plan.id, "union_id": union.id,
                       "plan_year": starts_on.year, "status": "active", "channel": "roster", "payer": "union",
                       "is_renewal": True, "contribution_fen": plan.contribution_fen, "starts_on": starts_on,
                       "ends_on": ends_on, "confirmed_at": clock.now() - timedelta(days=92)}

    bulk_insert(Enrollment, covers())

    def students():  # registered on the web beforehand: a kiosk applies only for the parent's own
        for index, block in enumerate(blocks):
            if KINDS[index % len(KINDS)] == "job.apply":
                identity = parse_id_number(student_id_number(index), today=today)
                mobile = f"137{index:08d}"
                yield {"parent_member_id": ids[lookup_hash(block["id_number"])], "name": f"学生{index}",
                       "id_number": identity.value, "id_number_hash": lookup_hash(identity.value),
                       "birth_date": identity.birth_date, "gender": identity.gender, "mobile": mobile,
                       "mobile_hash": lookup_hash(mobile), "school": "江南大学", "major": "会计学",
                       "year_of_study": "大二", "registered_via": "member"}

    bulk_insert(Student, students())
    db.session.commit()
    return blocks


def open_positions(union, count: int = 20) -> list[int]:
    """``count`` open work-study positions of one approved enterprise, with places for all."""
    from portal import clock
    from portal.domain.jobs import compose_uscc
    from portal.extensions import db
    from portal.models import Enterprise, Position

    today = clock.today()
    enterprise = Enterprise(name="压测爱心企业", uscc=compose_uscc("320206", 1), district="惠山区",
                            address="长安街道测试路1号", union=union, contact_name="企业联系人", status="approved")
    enterprise.set_contact_mobile("13900000001")
    db.session.add(enterprise)
    db.session.flush()
    positions = [Position(enterprise_id=enterprise.id, union_id=union.id, places=1_000_000, filled=0, pay_fen=15_000,
                          pay_unit="day", starts_on=today + timedelta(days=20), ends_on=today + timedelta(days=50),
                          apply_by=today + timedelta(days=10), title=f"行政助理{number}", description="协助整理档案。",
                          district="惠山区", address="长安街道测试路1号", majors="行政管理、文秘",
                          hours="周一至周五 9:00—17:00", min_age=16, safety_notes="不安排高处和夜间作业。",
                          agreement_confirmed=True, status="open")
                 for number in range(count)]
    db.session.add_all(positions)
    db.session.commit()
    return [position.id for position in positions]


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


BENCH_REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own, emptied before and after a run


def bench_redis() -> str | None:
    """The production shape's Redis (task queue, rate limits, nonces), when it answers on loopback."""
    import redis

    try:
        redis.Redis.from_url(BENCH_REDIS_URL, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        return None
    return BENCH_REDIS_URL


def start_gunicorn(url: str, instance: Path, data_key: str, port: int, redis_url: str | None = None
                   ) -> subprocess.Popen:
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_INSTANCE_PATH": str(instance),
           "PORTAL_SECRET_KEY": "bench-secret", "PORTAL_DATA_KEY": data_key, "PORTAL_SMS_ECHO": "0",
           "PORTAL_SYNC_PUSH_RATE_LIMIT": "100000/minute"}
    if redis_url:
        env["PORTAL_REDIS_URL"] = redis_url
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "--workers", "2", "--worker-class", "sync",
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


def make_envelope(index: int, seq: int, world: dict) -> dict:
    """The ``index``-th member's submission, of the kind the cycle gives it (see ``KINDS``)."""
    from datetime import date

    from portal import clock
    from portal.domain.identity import compose_id_number

    block = dict(world["people"][index])
    if index // len(KINDS) % MISTYPED_EVERY == MISTYPED_EVERY - 1:
        block["mobile"] = f"139{index:08d}"  # not the registered mobile: member_mismatch
    kind = KINDS[index % len(KINDS)]
    today = clock.today()
    if kind == "enrollment.apply":
        payload = {"member": block, "union_code": None, "occupation": "快递员", "is_gig_worker": True}
    elif kind == "claim.submit":
        payload = {"member": block, "type": "hospital", "payee_name": block["name"], "bank_card": CARD,
                   "event": {"admission_date": (today - timedelta(days=20)).isoformat(),
                             "discharge_date": (today - timedelta(days=10)).isoformat(),
                             "hospital": "无锡市人民医院", "diagnosis": "社区获得性肺炎"}}
    elif kind == "childcare.register":
        child = compose_id_number("320214", date(2016, 1, 1) + timedelta(days=index // 400), index % 400 * 2 + 1)
        payload = {"parent": block, "class_id": world["class_id"],
                   "child": {"name": f"孩子{index}", "id_number": child, "health_notes": "",
                             "pickup_adults": [{"name": "王芳", "mobile": "13912345678"}]}}
    else:
        payload = {"parent": block, "position_id": world["position_ids"][index % len(world["position_ids"])],
                   "student": {"name": f"学生{index}", "id_number": student_id_number(index)},
                   "motivation": "想在暑假积累工作经验。"}
    return {"id": str(uuid.uuid4()), "seq": seq, "kind": kind, "created_at": "2026-07-15T09:30:00+08:00",
            "payload": payload}


class Kiosk:
    def __init__(self, base: str, kiosk_id: str, key_pem: bytes):
        from requests_http_signature import HTTPSignatureAuth, algorithms

        self.base = base
        self.session = requests.Session()
        self.session.auth = HTTPSignatureAuth(signature_algorithm=algorithms.ED25519, key=key_pem,
                                              key_id=kiosk_id, use_nonce=True)

    def push(self, batch: list[dict], latencies: list[float], answers: dict, lock: threading.Lock) -> None:
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
                        answers.setdefault(result["id"], []).append(result)
                return
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def run(base: str, kiosks: list[tuple[str, bytes]], first: int, total: int, batch_size: int, workers: int,
        world: dict) -> tuple[dict, list[str], dict[str, list[str]]]:
    """Push ``total`` envelopes (members ``first`` onwards), shared out among ``kiosks``."""
    per_kiosk = total // len(kiosks)
    jobs = []
    for number, (kiosk_id, key) in enumerate(kiosks):
        client = Kiosk(base, kiosk_id, key)
        items = [make_envelope(first + number * per_kiosk + seq, seq + 1, world) for seq in range(per_kiosk)]
        jobs.append((client, [items[i:i + batch_size] for i in range(0, len(items), batch_size)]))
    latencies: list[float] = []
    answers: dict[str, list[dict]] = {}
    lock = threading.Lock()

    def drive(job):
        client, batches = job
        for batch in batches:
            client.push(batch, latencies, answers, lock)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(drive, jobs))
    elapsed = time.perf_counter() - started
    sent = [item for _, batches in jobs for batch in batches for item in batch]
    latencies.sort()
    outcome = {
        "kiosks": len(kiosks), "envelopes": len(sent), "batch_size": batch_size, "client_threads": workers,
        "seconds": round(elapsed, 2), "envelopes_per_second": round(len(sent) / elapsed, 1),
        "batch_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "batch_p95_ms": round(latencies[max(int(len(latencies) * 0.95) - 1, 0)] * 1000, 1),
    }
    kinds: dict[str, dict[str, int]] = {}
    statuses: dict[str, int] = {}
    reasons: dict[str, dict] = {}
    for item in sent:
        replies = answers.get(item["id"])
        first_answer = replies[0] if replies else {"status": "unanswered"}
        status = first_answer["status"]
        statuses[status] = statuses.get(status, 0) + 1
        kinds.setdefault(item["kind"], {})
        kinds[item["kind"]][status] = kinds[item["kind"]].get(status, 0) + 1
        if status == "rejected":
            reason = reasons.setdefault(first_answer.get("code") or "",
                                        {"count": 0, "message": first_answer.get("message")})
            reason["count"] += 1
    outcome.update(applied=statuses.pop("applied", 0), rejected=statuses.pop("rejected", 0), other_answers=statuses,
                   rejected_reasons=reasons, by_kind=kinds,
                   answered_applied_twice=sum(1 for replies in answers.values()
                                              if [r["status"] for r in replies].count("applied") > 1))
    return outcome, [item["id"] for item in sent], {item["id"]: item["kind"] for item in sent}


def count_stored(url: str, instance: Path, sent: list[str]) -> int:
    """How many of ``sent`` have a stored outcome (a guard row)."""
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


def count_records(url: str) -> dict[str, int]:
    """The records the appliers make, by kind: claims, cover applications, registrations, job applications."""
    from sqlalchemy import func, select

    from portal import create_app
    from portal.extensions import db
    from portal.models import Application, Enrollment, Registration
    from portal.models.claims import Claim

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret"})
    with app.app_context():
        counts = {"enrollment.apply": db.session.scalar(select(func.count(Enrollment.id)).where(
                      Enrollment.status == "pending")),
                  "claim.submit": db.session.scalar(select(func.count(Claim.id))),
                  "childcare.register": db.session.scalar(select(func.count(Registration.id))),
                  "job.apply": db.session.scalar(select(func.count(Application.id)))}
        db.engine.dispose()
    return counts


def bench_database(name: str, url: str, args) -> dict:
    instance = Path(tempfile.mkdtemp(prefix=f"bench-sync-{name}-"))
    try:
        kiosks, data_key, world = prepare_database(url, instance, 100, 2 * args.envelopes)
        port = free_port()
        # PostgreSQL runs in the production shape, with Redis; SQLite as `make run` serves it.
        redis_url = bench_redis() if name == "postgresql" else None
        process = start_gunicorn(url, instance, data_key, port, redis_url)
        base = f"http://127.0.0.1:{port}"
        try:
            results = {"kinds": list(KINDS), "redis": redis_url is not None}
            first = 0
            for label, group, batch, threads in (("one_kiosk", kiosks[:1], 100, 1),
                                                 ("hundred_kiosks", kiosks, 25, 16)):
                before = count_records(url)
                outcome, sent, kind_of = run(base, group, first, args.envelopes, batch, threads, world)
                first += args.envelopes
                made = {kind: count - before[kind] for kind, count in count_records(url).items()}
                applied = {kind: by_status.get("applied", 0) for kind, by_status in outcome["by_kind"].items()}
                missing = sum(max(applied.get(kind, 0) - made[kind], 0) for kind in KINDS)
                extra = sum(max(made[kind] - applied.get(kind, 0), 0) for kind in KINDS)
                outcome["records_made"] = made
                outcome["lost"] = len(sent) - count_stored(url, instance, sent) + missing
                outcome["duplicated"] = outcome.pop("answered_applied_twice") + extra
                results[label] = outcome
            return results
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
            if redis_url:
                bench_redis()  # the texts queued for a consumer that never ran
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def profile_push(name: str, url: str, batches: int) -> None:
    """Apply ``batches`` batches of 100 through ``envelopes.push`` in-process under cProfile."""
    import cProfile
    import pstats

    from portal import clock, create_app
    from portal.extensions import db
    from portal.models import Kiosk as KioskRow
    from portal.services.sync import envelopes

    instance = Path(tempfile.mkdtemp(prefix=f"bench-sync-{name}-"))
    try:
        kiosks, data_key, world = prepare_database(url, instance, 1, batches * 100)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret", "DATA_KEY": data_key,
                          "SMS_ECHO": False})
        items = [make_envelope(index, index + 1, world) for index in range(batches * 100)]
        with app.app_context():
            kiosk = db.session.get(KioskRow, kiosks[0][0])
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            statuses: dict[str, int] = {}
            for start in range(0, len(items), 100):
                for result in envelopes.push(kiosk, {"envelopes": items[start:start + 100]}, now=clock.now()):
                    statuses[result["status"]] = statuses.get(result["status"], 0) + 1
                kiosk = db.session.get(KioskRow, kiosks[0][0])
            profiler.disable()
            elapsed = time.perf_counter() - started
            db.engine.dispose()
        print(f"{name}: {len(items)} envelopes in {elapsed:.2f} s under cProfile "
              f"({len(items) / elapsed:.1f}/s), answers {statuses}", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        # The portal's own functions only: where in the appliers and services the time goes.
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(r"/portal/", 60)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--envelopes", type=int, default=10_000)
    parser.add_argument("--profile", type=int, metavar="BATCHES", help="profile the push service in-process instead")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database-name", default="bench_sync", help="PostgreSQL database to drop and create")
    args = parser.parse_args()

    def measure(name: str, url: str):
        if args.profile:
            return profile_push(name, url, args.profile)
        return bench_database(name, url, args)

    report = {}
    if args.database in ("sqlite", "both"):
        folder = Path(tempfile.mkdtemp(prefix="bench-sync-db-"))
        try:
            report["sqlite"] = measure("sqlite", f"sqlite:///{folder / 'bench.db'}")
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
        report["postgresql"] = measure(
            "postgresql", admin.set(database=args.database_name).render_as_string(hide_password=False))
    if args.profile:
        return
    print(json.dumps(report, ensure_ascii=False, indent=2))
    failures = [f"{database} {label}: {run['lost']} lost, {run['duplicated']} duplicated"
                for database, runs in report.items() for label, run in runs.items()
                if isinstance(run, dict) and (run["lost"] or run["duplicated"])]
    if failures:
        sys.exit("exactly-once broken: " + "; ".join(failures))


if __name__ == "__main__":
    main()
