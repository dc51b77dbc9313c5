"""Benchmark: the member's claims and cover pages and the reviewer queue, side by side with a bare
Flask route, under gunicorn (2 workers each) and wrk (16 connections), on SQLite and PostgreSQL.

For each database: build it (migrations, the small demo, then ``grow_city`` at ``--scale`` of a
city: 0.1 is 30,000 members, 60,000 enrolments, 6,000 claims) unless ``--reuse``; start the portal
(``gunicorn wsgi:app``) and the bare baseline (``gunicorn bench.bare_app:app``: raw driver, the same
indexed queries, a minimal template) on loopback; sign in through the real forms (the member with the
code texted to them, read from the outbox with the server's key); then, page by page and in the same
run, wrk on the portal's page and on the bare route. Prints one JSON object per database: req/s,
p50/p95/p99 in ms, the servers' CPU per request, and the ratio portal/bare (goal ≥ 0.7), by req/s
and by CPU per request (``cpu_ratio``: bare's CPU per request over the portal's, steadier when the
machine is shared); and the page weight of every member page (HTML plus the static files a first
visit loads, raw and gzip-compressed as nginx sends them; goal < 60 KB transferred).

    .venv/bin/python bench/bench_pages.py                       # both databases, scale 0.1, 10 s per run
    .venv/bin/python bench/bench_pages.py --quick               # scale 0.01, 4 s per run
    .venv/bin/python bench/bench_pages.py --database postgresql --postgres-url postgresql://…/scale_city --reuse

``--reuse`` needs the keys the database was built with: export ``PORTAL_DATA_KEY`` and
``PORTAL_SECRET_KEY`` for the build and for every run that reuses it (otherwise each run generates
new ones in a temporary instance folder, and the stored ID numbers and mobiles cannot be read).

wrk comes from Debian's package (installed with apt-get when missing). Nothing listens beyond loopback.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.proc_cpu import group_cpu  # noqa: E402 - the project root is on the path only now

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CODE_RE = re.compile(r"验证码为(\d{6})")
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_pages"
MEMBER_PAGES = ("/me/", "/enrollment/my", "/claims/", "/childcare/mine", "/jobs/me", "/events/mine")
# (name, portal path, bare path, who)
PAGES = (("member claims", "/claims/", "/claims", "member"), ("member cover", "/enrollment/my", "/cover", "member"),
         ("review queue", "/review/", "/queue", "reviewer"))
GOAL_RATIO = 0.7
GOAL_MEMBER_PAGE_KB = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_wrk() -> str:
    """wrk from Debian's packages, installed when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env,
                   stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


# The bench signs the demo member in with a texted code on every run: on a reused database the real
# limits (5 texts an hour to one mobile, 10 codes a day per ID number) refuse the sixth run within the
# hour. Raised for the servers this script starts only; a value set in the environment wins.
BENCH_SIGN_IN_LIMITS = {"PORTAL_SMS_RECIPIENT_PER_HOUR": "100000", "PORTAL_SMS_RECIPIENT_PER_DAY": "100000",
                        "PORTAL_LOGIN_CODES_PER_DAY": "100000"}


def _environment(url: str, instance: Path) -> dict:
    return {**BENCH_SIGN_IN_LIMITS, **os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_INSTANCE_PATH": str(instance),
            "PORTAL_SMS_ECHO": "0", "PORTAL_HUEY_IMMEDIATE": "1"}


def build(url: str, instance: Path, scale: float) -> float:
    """Migrate, load the small demo and grow it to ``scale`` of a city, in a process of its own."""
    started = time.monotonic()
    env = _environment(url, instance)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = ("from portal import create_app\n"
              "from portal.demo import load_demo_data\n"
              "from portal.demo.city import grow_city\n"
              "from portal.services.unit_of_work import transaction\n"
              "app = create_app()\n"
              "with app.app_context():\n"
              "    with transaction():\n"
              "        context = load_demo_data()\n"
              f"        grow_city({scale!r}, today=context.today)\n")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def prepare_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def start(command: list[str], env: dict, port: int, health: str) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited")
        try:
            if requests.get(f"http://127.0.0.1:{port}{health}", timeout=5).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"{command} did not answer")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# One phone browser for the sign-in and for wrk. A signed-in session remembers a digest of the
# browser that signed in (Flask-Login's session protection): a request from another one marks the
# session no longer fresh and so re-signs its cookie. A browser keeps that cookie; wrk sends the
# first one every time, so with another User-Agent every request of the run paid for a new cookie
# (about 0.3 ms), which no visitor does.
BROWSER = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0 Mobile Safari/537.36")


