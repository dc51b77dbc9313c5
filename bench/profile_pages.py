"""Profile: what one signed-in page costs in-process, deterministic where it can be.

For the member's claims and cover pages, the review queue and the help page (almost nothing of its
own: the fixed cost every page pays), on an existing database built by ``bench_pages.py`` (the same
keys exported): signs the reviewer in through the real form (the member by a session as the code
form leaves it) with Flask's test client, warms each page, then
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
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PAGES = (("member claims", "/claims/", "member"), ("member cover", "/enrollment/my", "member"),
         ("review queue", "/review/", "reviewer"), ("help", "/help", "member"))


def _post_form(client, url: str, data: dict):
    token = CSRF_RE.search(client.get(url).get_data(as_text=True)).group(1)
    return client.post(url, data={"csrf_token": token, **data})


def sign_in(app):
    from sqlalchemy import select

    from portal.demo.core import DEMO_MEMBER_MOBILE, DEMO_PASSWORD, DEMO_TOTP_SECRETS
    from portal.extensions import db
    from portal.models import Member

    with app.app_context():
        member = db.session.scalar(select(Member).order_by(Member.id).limit(1))
        assert member.mobile == DEMO_MEMBER_MOBILE
        session_id = member.get_id()
    visitor = app.test_client()
    # The member's session as the code form leaves it (the texted code itself is bench_pages.py's
    # business, and the portal refuses a second code to one mobile within the minute).
    with visitor.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True
    assert visitor.get("/claims/").status_code == 200
    reviewer = app.test_client()
    answer = _post_form(reviewer, "/auth/staff/login", {"username": "reviewer", "password": DEMO_PASSWORD})
    if answer.headers["Location"].endswith("/auth/staff/two-factor"):
        import pyotp

        code = pyotp.TOTP(DEMO_TOTP_SECRETS["reviewer"]).now()
        answer = _post_form(reviewer, "/auth/staff/two-factor", {"code": code})
    assert answer.status_code == 302
    return {"member": visitor, "reviewer": reviewer}


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
