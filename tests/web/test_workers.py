"""The production shape for real: gunicorn with two workers (``deploy/gunicorn.conf.py``) on
PostgreSQL and Redis, and nothing a request needs kept in one worker's memory.

Which worker answers is chosen on purpose, not left to chance: a sync worker serves one
connection at a time, so a connection that has sent half a request holds its worker, and every
other request goes to the other one. Holding one worker, then the other, a test does a first step
on one worker and the next step on the other; gunicorn's access log (with the worker's pid)
proves they were two processes. Then a sign-in code asked on one worker is accepted on the other,
a roster's progress bar reads the same on both, and a rate limit counts the requests of both.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from portal.domain.roles import Role
from portal.extensions import db
from tests.conftest import CSRF_RE, IS_POSTGRES, sent_code
from tests.factories import create_member, create_plan, create_staff, create_union

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Portal:
    """``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` with two workers on loopback."""

    def __init__(self, app, redis_url: str, *, workers: int = 2, extra_env: dict | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(app.instance_path) / f"workers-{self.port}.log"
        self.env = {**os.environ,
                    "PORTAL_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                    "PORTAL_INSTANCE_PATH": app.instance_path, "PORTAL_SECRET_KEY": app.config["SECRET_KEY"],
                    "PORTAL_DATA_KEY": app.config["DATA_KEY"], "PORTAL_UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
                    "PORTAL_REDIS_URL": redis_url, "PORTAL_HUEY_IMMEDIATE": "0", "PORTAL_SMS_ECHO": "0",
                    # This run's own limit counters, whatever else shares the Redis database.
                    "PORTAL_RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
                    "PORTAL_GUNICORN_BIND": f"127.0.0.1:{self.port}", "PORTAL_GUNICORN_WORKERS": str(workers),
                    **(extra_env or {})}
        if not redis_url:
            self.env.pop("PORTAL_REDIS_URL")
        self.process: subprocess.Popen | None = None

    def start(self) -> Portal:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(gunicorn), "-c", "deploy/gunicorn.conf.py", "--access-logformat", "%(p)s|%(m)s|%(U)s|%(q)s|%(s)s",
                 "wsgi:app"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return self
            try:
                if requests.get(self.url + "/healthz", timeout=10).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def log_lines(self) -> list[list[str]]:
        """The access log: [pid, method, path, query, status] per request."""
        return [line.split("|") for line in self.log.read_text().splitlines() if line.count("|") == 4]

    def _free_worker(self) -> str:
        """Which worker answers now: a probe to ``/healthz``, found in the access log (written just
        after the answer, so read until it is there, bounded)."""
        probe = f"probe-{uuid.uuid4().hex}"
        requests.get(f"{self.url}/healthz?{probe}", timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for pid, _, path, query, _ in self.log_lines():
                if path == "/healthz" and query == probe:
                    return pid
            time.sleep(0.02)
        raise AssertionError(f"no access line for {probe}")

    def _hold(self) -> socket.socket:
        """Half a request: the worker that takes it serves nothing else until it is completed."""
        held = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        held.sendall(b"GET /healthz?held HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        return held

    @staticmethod
    def _release(held: socket.socket) -> None:
        held.sendall(b"Connection: close\r\n\r\n")
        held.recv(65536)
        held.close()

    @contextmanager
    def worker_other_than(self, pid: str | None):
        """Within the block, every request is answered by one worker, not ``pid``; yields its pid.

        A sync worker serves one connection at a time: one held with half a request leaves the other
        worker to answer everything. If the free one is ``pid``, a second hold takes it and the first
        is released, which frees the other. On leaving, every held request is completed."""
        held = [self._hold()]
        try:
            free = self._free_worker()
            if free == pid:
                held.append(self._hold())  # taken by ``pid``, the only worker accepting
                self._release(held.pop(0))
                free = self._free_worker()
            assert free != pid, "the other worker should be the only one free"
            yield free
        finally:
            for connection in held:
                self._release(connection)


@pytest.fixture
def redis_url():
    import redis

    url = f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return url


@pytest.fixture
def portal(app, redis_url):
    server = Portal(app, redis_url).start()
    assert server.process.poll() is None, server.log.read_text()[-3000:]
    yield server
    server.stop()


def _form_token(session: requests.Session, url: str) -> str:
    return CSRF_RE.search(session.get(url, timeout=30).text).group(1)


@pytest.mark.postgres_only
def test_a_code_a_progress_bar_and_a_limit_hold_across_two_workers(app, portal, redis_url):
    assert IS_POSTGRES
    union = create_union("WK01")
    member = create_member(union=union, name="王五", mobile="13861800077")
    create_staff("wk_officer", Role.UNION_OFFICER, union=union)
    plan = create_plan(code="WKPLAN")
    from portal.models import RosterImport

    roster = RosterImport(union_id=union.id, plan_id=plan.id, filename="名单.xlsx", content_hash="0" * 64,
                          stored_name="x.xlsx", status="importing", total_rows=1000)
    db.session.add(roster)
    db.session.commit()

    # 1. A sign-in code asked for on one worker is accepted on the other (codes live in the database,
    # the half-done sign-in in the signed session cookie).
    visitor = requests.Session()
    with portal.worker_other_than(None) as asked_on:
        token = _form_token(visitor, portal.url + "/auth/member/login")
        answer = visitor.post(portal.url + "/auth/member/login", timeout=30, allow_redirects=False, data={
            "csrf_token": token, "id_number": member.id_number, "mobile": member.mobile})
        assert answer.status_code == 302, answer.text[:500]
    code = sent_code(member)
    with portal.worker_other_than(asked_on) as checked_on:
        token = _form_token(visitor, portal.url + "/auth/member/code")
        answer = visitor.post(portal.url + "/auth/member/code", timeout=30, allow_redirects=False,
                              data={"csrf_token": token, "code": code})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/me/"), answer.text[:500]
    assert checked_on != asked_on
    assert "王" in visitor.get(portal.url + "/me/", timeout=30).text

    # 2. A roster's progress bar, written by the task consumer into the queue's storage (Redis),
    # reads the same on every worker.
    from huey import Huey
    from huey.storage import RedisStorage

    queue = Huey("portal", storage_class=RedisStorage, url=redis_url)
    officer = requests.Session()
    token = _form_token(officer, portal.url + "/auth/staff/login")
    assert officer.post(portal.url + "/auth/staff/login", timeout=30, allow_redirects=False, data={
        "csrf_token": token, "username": "wk_officer", "password": "correct-horse-42"}).status_code == 302
    key = f"roster-progress:{roster.id}"
    try:
        seen = []
        for done in (400, 700):
            queue.put(key, {"phase": "importing", "done": done, "total": 1000})
            with portal.worker_other_than(seen[-1] if seen else None) as pid:
                page = officer.get(f"{portal.url}/enrollment/rosters/{roster.id}/status", timeout=30).text
            assert f'max="1000" value="{done}"' in page, page[:1000]
            seen.append(pid)
        assert len(set(seen)) == 2
    finally:
        queue.get(key)  # read and removed

    # 3. A rate limit (staff sign-in: 20 a minute per address) counts the requests of both workers:
    # alternating workers, the 21st sign-in from this address is refused.
    stranger = requests.Session()
    token = _form_token(stranger, portal.url + "/auth/staff/login")
    statuses, pids, pid = [], set(), None
    while len(statuses) < 30 and 429 not in statuses:
        with portal.worker_other_than(pid) as pid:
            statuses.append(stranger.post(portal.url + "/auth/staff/login", timeout=30, allow_redirects=False, data={
                "csrf_token": token, "username": "nobody", "password": "wrong-password-1"}).status_code)
        pids.add(pid)
    assert len(pids) == 2
    assert statuses.index(429) == 20 - 1, statuses  # the officer's sign-in above was the first of 20


def test_gunicorn_refuses_two_workers_with_limits_in_memory(app):
    server = Portal(app, "", extra_env={"PORTAL_RATELIMIT_STORAGE_URI": ""}).start()
    try:
        assert server.process.wait(timeout=60) != 0
        assert "refuses to start 2 workers" in server.log.read_text()
    finally:
        server.stop()
