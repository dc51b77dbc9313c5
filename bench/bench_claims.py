"""Benchmark: the member's claim lookup (/claims/) and the reviewer queue (/review/) under gunicorn.

Builds a database with 300,000 members and 60,000 claims (three timeline events each; 20% of
claims still open for review), on SQLite and on PostgreSQL, serves it with gunicorn on
127.0.0.1, signs in through the real forms (the member by texted code, read from the outbox),
and hammers each page from client threads. Prints JSON: requests per second, p50 and p95.

    .venv/bin/python bench/bench_claims.py                     # both databases, defaults below
    .venv/bin/python bench/bench_claims.py --database sqlite --members 30000 --claims 6000 --seconds 5

PostgreSQL: ``--postgres-url`` (default the local server); the database ``bench_claims`` is
dropped and created. Nothing listens beyond loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-42"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CODE_RE = re.compile(r"验证码为(\d{6})")
OPEN_STATUSES = ("submitted", "in_review", "awaiting_second")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_database(url: str, instance: Path, members: int, claims: int) -> dict:
    """Create the schema and fill it with bulk inserts (Core, batched), encrypting personal data."""
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    from sqlalchemy import insert

    from portal import create_app
    from portal.domain.identity import compose_id_number
    from portal.domain.plans import BenefitSchedule
    from portal.domain.roles import Role
    from portal.extensions import db
    from portal.models import Member, Plan, StaffUser, UnionKind, add_union
    from portal.models.claims import Claim, ClaimEvent
    from portal.pii import vault

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SMS_ECHO": False})
    rng = random.Random(4)
    with app.app_context():
        db.drop_all()
        db.create_all()
        federation = add_union("WX", "无锡市总工会", UnionKind.FEDERATION)
        unions = [add_union(f"U{n:03d}", f"基层工会{n}", UnionKind.GRASSROOTS, federation) for n in range(40)]
        plan = Plan.from_schedule("SANHEYI", "三合一互助保障", BenefitSchedule())
        db.session.add(plan)
        reviewer = StaffUser(username="bench_reviewer", display_name="审核员", role=Role.REVIEWER)
        reviewer.set_password(PASSWORD)
        db.session.add(reviewer)
        db.session.commit()
        union_ids = [union.id for union in unions]
        secrets = vault()
        now = datetime.now(UTC)
        rows, first_member = [], None
        for index in range(members):
            birth = date(1960, 1, 1) + timedelta(days=index // 800)
            id_number = compose_id_number("320213", birth, 100 + index % 800)
            mobile = f"139{index:08d}"
            rows.append({"name": f"会员{index}", "id_number": secrets.encrypt(id_number),
                         "id_number_hash": secrets.lookup_hash(id_number), "gender": "M", "birth_date": birth,
                         "mobile": secrets.encrypt(mobile), "mobile_hash": secrets.lookup_hash(mobile),
                         "union_id": union_ids[index % len(union_ids)], "occupation": "快递员",
                         "is_gig_worker": True, "has_social_insurance": True, "is_hardship_family": False,
                         "sms_consent": True, "is_verified": True, "created_at": now, "updated_at": now})
            if index == 0:
                first_member = (id_number, mobile)
            if len(rows) == 5000:
                db.session.execute(insert(Member), rows)
                rows = []
        if rows:
            db.session.execute(insert(Member), rows)
        db.session.commit()
        member_ids = list(range(1, members + 1))
        claim_rows, event_rows, stays = [], [], set()
        statuses = ["paid"] * 50 + ["approved"] * 10 + ["rejected"] * 10 + ["submitted"] * 15 + ["in_review"] * 5 \
            + ["awaiting_second"] * 2 + ["needs_documents"] * 8
        for number in range(1, claims + 1):
            member_id = 1 if number <= 3 else rng.choice(member_ids)  # the signed-in member has three
            admitted = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
            while (member_id, admitted) in stays:  # one claim per stay: the database pays a stay once
                admitted += timedelta(days=1)
            stays.add((member_id, admitted))
            days = rng.randint(1, 30)
            status = rng.choice(statuses)
            submitted = datetime.combine(admitted + timedelta(days=days + 3), datetime.min.time(), tzinfo=UTC)
            amount = days * 5_000 + 20_000
            flags = [] if rng.random() < 0.8 else [{"code": "missing_documents", "message": "还缺少：医疗费用发票。"}]
            claim_rows.append({
                "id": number, "member_id": member_id, "union_id": union_ids[(member_id - 1) % len(union_ids)],
                "plan_id": plan.id, "plan_year": 2026, "claim_type": "hospital", "status": status,
                "filed_by_type": "member", "filed_by_id": member_id, "admission_date": admitted,
                "discharge_date": admitted + timedelta(days=days), "hospital": "无锡市人民医院", "diagnosis": "肺炎",
                "event_date": admitted, "payee_name": "会员", "bank_name": "工商银行",
                "bank_card": secrets.encrypt("6222021234567890128"), "bank_card_last4": "0128", "flags": flags,
                "flag_codes": ",missing_documents," if flags else "", "is_flagged": bool(flags),
                "calculated_fen": amount, "allowance_days": days, "pays_critical_illness": False,
                "breakdown": {"total_fen": amount, "allowance_days": days, "lines": [
                    {"code": "hospital_allowance", "label": "住院津贴", "amount_fen": days * 5_000,
                     "rule": f"住院{days}天"},
                    {"code": "condolence", "label": "住院慰问金", "amount_fen": 20_000, "rule": "每次住院"}]},
                "approved_fen": amount if status in ("approved", "paid") else None, "sample_hold": False,
                "is_death": False, "submitted_at": submitted, "version_id": 1, "created_at": submitted,
                "updated_at": submitted})
            for kind, message in (("created", "开始填写"), ("submitted", "申请已提交"), ("checked", "自动检查通过。")):
                event_rows.append({"claim_id": number, "at": submitted, "kind": kind, "actor_label": "本人",
                                   "message": message, "visible_to_member": True})
            if len(claim_rows) == 5000:
                db.session.execute(insert(Claim), claim_rows)
                db.session.execute(insert(ClaimEvent), event_rows)
                claim_rows, event_rows = [], []
        if claim_rows:
            db.session.execute(insert(Claim), claim_rows)
            db.session.execute(insert(ClaimEvent), event_rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                # The steady state autovacuum reaches soon after a bulk load: statistics and a
                # visibility map, so index-only scans do not visit the heap.
                connection.exec_driver_sql("VACUUM ANALYZE")
                connection.exec_driver_sql("SELECT setval('claims_id_seq', (SELECT max(id) FROM claims))")
        else:
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        db.engine.dispose()
    return {"member": first_member}


def start_server(url: str, instance: Path, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, PORTAL_DATABASE_URL=url, PORTAL_INSTANCE_PATH=str(instance), PORTAL_SMS_ECHO="0",
               PORTAL_RATELIMIT_ENABLED="0")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
    for _ in range(120):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def _post_form(session: requests.Session, url: str, data: dict, form_url: str | None = None) -> requests.Response:
    token = CSRF_RE.search(session.get(form_url or url).text).group(1)
    return session.post(url, data={"csrf_token": token, **data}, allow_redirects=False)


def sign_in_member(base: str, url: str, instance: Path, member: tuple[str, str]) -> requests.Session:
    session = requests.Session()
    _post_form(session, f"{base}/auth/member/login", {"id_number": member[0], "mobile": member[1]})
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        body = connection.execute(text("SELECT body FROM sms_messages WHERE kind = 'login_code' "
                                       "ORDER BY id DESC LIMIT 1")).scalar_one()
    engine.dispose()
    answer = _post_form(session, f"{base}/auth/member/code", {"code": CODE_RE.search(body).group(1)})
    assert answer.status_code == 302, answer.status_code
    return session


def sign_in_reviewer(base: str) -> requests.Session:
    session = requests.Session()
    answer = _post_form(session, f"{base}/auth/staff/login", {"username": "bench_reviewer", "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    return session


def hammer(session: requests.Session, url: str, seconds: float, concurrency: int, expect: str) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker():
        own = requests.Session()
        own.cookies.update(session.cookies)
        local, failed = [], 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            answer = own.get(url)
            elapsed = time.perf_counter() - started
            if answer.status_code != 200 or expect not in answer.text:
                failed += 1
            local.append(elapsed)
        with lock:
            latencies.extend(local)
            errors[0] += failed

    for _ in range(3):  # warm up each worker process
        session.get(url)
    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(latencies), "errors": errors[0], "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1)}


def run(database: str, args) -> list[dict]:
    instance = Path(tempfile.mkdtemp(prefix=f"bench_claims_{database}_"))
    if database == "sqlite":
        url = f"sqlite:///{instance / 'bench.db'}"
    else:
        import psycopg

        admin = args.postgres_url.replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS bench_claims")
            connection.execute("CREATE DATABASE bench_claims")
        url = args.postgres_url.rsplit("/", 1)[0] + "/bench_claims"
    started = time.perf_counter()
    seeded = build_database(url, instance, args.members, args.claims)
    build_seconds = round(time.perf_counter() - started, 1)
    port = free_port()
    server = start_server(url, instance, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        member = sign_in_member(base, url, instance, seeded["member"])
        reviewer = sign_in_reviewer(base)
        results = []
        for page, session, path, expect in (
            ("member_claim_lookup", member, "/claims/", "LP0000001"),
            ("reviewer_queue", reviewer, "/review/", "review-queue"),
            ("reviewer_queue_filtered", reviewer, "/review/?flag=none&union=U007&age=7", "review-queue"),
        ):
            figures = hammer(session, base + path, args.seconds, args.concurrency, expect)
            results.append({"database": database, "page": page, "url": path, **figures})
        return [{"build_seconds": build_seconds, "database": database}] + results
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(instance, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--claims", type=int, default=60_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    databases = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    output = {"benchmark": "claims", "members": args.members, "claims": args.claims,
              "open_for_review": "about 22% of claims", "gunicorn_workers": args.workers,
              "client_threads": args.concurrency, "seconds_per_page": args.seconds, "cpus": os.cpu_count(),
              "results": []}
    for database in databases:
        output["results"].extend(run(database, args))
    print(json.dumps(output, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
