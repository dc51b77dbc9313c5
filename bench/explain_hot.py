"""The query plans of the hot pages on PostgreSQL at city scale (``demo-data --scale city``).

Renders each hot page in-process (the member's claims and cover, the reviewer queue and payout
batches, an officer's claims, members and enrolments of a district with tens of thousands of
people, a district's and the federation's dashboards, the member sign-in lookup), records every
SQL statement it sends with its parameters, and runs ``EXPLAIN (ANALYZE, BUFFERS)`` on each.
Prints JSON per statement: page, time, the plan's top node, any sequential scan of a large table
(the thing to fix with an index), and with ``--plans`` the whole plan. Nothing is written (every
EXPLAIN runs in a rolled-back transaction).

    .venv/bin/python bench/explain_hot.py --url postgresql+psycopg://postgres@127.0.0.1:5432/scale_city \\
        --instance /path/to/the/instance/that/built/it [--plans]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LARGE = 20_000  # rows: a sequential scan of a table larger than this on a hot page is a finding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--instance", required=True, help="the instance folder (its data_key reads the rows)")
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    os.environ.update(PORTAL_DATABASE_URL=args.url, PORTAL_INSTANCE_PATH=args.instance, PORTAL_HUEY_IMMEDIATE="1")

    from sqlalchemy import event, select, text

    from portal import create_app
    from portal.extensions import db
    from portal.models import Member, StaffUser, Union

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    statements: list[tuple[str, str, object]] = []
    current = {"page": ""}

    with app.app_context():
        sizes = {row[0]: row[1] for row in db.session.execute(text(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r' AND relnamespace = "
            "'public'::regnamespace"))}
        # The busiest member: a city member with three covers and claims.
        member = db.session.scalar(text(
            "SELECT member_id FROM claims WHERE member_id IN (SELECT member_id FROM enrollments GROUP BY member_id "
            "HAVING count(*) = 3) GROUP BY member_id ORDER BY count(*) DESC, member_id LIMIT 1"))
        member = db.session.get(Member, member)
        district = db.session.scalar(select(Union).where(Union.code == "LX"))
        officer = db.session.scalar(select(StaffUser).where(StaffUser.username == "explain_lx"))
        if officer is None:  # a district officer, whose subtree holds a seventh of the city
            officer = StaffUser(username="explain_lx", display_name="梁溪区经办人（查询计划）", role="union_officer",
                                union_id=district.id)
            officer.set_password("explain-plans-2026")
            db.session.add(officer)
            db.session.commit()
        staff = {}
        for username in ("reviewer", "admin"):
            user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
            if not user.has_two_factor:  # a city built before two-factor sign-in: as the demo enrols it
                from portal.demo.core import DEMO_TOTP_SECRETS
                from portal.models.base import utcnow

                user.totp_secret, user.totp_enabled_at = DEMO_TOTP_SECRETS[username], utcnow()
                db.session.commit()
            staff[username] = user.get_id()
        sessions = {"member": member.get_id(), "officer": officer.get_id(), **staff}
        batch = db.session.scalar(text("SELECT id FROM payout_batches WHERE status = 'paid' ORDER BY id LIMIT 1"))
        id_number = member.id_number

    def record(conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            statements.append((current["page"], statement, parameters))

    pages = [
        ("member", "/claims/"), ("member", "/enrollment/my"), ("member", "/me/"),
        ("reviewer", "/review/"), ("reviewer", "/review/?status=submitted"), ("reviewer", "/review/payouts"),
        ("reviewer", f"/review/payouts/{batch}"),
        ("officer", "/claims/"), ("officer", "/enrollment/members"), ("officer", "/enrollment/"),
        ("officer", "/staff/"), ("admin", "/staff/"),  # the federation's dashboard: the whole city
    ]
    clients = {}
    for who, session_id in sessions.items():  # signed in as the user loader reads a session
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        clients[who] = client

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
    for who, path in pages:
        current["page"] = f"{who} {path}"
        status = clients[who].get(path).status_code
        assert status == 200, (who, path, status)
    # The sign-in lookup (by the keyed hash of the ID number).
    with app.app_context():
        current["page"] = "sign-in lookup"
        Member.by_id_number(id_number)
        event.remove(db.engine, "before_cursor_execute", record)

    seen = set()
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            for page, statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT") or (page, statement) in seen:
                    continue
                seen.add((page, statement))
                cursor.execute("BEGIN")
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0][0]
                cursor.execute("ROLLBACK")
                scans = [node for node in _nodes(plan["Plan"]) if node["Node Type"] == "Seq Scan"
                         and sizes.get(node.get("Relation Name"), 0) > LARGE]
                result = {"page": page, "ms": round(plan["Execution Time"], 2),
                          "sql": re.sub(r"\s+", " ", statement)[:160], "top": plan["Plan"]["Node Type"],
                          "indexes": sorted({node.get("Index Name") for node in _nodes(plan["Plan"])
                                             if node.get("Index Name")}),
                          "large_seq_scans": [node["Relation Name"] for node in scans]}
                if args.plans:
                    result["plan"] = plan
                print(json.dumps(result, ensure_ascii=False))
        finally:
            connection.close()


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


if __name__ == "__main__":
    main()
