"""The unit of work: one transaction per user action, committed once, by whoever started it.

Services never commit. A service that changes data is decorated with ``@unit_of_work``; the
outermost unit on the call stack opens the transaction and commits it when the action returns,
or rolls it back when anything is raised. An inner unit (a service called by another service, a
sync envelope applying ``claims.submit_claim``, a CLI import running many rows) simply joins the
outer one, so several actions and the caller's own records commit or vanish together. A caller
that must carry on after one item fails wraps that item in ``savepoint()``.

Races the database detects become the domain's ``Conflict``: a stale optimistic version
(``StaleDataError``) and a lost unique-key race (``IntegrityError`` on a UNIQUE constraint).
Work that must outlive a rollback (the audit of a refused attempt, a failed sign-in count) runs
in ``independent_unit()``, a session of its own that commits at once.

Side effects outside the database follow the transaction: ``after_commit(fn)`` runs ``fn`` once
the outermost unit commits (never if it rolls back) and ``on_rollback(fn)`` undoes what cannot be
rolled back by the database (a file written to disk for a document that was never recorded).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from portal.domain.errors import Conflict
from portal.domain.i18n import N_
from portal.extensions import db

_DEPTH = "uow_depth"
_AFTER_COMMIT = "uow_after_commit"
_ON_ROLLBACK = "uow_on_rollback"
_DEFERRED = "uow_deferred_rows"

STALE_MESSAGE = N_("该记录刚刚已被他人处理或修改，请刷新页面查看最新状态后再操作。")
DUPLICATE_MESSAGE = N_("同样的内容刚刚已经提交过了，请刷新页面查看。")


def is_unique_violation(error: BaseException) -> bool:
    """Whether a database error is a lost race for a UNIQUE key (not a broken CHECK or foreign key)."""
    original = getattr(error, "orig", error)
    if getattr(original, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(original)  # SQLite


def _as_conflict(error: BaseException) -> Conflict | None:
    if isinstance(error, StaleDataError):
        return Conflict(STALE_MESSAGE, code="stale")
    if isinstance(error, IntegrityError) and is_unique_violation(error):
        return Conflict(DUPLICATE_MESSAGE, code="duplicate")
    return None


@contextmanager
def transaction() -> Iterator[Session]:
    """Run the enclosed block as (part of) one unit of work; commit only at the outermost level."""
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        session.flush()  # surface constraint and version errors here, inside the unit that caused them
        if depth == 0:
            session.commit()
            _run_after_commit(session)  # when nothing was written, the session's own event does not fire
    except BaseException as error:
        if depth == 0:
            session.rollback()
            _forget_and_undo(session)
        conflict = _as_conflict(error)
        if conflict is not None:
            raise conflict from error
        raise
    finally:
        session.info[_DEPTH] = depth


def unit_of_work(func: Callable) -> Callable:
    """Decorate a service action: it runs in ``transaction()`` and never commits on its own."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction():
            return func(*args, **kwargs)

    wrapper.unit_of_work = True
    return wrapper


@contextmanager
def savepoint() -> Iterator[None]:
    """Let the enclosing unit keep going when the enclosed block fails: only the block is undone.

    Use it around each item of a batch (a bulk approval, the envelopes of a sync push); the error
    still propagates, so the caller records why the item failed.
    """
    session = db.session()
    _begin_on_sqlite(session)
    nested = session.begin_nested()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    commit_mark = len(session.info.get(_AFTER_COMMIT, ()))
    rollback_mark = len(session.info.get(_ON_ROLLBACK, ()))
    deferred_mark = len(session.info.get(_DEFERRED, ()))
    try:
        yield
        session.flush()
    except BaseException as error:
        # A failed flush leaves the savepoint deactivated rather than rolled back (the session
        # refuses any further work until it is): roll it back in that case too.
        if nested.is_active or session.get_nested_transaction() is nested:
            nested.rollback()
        # What the failed block registered belongs to it: its follow-ups never run, its undo does.
        del session.info.setdefault(_AFTER_COMMIT, [])[commit_mark:]
        undo = session.info.setdefault(_ON_ROLLBACK, [])
        for callback in reversed(undo[rollback_mark:]):
            callback()
        del undo[rollback_mark:]
        if session.info.get(_DEFERRED) is not None:  # its deferred rows go with it
            del session.info[_DEFERRED][deferred_mark:]
        conflict = _as_conflict(error)
        if conflict is not None:
            raise conflict from error
        raise
    else:
        nested.commit()
    finally:
        session.info[_DEPTH] = depth


