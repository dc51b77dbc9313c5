"""Profile: what one signed-in page costs in-process, deterministic where it can be.

For the member's claims and cover pages, the review queue and the help page (almost nothing of its
own: the fixed cost every page pays), on an existing database built by ``bench_pages.py`` (the same
keys exported): Flask's test client with the demo member's and reviewer's sessions, warms each page, then
prints one JSON object per page with the Python function calls per request (cProfile, steady), the
SQL statements per request (steady) and the process's CPU per request (moves with the machine's
load; run it with ``nice`` and give the load average beside it).

    PORTAL_DATA_KEY=… PORTAL_SECRET_KEY=… .venv/bin/python bench/profile_pages.py \
        --url sqlite:////path/to/portal.db [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = (("member claims", "/claims/", "member"), ("member cover", "/enrollment/my", "member"),
         ("review queue", "/review/", "reviewer"), ("help", "/help", "member"))


def sign_in(app):
    """The demo member and the demo reviewer, each with a session as the sign-in forms leave it (the
    forms themselves are ``bench_pages.py``'s business: the portal refuses a second texted code to one
    mobile within the minute, and an authenticator code used twice)."""
    from sqlalchemy import select

    from portal.demo.core import DEMO_MEMBER_MOBILE
    from portal.extensions import db
    from portal.models import Member, StaffUser

    with app.app_context():
        member = db.session.scalar(select(Member).order_by(Member.id).limit(1))
        assert member.mobile == DEMO_MEMBER_MOBILE
        reviewer = db.session.scalar(select(StaffUser).where(StaffUser.username == "reviewer"))
        accounts = {"member": member.get_id(), "reviewer": reviewer.get_id()}
        db.session.remove()
    clients = {}
    for who, session_id in accounts.items():
        client = clients[who] = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = session_id, True
    assert clients["member"].get("/claims/").status_code == 200
    assert clients["reviewer"].get("/review/").status_code == 200
    return clients


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=0, help="also print the top functions by own time")
    parser.add_argument("--page", default=None, help="only this path")
    args = parser.parse_args()
    os.environ.update(PORTAL_DATABASE_URL=args.url, PORTAL_HUEY_IMMEDIATE="1", PORTAL_SMS_ECHO="0")
    os.environ.setdefault("PORTAL_INSTANCE_PATH", "/tmp/profile-pages-instance")
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.url})
    clients = sign_in(app)
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.__setitem__(0, statements[0] + 1))
    for name, path, who in PAGES:
        if args.page and path != args.page:
            continue
        client = clients[who]
        for _ in range(20):
            assert client.get(path).status_code == 200, path
        statements[0] = 0
        started = time.process_time()
        for _ in range(args.requests):
            client.get(path)
        cpu = (time.process_time() - started) / args.requests
        per_request = statements[0] / args.requests
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            client.get(path)
        profiler.disable()
        stats = pstats.Stats(profiler)
        calls = stats.total_calls / args.requests
        print(json.dumps({"page": name, "path": path, "python_calls_per_request": round(calls),
                          "statements_per_request": round(per_request, 2),
                          "cpu_ms_per_request": round(cpu * 1000, 3),
                          "load_average_1min": os.getloadavg()[0]}, ensure_ascii=False), flush=True)
        if args.top:
            out = io.StringIO()
            order = os.environ.get("PROFILE_SORT", "tottime")  # or cumulative
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
