"""Benchmark: the federation's staff dashboard (/staff/) — server time and peak memory — on a city-sized
database, on SQLite and on PostgreSQL. Also a district officer's dashboard, the htmx figures fragment,
the navigation's queue counts and the monthly report workbook.

Builds its own data with bulk inserts (Core, batched; personal data encrypted as the models do):
2,010 unions (10 districts × 20 streets × 10 grassroots), members, enrolments over three plan years
(a share gifted by a campaign), claims in every state with their decision and payment times, caring
enterprises and positions with placements, childcare classes with registrations and attendance,
stations with kiosks. Or measures a database that already holds data (``--url``, e.g. one filled by
``flask --app wsgi demo-data --scale city``) as its administrator ``admin``.

Server time is measured in-process through the WSGI app (Flask's test client): no network, the
whole request (sign-in cookie, queries, templates, charts). Peak memory: tracemalloc over one request.

    .venv/bin/python bench/bench_dashboard.py                                   # both databases, mid-size
    .venv/bin/python bench/bench_dashboard.py --database sqlite --members 300000 --enrolments 600000 --claims 60000
    .venv/bin/python bench/bench_dashboard.py --url postgresql+psycopg://postgres@127.0.0.1:5432/portal --skip-build \\
        --instance /path/to/the/instance/that/built/it

Prints JSON. PostgreSQL: ``--postgres-url`` (default the local server); the database ``bench_dashboard`` is
dropped and created. Nothing listens on any port.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
GOAL_MS = 300
BATCH = 5000


def _insert(db, model, rows: list[dict]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start:start + BATCH])


def build_database(app, sizes: dict) -> dict:
    """Fill an empty schema; returns what was built."""
    from portal.domain.identity import compose_id_number
    from portal.domain.jobs import compose_uscc
    from portal.domain.plans import BenefitSchedule
    from portal.domain.roles import Role
    from portal.extensions import db
    from portal.models import Application as JobApplication
    from portal.models import (
        Attendance,
        Campaign,
        Child,
        ChildcareClass,
        Claim,
        Enrollment,
        Enterprise,
        Kiosk,
        Member,
        Placement,
        Plan,
        Position,
        Registration,
        StaffUser,
        Station,
        Student,
        Union,
        UnionKind,
        add_union,
    )
    from portal.pii import vault

    rng = random.Random(13)
    now = datetime.now(UTC)
    with app.app_context():
        secrets = vault()
        db.drop_all()
        db.create_all()
        federation = add_union("WX", "无锡市总工会", UnionKind.FEDERATION)
        db.session.flush()
        unions = [federation]
        districts = []
        for d in range(10):
            district = add_union(f"D{d:02d}", f"区总工会{d}", UnionKind.DISTRICT, federation)
            districts.append(district)
            unions.append(district)
            for s in range(20):
                street = add_union(f"D{d:02d}S{s:02d}", f"街道总工会{d}-{s}", UnionKind.STREET, district)
                unions.append(street)
                for g in range(10):
                    unions.append(add_union(f"D{d:02d}S{s:02d}G{g}", f"基层工会{d}-{s}-{g}", UnionKind.GRASSROOTS,
                                            street))
        grassroots = [u.id for u in unions if u.kind == UnionKind.GRASSROOTS]
        plan = Plan.from_schedule("SANHEYI", "三合一互助保障", BenefitSchedule())
        db.session.add(plan)
        db.session.flush()
        campaign = Campaign(name="“锡新保”", sponsor="市总工会", plan_id=plan.id, union_id=federation.id,
                            opens_on=date(2026, 1, 1), closes_on=date(2026, 12, 31), quota=12_000,
                            claimed_count=0, occupations=[], requires_gig_worker=True)
        db.session.add(campaign)
        admin = StaffUser(username="bench_admin", display_name="管理员", role=Role.ADMIN)
        officer = StaffUser(username="bench_district", display_name="区经办人", role=Role.UNION_OFFICER,
                            union_id=districts[0].id)
        admin.totp_secret, admin.totp_enabled_at = TOTP_SECRET, now  # administrators sign in with two factors
        for user in (admin, officer):
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()

        members = sizes["members"]
        union_of = [grassroots[index % len(grassroots)] for index in range(members)]
        rows = []
        for index in range(members):
            birth = date(1960, 1, 1) + timedelta(days=index // 800)
            id_number = compose_id_number("320213", birth, 100 + index % 800)
            mobile = f"139{index:08d}"
            rows.append({"name": f"会员{index}", "id_number": secrets.encrypt(id_number),
                         "id_number_hash": secrets.lookup_hash(id_number), "gender": "M", "birth_date": birth,
                         "mobile": secrets.encrypt(mobile), "mobile_hash": secrets.lookup_hash(mobile),
                         "union_id": union_of[index], "occupation": "快递员", "is_gig_worker": index % 10 == 0,
                         "has_social_insurance": True, "is_hardship_family": False, "sms_consent": True,
                         "is_verified": True, "created_at": now, "updated_at": now})
            if len(rows) == BATCH:
                _insert(db, Member, rows)
                rows = []
        _insert(db, Member, rows)
        db.session.commit()

        rows, gifted = [], 0
        for number in range(sizes["enrolments"]):
            member = number % members
            year = 2024 + (number // members) % 3
            starts = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
            is_gift = year == 2026 and member % 10 == 0 and gifted < 7_267
            gifted += is_gift
            status = "active" if year == 2026 else "expired"
            rows.append({"member_id": member + 1, "plan_id": plan.id, "union_id": union_of[member], "plan_year": year,
                         "status": status if rng.random() > 0.02 else "pending",
                         "channel": "campaign" if is_gift else rng.choice(["roster", "roster", "renewal",
                                                                            "self_service", "kiosk"]),
                         "payer": "campaign" if is_gift else "union", "is_renewal": year > 2024,
                         "contribution_fen": 0 if is_gift else 5000, "starts_on": starts,
                         "ends_on": starts + timedelta(days=364), "campaign_id": campaign.id if is_gift else None,
                         "created_at": now, "updated_at": now})
            if len(rows) == BATCH:
                _insert(db, Enrollment, rows)
                rows = []
        _insert(db, Enrollment, rows)
        db.session.commit()

        statuses = (["paid"] * 30 + ["approved"] * 5 + ["payout_pending"] * 3 + ["rejected"] * 7 + ["submitted"] * 6
                    + ["in_review"] * 3 + ["awaiting_second"] * 1 + ["needs_documents"] * 3 + ["draft"] * 2)
        rows = []
        for _ in range(sizes["claims"]):
            member = rng.randrange(members)
            status = rng.choice(statuses)
            submitted = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 700 * 24 * 60))
            decided = submitted + timedelta(hours=rng.randint(2, 24 * 12))
            decided_states = ("paid", "approved", "payout_pending", "rejected")
            amount = rng.randint(80, 3000) * 500
            rows.append({"member_id": member + 1, "union_id": union_of[member], "plan_id": plan.id,
                         "plan_year": submitted.year, "claim_type": "hospital", "status": status,
                         "filed_by_type": "member", "flags": [], "flag_codes": "", "is_flagged": False,
                         "allowance_days": 0, "medical_fen": 0, "pays_critical_illness": False, "is_death": False,
                         "sample_hold": False, "version_id": 1,
                         "submitted_at": None if status == "draft" else submitted,
                         "decided_at": decided if status in decided_states else None,
                         "paid_at": decided + timedelta(days=rng.randint(3, 30)) if status == "paid" else None,
                         "approved_fen": amount if status in ("paid", "approved", "payout_pending") else None,
                         "created_at": submitted, "updated_at": submitted})
            if len(rows) == BATCH:
                _insert(db, Claim, rows)
                rows = []
        _insert(db, Claim, rows)
        db.session.commit()

        enterprise_rows = []
        for number in range(sizes["enterprises"]):
            mobile = f"137{number:08d}"
            enterprise_rows.append({"name": f"爱心企业{number}", "uscc": compose_uscc("320206", number + 1),
                                    "district": "惠山区", "address": "测试路", "union_id": rng.choice(grassroots),
                                    "contact_name": "联系人", "contact_mobile": secrets.encrypt(mobile),
                                    "contact_mobile_hash": secrets.lookup_hash(mobile), "status": "approved",
                                    "created_at": now, "updated_at": now})
        _insert(db, Enterprise, enterprise_rows)
        db.session.commit()
        enterprises = list(db.session.execute(db.select(Enterprise.id, Enterprise.union_id)))
        position_rows = []
        for number in range(sizes["positions"]):
            enterprise_id, union_id = enterprises[number % len(enterprises)]
            position_rows.append({"enterprise_id": enterprise_id, "union_id": union_id, "title": "理货员",
                                  "description": "协助理货", "district": "惠山区", "address": "测试路",
                                  "majors": "不限", "places": 2, "filled": 1, "pay_fen": 15_000, "pay_unit": "day",
                                  "starts_on": date(2026, 7, 1), "ends_on": date(2026, 8, 31),
                                  "apply_by": date(2026, 6, 25), "hours": "9:00—17:00", "min_age": 16,
                                  "safety_notes": "无", "agreement_confirmed": True, "status": "closed",
                                  "created_at": now, "updated_at": now})
        _insert(db, Position, position_rows)
        student_rows, application_rows, placement_rows = [], [], []
        positions = list(db.session.execute(db.select(Position.id, Position.enterprise_id, Position.union_id)))
        for number, (position_id, enterprise_id, union_id) in enumerate(positions, start=1):
            id_number = compose_id_number("320213", date(2005, 1, 1) + timedelta(days=number), 500)
            student_rows.append({"parent_member_id": number, "name": f"学生{number}",
                                 "id_number": secrets.encrypt(id_number),
                                 "id_number_hash": secrets.lookup_hash(id_number), "birth_date": date(2005, 1, 1),
                                 "gender": "M", "mobile": secrets.encrypt("13800000000"),
                                 "mobile_hash": secrets.lookup_hash(f"1380000{number:04d}"), "school": "江南大学",
                                 "major": "物流", "year_of_study": "大二", "registered_via": "member",
                                 "created_at": now, "updated_at": now})
            application_rows.append({"id": number, "student_id": number, "position_id": position_id,
                                     "status": "accepted", "is_priority": False, "channel": "member",
                                     "created_at": now, "updated_at": now})
            placement_rows.append({"application_id": number, "position_id": position_id, "student_id": number,
                                   "enterprise_id": enterprise_id, "union_id": union_id, "status": "under_way",
                                   "starts_on": date(2026, 7, 1), "ends_on": date(2026, 8, 31),
                                   "created_at": now, "updated_at": now})
        _insert(db, Student, student_rows)
        _insert(db, JobApplication, application_rows)
        _insert(db, Placement, placement_rows)
        db.session.commit()

        class_rows = []
        for number in range(sizes["classes"]):
            class_rows.append({"union_id": grassroots[number * 31 % len(grassroots)], "name": f"暑托班{number}",
                               "site_name": "职工服务中心", "address": "测试路", "district": "梁溪区",
                               "starts_on": date(2026, 7, 6), "ends_on": date(2026, 8, 14), "weekdays": "12345",
                               "daily_start": clock_time(8), "daily_end": clock_time(17, 30), "seats": 50,
                               "seats_taken": 50, "min_age": 6, "max_age": 12, "fee_fen": 0, "meals": "午餐",
                               "programme": "阅读", "staff_and_volunteers": "社工", "safety_rules": "接送",
                               "registration_opens_on": date(2026, 6, 1), "registration_closes_on": date(2026, 6, 20),
                               "status": "published", "last_number": 50, "created_at": now, "updated_at": now})
        _insert(db, ChildcareClass, class_rows)
        class_ids = list(db.session.scalars(db.select(ChildcareClass.id)))
        child_rows, registration_rows, attendance_rows = [], [], []
        for number in range(sizes["children"]):
            id_number = compose_id_number("320213", date(2016, 1, 1) + timedelta(days=number % 2000),
                                          600 + number // 2000)
            child_rows.append({"parent_id": number + 1, "name": f"儿童{number}",
                               "id_number": secrets.encrypt(id_number),
                               "id_number_hash": secrets.lookup_hash(id_number), "gender": "F",
                               "birth_date": date(2016, 1, 1), "created_at": now, "updated_at": now})
            class_id = class_ids[number % len(class_ids)]
            registration_rows.append({"id": number + 1, "class_id": class_id, "child_id": number + 1,
                                      "parent_id": number + 1, "number": number // len(class_ids) + 1,
                                      "status": "confirmed", "category": "gig_worker", "category_declared": False,
                                      "tier": 1, "accepted_rules_at": now, "requested_at": now, "confirmed_at": now,
                                      "created_at": now, "updated_at": now})
            for day in range(10):
                attendance_rows.append({"registration_id": number + 1, "class_id": class_id,
                                        "day": date(2026, 7, 6) + timedelta(days=day),
                                        "status": "present" if rng.random() < 0.93 else "absent",
                                        "created_at": now, "updated_at": now})
        _insert(db, Child, child_rows)
        _insert(db, Registration, registration_rows)
        _insert(db, Attendance, attendance_rows)
        station_rows = [{"code": f"ST{number:04d}", "name": f"服务站{number}", "kind": "outdoor_workers",
                         "union_id": grassroots[number * 7 % len(grassroots)], "district": "梁溪区",
                         "needs_completion": False, "created_at": now, "updated_at": now}
                        for number in range(sizes["kiosks"])]
        _insert(db, Station, station_rows)
        station_ids = list(db.session.scalars(db.select(Station.id)))
        _insert(db, Kiosk, [{"id": f"00000000-0000-4000-8000-{number:012d}", "station_id": station_id,
                             "name": "一号机", "status": "active",
                             "last_sync_at": now - timedelta(minutes=rng.randint(0, 3000)),
                             "created_at": now, "updated_at": now} for number, station_id in enumerate(station_ids)])
        db.session.commit()
        counts = {"unions": db.session.scalar(db.select(db.func.count(Union.id)))}
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        db.engine.dispose()
    return counts


def _timings(client, url: str, rounds: int, headers=None) -> dict:
    client.get(url, headers=headers)  # warm: templates compiled, statements cached
    times, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, (url, answer.status_code)
        answer.get_data()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    # Wall time includes waiting for a CPU on a busy machine; the process's CPU time does not (with
    # SQLite it includes the database's work, with PostgreSQL only the portal's).
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1), "min_ms": round(times[0], 1),
            "cpu_median_ms": round(statistics.median(cpu), 1), "rounds": rounds}


def _peak_mib(client, url: str) -> float:
    tracemalloc.start()
    answer = client.get(url)
    answer.get_data()  # a streamed answer is produced while it is read
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert answer.status_code == 200
    return round(peak / 2**20, 2)


def measure(app, admin: str, officer: str | None, rounds: int) -> dict:
    from portal.services.dashboards import summary

    # The enrolment summary the dashboards read (the task queue refreshes it a minute after changes
    # and every five minutes): how long one refresh of the whole city takes.
    started = time.perf_counter()
    summary.refresh()
    refresh_ms = round((time.perf_counter() - started) * 1000, 1)
    client = app.test_client()

    def sign_in(username):
        import pyotp

        answer = client.post("/auth/staff/login", data={"username": username, "password": PASSWORD})
        if answer.status_code == 302 and answer.headers["Location"].endswith("/auth/staff/two-factor"):
            client.post("/auth/staff/two-factor", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
        assert client.get("/staff/").status_code == 200, f"cannot sign in as {username}"

    sign_in(admin)
    year = datetime.now(UTC).year
    result = {
        "summary_refresh_ms": refresh_ms,
        "federation_dashboard": _timings(client, "/staff/", rounds),
        "federation_dashboard_year": _timings(client, f"/staff/?year={year}", rounds),
        "federation_figures_fragment": _timings(client, f"/staff/?year={year}", rounds, {"HX-Request": "true"}),
        "queue_counts": _timings(client, "/staff/queue-counts", rounds),
        "federation_dashboard_peak_mib": _peak_mib(client, "/staff/"),
    }
    month = date.today().replace(day=1) - timedelta(days=1)
    started, started_cpu = time.perf_counter(), time.process_time()
    report = client.get(f"/staff/report.xlsx?month={month:%Y-%m}")
    size = len(report.get_data())
    result["monthly_report"] = {"ms": round((time.perf_counter() - started) * 1000, 1),
                                "cpu_ms": round((time.process_time() - started_cpu) * 1000, 1), "bytes": size}
    result["monthly_report_peak_mib"] = _peak_mib(client, f"/staff/report.xlsx?month={month:%Y-%m}")
    if officer:
        client.post("/auth/logout")
        client = app.test_client()
        sign_in(officer)
        result["district_dashboard"] = _timings(client, "/staff/", rounds)
    result["goal_ms"] = GOAL_MS
    result["meets_goal"] = result["federation_dashboard"]["median_ms"] < GOAL_MS
    result["load_average"] = os.getloadavg()[0]
    return result


def make_app(url: str, instance: Path):
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SMS_ECHO": False, "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False, "TESTING": False})


def run(url: str, args, instance: Path) -> dict:
    app = make_app(url, instance)
    sizes = {"members": args.members, "enrolments": args.enrolments, "claims": args.claims,
             "enterprises": args.enterprises, "positions": args.positions, "classes": args.classes,
             "children": args.children, "kiosks": args.kiosks}
    built = {}
    if not args.skip_build:
        started = time.perf_counter()
        built = build_database(app, sizes)
        built["build_seconds"] = round(time.perf_counter() - started, 1)
        admin, officer = "bench_admin", "bench_district"
    else:
        admin, officer = args.admin, args.officer
        global PASSWORD, TOTP_SECRET
        from portal.demo.core import DEMO_TOTP_SECRETS

        PASSWORD = args.password
        TOTP_SECRET = args.totp_secret or DEMO_TOTP_SECRETS.get(args.admin, TOTP_SECRET)
    with app.app_context():
        result = measure(app, admin, officer, args.rounds)
    return {"data": {**({} if args.skip_build else sizes), **built}, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_dashboard")
    parser.add_argument("--url", help="measure this database as it is (with --skip-build)")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--instance", help="with --url: the instance folder that built it (its data key reads rows)")
    parser.add_argument("--admin", default="admin")
    parser.add_argument("--officer", default=None)
    parser.add_argument("--password", default="demo-portal-2026")
    parser.add_argument("--totp-secret", help="the administrator's two-factor secret (with --skip-build)")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--enrolments", type=int, default=200_000)
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--enterprises", type=int, default=61)
    parser.add_argument("--positions", type=int, default=528)
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--children", type=int, default=3_000)
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true",
                        help="a tenth of the sizes and five rounds (make bench BENCH_QUICK=1)")
    args = parser.parse_args()
    if args.quick:
        args.members, args.enrolments, args.claims = args.members // 10, args.enrolments // 10, args.claims // 10
        args.children, args.kiosks, args.rounds = args.children // 10, args.kiosks // 10, 5
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(args.instance) if args.instance and args.url else Path(tmp)
        if args.url:
            results["given"] = run(args.url, args, instance)
        else:
            if args.database in ("sqlite", "both"):
                results["sqlite"] = run(f"sqlite:///{instance / 'bench.db'}", args, instance)
            if args.database in ("postgresql", "both"):
                if _postgres_ready(args.postgres_url):
                    results["postgresql"] = run(args.postgres_url, args, instance)
                else:
                    results["postgresql"] = {"skipped": "PostgreSQL not reachable at " + args.postgres_url}
    print(json.dumps({"benchmark": "dashboard", **results}, ensure_ascii=False, indent=2))


def _postgres_ready(url: str) -> bool:
    """Reachable, and the bench database (re)created empty."""
    try:
        import psycopg
    except ImportError:
        return False
    plain = url.replace("+psycopg", "")
    name = plain.rsplit("/", 1)[1]
    try:
        with psycopg.connect(plain.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return False
    return True


if __name__ == "__main__":
    main()