def browser() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = BROWSER
    return session


def _post_form(session: requests.Session, url: str, data: dict, form_url: str | None = None):
    token = CSRF_RE.search(session.get(form_url or url, timeout=30).text).group(1)
    return session.post(url, data={"csrf_token": token, **data}, timeout=30, allow_redirects=False)


def _app(url: str, instance: Path):
    os.environ.update(PORTAL_DATABASE_URL=url, PORTAL_INSTANCE_PATH=str(instance), PORTAL_HUEY_IMMEDIATE="1")
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def sign_in(base: str, app) -> tuple[requests.Session, requests.Session, int]:
    """The demo member (by the code texted to them) and the demo reviewer, through the real forms."""
    from sqlalchemy import select

    from portal.demo.core import DEMO_MEMBER_MOBILE, DEMO_PASSWORD
    from portal.extensions import db
    from portal.models import Member, SmsMessage
    from portal.services.sms import delivered_text

    with app.app_context():
        member = db.session.scalar(select(Member).order_by(Member.id).limit(1))
        assert member.mobile == DEMO_MEMBER_MOBILE
        id_number, member_id = member.id_number, member.id
    visitor = browser()
    assert _post_form(visitor, f"{base}/auth/member/login",
                      {"id_number": id_number, "mobile": DEMO_MEMBER_MOBILE}).status_code == 302
    with app.app_context():
        message = db.session.scalar(select(SmsMessage).where(SmsMessage.kind == "login_code")
                                    .order_by(SmsMessage.id.desc()).limit(1))
        code = CODE_RE.search(delivered_text(message)).group(1)
        db.session.remove()
    assert _post_form(visitor, f"{base}/auth/member/code", {"code": code}).status_code == 302
    reviewer = browser()
    answer = _post_form(reviewer, f"{base}/auth/staff/login", {"username": "reviewer", "password": DEMO_PASSWORD})
    assert answer.status_code == 302, answer.status_code
    if answer.headers["Location"].endswith("/auth/staff/two-factor"):  # the demo reviewer's authenticator
        import pyotp

        from portal.demo.core import DEMO_TOTP_SECRETS

        answer = _post_form(reviewer, f"{base}/auth/staff/two-factor",
                            {"code": pyotp.TOTP(DEMO_TOTP_SECRETS["reviewer"]).now()})
        assert answer.status_code == 302, answer.status_code
    # Where a browser would land next: the first page with a form adds the CSRF token to the
    # session, whose cookie the browser keeps. wrk sends the cookie it is given on every request, so
    # one taken before that page made every request of the run store a new token and re-sign.
    for session, landing in ((visitor, "/me/"), (reviewer, "/review/")):
        assert session.get(f"{base}{landing}", timeout=30).status_code == 200
        assert _session_has_token(session)
    return visitor, reviewer, member_id


def _session_has_token(session: requests.Session) -> bool:
    """Whether the session cookie (zlib-compressed when signed by Flask, or plain) holds a CSRF token."""
    import base64
    import zlib

    value = session.cookies.get("session", "")
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return b"csrf_token" in (zlib.decompress(raw) if value.startswith(".") else raw)