def _begin_on_sqlite(session: Session) -> None:
    """Open SQLite's transaction before a savepoint: pysqlite begins one only before a write, and a
    SAVEPOINT outside a transaction starts one that its RELEASE commits, outer unit or not."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


@contextmanager
def independent_unit() -> Iterator[Session]:
    """A session of its own, committed at once: for records that must survive the action's rollback."""
    with Session(db.engine, expire_on_commit=False) as session:
        with session.begin():
            yield session


def write_apart(statement, *, wait: bool = True) -> int | None:
    """Run one write on a connection of its own, committed at once, so that it is seen while the
    caller's transaction is still open (a job's heartbeat); its row count. With ``wait=False``, on
    SQLite, where an open write transaction holds the only write lock, it gives up at once
    (``None``) instead of waiting for that lock."""
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite and not wait:
            waited = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            connection.exec_driver_sql("PRAGMA busy_timeout = 0")
        try:
            count = connection.execute(statement).rowcount
            connection.commit()
            return count
        except OperationalError:
            if wait or not sqlite:
                raise
            connection.rollback()
            return None
        finally:
            if sqlite and not wait:
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited)}")


@contextmanager
def rows_deferred() -> Iterator[None]:
    """Within: rows given to ``defer`` are added to the session together when the block ends, in
    one flush (one multi-row INSERT), instead of one INSERT each; those of a savepoint that failed
    are dropped with it, all of them if the block raises. For a batch of many items in one
    transaction (a kiosk push: every envelope writes its audit rows), so write-only rows that
    nothing reads back before the commit."""
    session = db.session()
    session.info[_DEFERRED] = []
    try:
        yield
        rows = session.info.get(_DEFERRED) or []
        if rows:
            session.add_all(rows)
            session.flush()
    finally:
        session.info.pop(_DEFERRED, None)


def defer(row) -> bool:
    """Keep ``row`` for the enclosing ``rows_deferred()`` block; False when there is none."""
    rows = db.session().info.get(_DEFERRED)
    if rows is None:
        return False
    rows.append(row)
    return True


def in_unit_of_work() -> bool:
    return db.session().info.get(_DEPTH, 0) > 0


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` once the current transaction commits; forget it if it rolls back."""
    db.session().info.setdefault(_AFTER_COMMIT, []).append(callback)


def on_rollback(callback: Callable[[], object]) -> None:
    """Run ``callback`` if the current transaction rolls back (to undo what the database cannot)."""
    db.session().info.setdefault(_ON_ROLLBACK, []).append(callback)


def init_app(app) -> None:
    """Hook the follow-ups to the session's life cycle (once, whatever the number of apps)."""
    for name, listener in (("after_commit", _run_after_commit), ("after_soft_rollback", _run_on_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # SQLAlchemy sends ``after_commit`` for a released savepoint too; the transaction goes on
        # and may still roll back, so its follow-ups (a text handed to the queue, which a worker
        # could look up before the row is committed) and undos stay where they are.
        return
    session.info.pop(_ON_ROLLBACK, None)
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


def _run_on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is not None:  # a savepoint: the outer unit goes on
        return
    _forget_and_undo(session)


def _forget_and_undo(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    for callback in reversed(session.info.pop(_ON_ROLLBACK, [])):
        callback()
