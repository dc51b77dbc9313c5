"""Benchmark: paying a backlog of approved claims — the batch, the bank file, "mark paid".

Builds a database with ``--claims`` approved claims (30,000 by default, one member each, bulk
inserted), then times the real services a reviewer's clicks run: ``create_batch`` (one batch of
every claim: the configured maximum is raised to the backlog so the figure covers all of it),
``export_batch`` (the bank's Excel file), ``mark_batch_paid`` (what the reviewer waits for: the
batch is paid, the settlement handed to the task queue) and ``settle_batch`` (the queued task:
every claim paid, its timeline step written and its member's text queued, a chunk per
transaction). Prints JSON with seconds per step and claims per second, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_payouts.py                          # both databases, 30,000 claims
    .venv/bin/python bench/bench_payouts.py --database sqlite --claims 3000

PostgreSQL: ``--postgres-url`` (default the local server); the database ``bench_payouts`` is
dropped and created. Nothing listens on the network; the task queue is stored in a temporary
directory and never consumed (texts are queued, not delivered).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CARD = "6222021234567890128"


def build_database(app, claims: int) -> tuple[int, int]:
    """Members with a cover each and one approved 12-day hospital claim each; (reviewer, payer) ids."""
    from sqlalchemy import insert

    from portal.domain.identity import compose_id_number
    from portal.domain.plans import BenefitSchedule
    from portal.domain.roles import Role
    from portal.extensions import db
    from portal.models import Member, Plan, StaffUser, UnionKind, add_union
    from portal.models.claims import Claim
    from portal.pii import vault

    with app.app_context():
        db.drop_all()
        db.create_all()
        federation = add_union("WX", "无锡市总工会", UnionKind.FEDERATION)
        union = add_union("U001", "基层工会1", UnionKind.GRASSROOTS, federation)
        plan = Plan.from_schedule("SANHEYI", "三合一互助保障", BenefitSchedule())
        db.session.add(plan)
        staff = []
        for username in ("bench_reviewer", "bench_payer"):
            user = StaffUser(username=username, display_name=username, role=Role.REVIEWER)
            user.set_password("bench-password-42")
            db.session.add(user)
            staff.append(user)
        db.session.commit()
        secrets, now = vault(), datetime.now(UTC)
        card = secrets.encrypt(CARD)
        members, rows = [], []
        for index in range(claims):
            birth = date(1960, 1, 1) + timedelta(days=index // 800)
            id_number = compose_id_number("320213", birth, 100 + index % 800)
            mobile = f"139{index:08d}"
            members.append({"id": index + 1, "name": f"会员{index}", "id_number": secrets.encrypt(id_number),
                            "id_number_hash": secrets.lookup_hash(id_number), "gender": "M", "birth_date": birth,
                            "mobile": secrets.encrypt(mobile), "mobile_hash": secrets.lookup_hash(mobile),
                            "union_id": union.id, "occupation": "快递员", "is_gig_worker": True,
                            "has_social_insurance": True, "is_hardship_family": False, "sms_consent": True,
                            "is_verified": True, "created_at": now, "updated_at": now})
            admitted = date(2026, 3, 1) + timedelta(days=index % 200)
            rows.append({
                "id": index + 1, "member_id": index + 1, "union_id": union.id, "plan_id": plan.id, "plan_year": 2026,
                "claim_type": "hospital", "status": "approved", "filed_by_type": "member", "filed_by_id": index + 1,
                "admission_date": admitted, "discharge_date": admitted + timedelta(days=12),
                "hospital": "无锡市人民医院", "diagnosis": "肺炎", "event_date": admitted, "payee_name": f"会员{index}",
                "bank_name": "工商银行", "bank_card": card, "bank_card_last4": "0128", "flags": [], "flag_codes": "",
                "is_flagged": False, "calculated_fen": 80_000, "approved_fen": 80_000, "allowance_days": 12,
                "medical_fen": 0, "pays_critical_illness": False, "sample_hold": False, "is_death": False,
                "breakdown": {"total_fen": 80_000, "allowance_days": 12, "lines": []},
                "submitted_at": now, "decided_at": now, "decided_by_id": staff[0].id, "version_id": 1,
                "created_at": now, "updated_at": now})
            if len(rows) == 5000:
                db.session.execute(insert(Member), members)
                db.session.execute(insert(Claim), rows)
                members, rows = [], []
        if rows:
            db.session.execute(insert(Member), members)
            db.session.execute(insert(Claim), rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
                connection.exec_driver_sql("SELECT setval('members_id_seq', (SELECT max(id) FROM members))")
                connection.exec_driver_sql("SELECT setval('claims_id_seq', (SELECT max(id) FROM claims))")
        return staff[0].id, staff[1].id


def timed(step):
    started = time.perf_counter()
    value = step()
    return value, round(time.perf_counter() - started, 2)


def run(database: str, args) -> dict:
    instance = Path(tempfile.mkdtemp(prefix=f"bench_payouts_{database}_"))
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    if database == "sqlite":
        url = f"sqlite:///{instance / 'bench.db'}"
    else:
        import psycopg

        admin = args.postgres_url.replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS bench_payouts")
            connection.execute("CREATE DATABASE bench_payouts")
        url = args.postgres_url.rsplit("/", 1)[0] + "/bench_payouts"
    from portal import create_app
    from portal.extensions import db
    from portal.models import StaffUser
    from portal.services.review import payouts

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SMS_ECHO": False, "HUEY_IMMEDIATE": False,
                      "PAYOUT_BATCH_MAX_CLAIMS": args.claims})
    try:
        (reviewer_id, payer_id), build_seconds = timed(lambda: build_database(app, args.claims))
        with app.app_context():
            reviewer = db.session.get(StaffUser, reviewer_id)
            batch, batch_seconds = timed(lambda: payouts.create_batch(reviewer))
            batch_id, total_fen = batch.id, batch.total_fen
            db.session.remove()
        with app.app_context():
            reviewer = db.session.get(StaffUser, reviewer_id)
            (_, content), export_seconds = timed(lambda: payouts.export_batch(reviewer, batch_id))
            db.session.remove()
        with app.app_context():
            payer = db.session.get(StaffUser, payer_id)
            _, paid_seconds = timed(lambda: payouts.mark_batch_paid(payer, batch_id, bank_reference="BENCH-1"))
            db.session.remove()
        with app.app_context():
            settled, settle_seconds = timed(lambda: payouts.settle_batch(batch_id))
            paid = payouts.paid_count(batch_id)
            db.session.remove()
            db.engine.dispose()
        return {"database": database, "claims": args.claims, "build_seconds": build_seconds,
                "batch_total_yuan": total_fen // 100,
                "create_batch_seconds": batch_seconds, "export_seconds": export_seconds,
                "bank_file_bytes": len(content), "mark_paid_seconds": paid_seconds,
                "settle_seconds": settle_seconds, "settled": settled, "paid": paid,
                "settle_claims_per_second": round(settled / settle_seconds, 1) if settle_seconds else None}
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--claims", type=int, default=30_000)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    databases = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    output = {"benchmark": "payouts", "claims": args.claims, "cpus": os.cpu_count(),
              "results": [run(database, args) for database in databases]}
    print(json.dumps(output, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
