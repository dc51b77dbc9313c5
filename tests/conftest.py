"""Shared fixtures: one app per test session on a real database, emptied after every test.

SQLite (a file, so threads share it) by default; PostgreSQL when PORTAL_TEST_DATABASE_URL is set.
CSRF protection and rate limits stay on, as in production.
"""

from __future__ import annotations

import contextvars
import os
import re
from contextlib import contextmanager
from urllib.parse import quote

os.environ.setdefault("PORTAL_HUEY_IMMEDIATE", "1")  # before portal.tasks is imported

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from portal import create_app
from portal.extensions import db, limiter

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CODE_RE = re.compile(r"(?:验证码为|确认码)(\d{6})")

IS_POSTGRES = bool(os.environ.get("PORTAL_TEST_DATABASE_URL", "").startswith("postgres"))


def pytest_collection_modifyitems(config, items):
    if IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (make test runs the suite there too)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own ``g`` and database session.

    Without this, the test's own app context would be reused by every request (Flask reuses an
    outer context of the same app) and state would leak between requests.
    """

    def open(self, *args, **kwargs):
        # Buffered, as a server sends it: the whole body is read and the response closed, so a
        # streamed file (an Excel export from an unnamed temporary file) is closed too.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    url = os.environ.get("PORTAL_TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.db'}"
    # A test database need not survive a power cut: not waiting for each commit's WAL flush makes
    # the PostgreSQL run about twice as fast and changes nothing a test can see.
    engine_options = ({"pool_pre_ping": True, "connect_args": {"options": "-c synchronous_commit=off"}}
                      if IS_POSTGRES else {})
    app = create_app({
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key",
        "SMS_ECHO": False,
        "SMS_BACKEND": "outbox",
        "UPLOAD_FOLDER": str(instance / "uploads"),
        "HUEY_IMMEDIATE": True,
        # The dashboard's summary is refreshed by every dashboard read (the figures then follow each
        # test's data at once); tests/services/test_dashboard_summary.py sets a real age to test staleness.
        "DASHBOARD_SUMMARY_MAX_AGE": 0,
        # The same algorithm at 1/32 of the cost: the suite signs staff in about a thousand times.
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app):
    """Every test runs inside the app; afterwards every table is emptied and limits reset."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        tables = [table.name for table in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                _empty_postgres(connection, tables)
            else:
                for table in tables:
                    connection.execute(text(f"DELETE FROM {table}"))
    limiter.reset()