def wrk(binary: str, url: str, seconds: int, cookies: str = "") -> dict:
    command = [binary, "-t2", "-c16", f"-d{seconds}s", "--timeout", "10s", "-s", str(ROOT / "bench/wrk_report.lua"),
               "-H", f"User-Agent: {BROWSER}"]
    if cookies:
        command += ["-H", f"Cookie: {cookies}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    report = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
    report["requests_per_second"] = round(report["requests"] / report["seconds"], 1)
    return report


def group_cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time (user + system) used so far by gunicorn's arbiter and its workers (its process group)."""
    return group_cpu(process.pid)


def measured(binary: str, url: str, seconds: int, server: subprocess.Popen, cookies: str = "") -> dict:
    """wrk's figures, and the CPU the server spent per request meanwhile: on a shared machine the
    requests/s move with whatever else runs, the CPU a request costs far less."""
    before = group_cpu_seconds(server)
    report = wrk(binary, url, seconds, cookies)
    report["cpu_ms_per_request"] = round((group_cpu_seconds(server) - before) * 1000 / max(report["requests"], 1), 2)
    return report


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def page_weight(base: str, session: requests.Session) -> list[dict]:
    """Each member page on a first visit: its HTML and every static file it loads."""
    results, assets = [], {}
    for path in MEMBER_PAGES:
        answer = session.get(base + path, timeout=30)
        html = answer.content
        raw, packed = len(html), len(gzip.compress(html, 6))
        for asset in sorted(set(ASSET_RE.findall(answer.text))):
            if asset not in assets:
                body = session.get(base + asset, timeout=30).content
                assets[asset] = (len(body), len(gzip.compress(body, 6)))
            raw += assets[asset][0]
            packed += assets[asset][1]
        results.append({"page": path, "status": answer.status_code, "html_kb": round(len(html) / 1024, 1),
                        "first_visit_kb": round(raw / 1024, 1), "transferred_kb": round(packed / 1024, 1),
                        "goal_met": packed / 1024 < GOAL_MEMBER_PAGE_KB})
    return results


def run(database: str, args, binary: str) -> dict:
    instance = Path(tempfile.mkdtemp(prefix=f"bench-pages-{database}-"))
    if database == "sqlite":
        url = args.sqlite_url or f"sqlite:///{instance / 'portal.db'}"
    else:
        url = args.postgres_url
    result = {"benchmark": "pages", "database": database, "scale": args.scale, "workers": 2, "connections": 16,
              "seconds_per_run": args.seconds}
    try:
        if not args.reuse:
            if database == "postgresql":
                prepare_postgres(url)
            result["build_seconds"] = round(build(url, instance, args.scale), 1)
        app = _app(url, instance)
        env = {**_environment(url, instance), "PORTAL_DATA_KEY": app.config["DATA_KEY"],
               "PORTAL_SECRET_KEY": app.config["SECRET_KEY"]}
        portal_port, bare_port = free_port(), free_port()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        portal = start([gunicorn, "--workers", "2", "--bind", f"127.0.0.1:{portal_port}", "--log-level", "warning",
                        "wsgi:app"], env, portal_port, "/healthz")
        try:
            base = f"http://127.0.0.1:{portal_port}"
            member, reviewer, member_id = sign_in(base, app)
            bare_env = {**env, "BARE_DATABASE_URL": url, "BARE_MEMBER_ID": str(member_id),
                        "BARE_DATA_KEY": app.config["DATA_KEY"]}
            bare = start([gunicorn, "--workers", "2", "--bind", f"127.0.0.1:{bare_port}", "--log-level", "warning",
                          "bench.bare_app:app"], bare_env, bare_port, "/claims")
            try:
                sessions = {"member": cookie_header(member), "reviewer": cookie_header(reviewer)}
                pages = []
                for name, portal_path, bare_path, who in PAGES:
                    wrk(binary, base + portal_path, 2, sessions[who])  # warm both, not counted
                    wrk(binary, f"http://127.0.0.1:{bare_port}{bare_path}", 2)
                    mine = measured(binary, base + portal_path, args.seconds, portal, sessions[who])
                    theirs = measured(binary, f"http://127.0.0.1:{bare_port}{bare_path}", args.seconds, bare)
                    pages.append({"page": name, "path": portal_path, "portal": mine, "bare": theirs,
                                  "ratio": round(mine["requests_per_second"] / theirs["requests_per_second"], 2),
                                  # bare's CPU per request over the portal's: the ratio an idle machine
                                  # (the servers CPU-bound) would show, steadier than req/s when shared.
                                  "cpu_ratio": round(theirs["cpu_ms_per_request"] / mine["cpu_ms_per_request"], 2)
                                  if mine["cpu_ms_per_request"] else None,
                                  "goal_met": mine["requests_per_second"] >= GOAL_RATIO * theirs["requests_per_second"]
                                  and mine["non_2xx"] == 0})
                result["pages"] = pages
                result["member_page_weight"] = page_weight(base, member)
            finally:
                stop(bare)
        finally:
            stop(portal)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--scale", type=float, default=0.1, help="of a city (1.0: 300,000 members)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="scale 0.01, 4 s per run")
    parser.add_argument("--postgres-url", default=os.environ.get("PORTAL_BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--sqlite-url", default=None)
    parser.add_argument("--reuse", action="store_true", help="use the database as it is (built before)")
    args = parser.parse_args()
    if args.quick:
        args.scale, args.seconds = 0.01, 4
    binary = ensure_wrk()
    databases = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for database in databases:
        if database == "postgresql":
            try:
                import psycopg

                psycopg.connect(args.postgres_url.replace("postgresql+psycopg://", "postgresql://")
                                .rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
            except Exception as error:  # noqa: BLE001 - any failure means: no PostgreSQL here
                print(json.dumps({"benchmark": "pages", "database": database, "skipped": str(error)}))
                continue
        print(json.dumps(run(database, args, binary), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