def _empty_postgres(connection, tables: list[str]) -> None:
    """Empty only the tables that hold rows, then restart every sequence that moved.

    A TRUNCATE swaps the files of each table and index: about two seconds per test on a busy
    machine, even for a test that wrote nothing, where a DELETE of a few rows costs milliseconds.
    Asking which tables hold rows costs one query; sequences restart too (a rolled-back insert moves
    one without leaving a row), so ids begin at 1 again as they did with RESTART IDENTITY.
    """
    # The audit log refuses DELETE by trigger (it is append-only); a test database is emptied as
    # a replica would be, with triggers off (a superuser's setting, not the application's).
    connection.execute(text("SET LOCAL session_replication_role = replica"))
    used = [row[0] for row in connection.execute(text(" UNION ALL ".join(
        f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in tables)))]
    for table in used:  # children first (``tables`` is in reverse dependency order)
        connection.execute(text(f'DELETE FROM "{table}"'))
    connection.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                            "FROM pg_sequences WHERE last_value IS NOT NULL"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on ``url``, as a browser would have it."""
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no form with a CSRF token on {url} ({page.status_code})"
    return match.group(1)


def post_form(client, url: str, data: dict, *, form_page: str | None = None, **kwargs):
    """POST like a browser: fetch the form page for its token, then submit."""
    token = csrf_token(client, form_page or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def sent_code(member, kind: str = "login_code", *, mobile: str | None = None) -> str:
    """The latest code texted to ``member`` (or to ``mobile``) of ``kind``, read from the text as
    the phone receives it: the stored body holds the code masked."""
    from portal.models import SmsMessage
    from portal.services.sms import delivered_text

    db.session.expire_all()
    query = db.session.query(SmsMessage).filter_by(kind=kind)
    query = query.filter_by(member_id=member.id) if member is not None else query
    messages = [message for message in query.order_by(SmsMessage.id.desc()) if mobile in (None, message.mobile)]
    assert messages, f"no {kind} text was sent"
    return CODE_RE.search(delivered_text(messages[0])).group(1)


def totp_code(user_or_username) -> str:
    """The code the account's authenticator app shows now, as its holder would type it.

    A code is accepted once per 30-second step: when this account already signed in during this
    step, the next step's code is given (accepted too, for clock drift); when that was used as well
    (a third sign-in within seconds), the account's last used step is moved back, as if half a
    minute had passed. Tests of replay itself type their codes with pyotp directly.
    """
    import time

    import pyotp
    from sqlalchemy import select

    from portal.domain.two_factor import time_step
    from portal.models import StaffUser

    db.session.expire_all()
    user = (db.session.scalar(select(StaffUser).where(StaffUser.username == user_or_username))
            if isinstance(user_or_username, str) else db.session.get(StaffUser, user_or_username.id))
    assert user is not None and user.totp_secret, f"{user_or_username} has no two-factor"
    now = time_step(time.time())
    last = user.totp_last_step
    if last is not None and last >= now + 1:
        user.totp_last_step = now - 1
        db.session.commit()
        last = now - 1
    step = now if last is None or last < now else now + 1
    return pyotp.TOTP(user.totp_secret).generate_otp(step)


class Auth:
    """Sign in through the real forms, as a person would."""

    def __init__(self, client):
        self.client = client

    def staff(self, username: str, password: str = "correct-horse-42", *, next: str | None = None):
        """Password, then (administrators, reviewers, anyone enrolled) the two-factor code.

        Returns the answer of the last step: a redirect to the dashboard (or ``next``) once signed in.
        """
        url = "/auth/staff/login" + (f"?next={quote(next, safe='')}" if next else "")
        answer = post_form(self.client, url, {"username": username, "password": password},
                           form_page="/auth/staff/login")
        if answer.status_code == 302 and answer.headers["Location"].endswith("/auth/staff/two-factor"):
            answer = post_form(self.client, "/auth/staff/two-factor", {"code": totp_code(username)})
        return answer

    def member(self, member):
        post_form(self.client, "/auth/member/login", {"id_number": member.id_number, "mobile": member.mobile})
        return post_form(self.client, "/auth/member/code", {"code": sent_code(member)})

    def logout(self):
        return post_form(self.client, "/auth/logout", {}, form_page="/")


@pytest.fixture
def auth(client):
    return Auth(client)


class StatementLog:
    """The SQL statements one block sent to the database (``count_queries``)."""

    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __len__(self) -> int:
        return self.count

    def __str__(self) -> str:
        return "\n".join(f"{number:3d}. {' '.join(statement.split())[:160]}"
                         for number, statement in enumerate(self.statements, start=1) if number <= 60)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as log: client.get(url)``: ``log.count`` statements were sent.

    Every statement on the app's engine is counted (savepoints and the user loader included), so
    a page's count is the same for the same data; an N+1 shows as a count that grows with the rows.
    """

    @contextmanager
    def counting():
        log = StatementLog()

        def record(conn, cursor, statement, parameters, context, executemany):
            log.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield log
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


def assert_same_count(small: StatementLog, large: StatementLog, what: str) -> None:
    """The page sent as many statements with three times the rows: no query per row."""
    assert large.count == small.count, (
        f"{what}: {small.count} statements with the smaller data, {large.count} with three times as many rows "
        f"(a query per row?)\n-- smaller:\n{small}\n-- larger:\n{large}")
