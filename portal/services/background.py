"""Handing work to the task queue without importing it.

Services never import the task module (it imports the services to run them): they name the
task and its arguments, and the hand-off happens only once their unit of work commits, so a
rolled-back action never starts a task and a task never reads rows that are not there yet.
``create_app`` binds the queue (the task module's ``init_app``); with ``HUEY_IMMEDIATE`` (the tests)
the task runs in-line right after the commit.

Progress of long work (a roster's check and import) is kept in the queue's own storage, which
every web worker and consumer shares (Redis in production, SQLite in the embedded default).
"""

from __future__ import annotations

import functools

from flask import current_app

from portal.services.unit_of_work import after_commit, in_unit_of_work


def _queue():
    return current_app.extensions["task_queue"]


def run_after_commit(task_name: str, *args) -> None:
    """Enqueue ``task_name(*args)`` once the current unit of work commits (at once outside one)."""
    if in_unit_of_work():
        after_commit(functools.partial(_enqueue, current_app._get_current_object(), task_name, args))
    else:
        _queue().enqueue(task_name, *args)


def _enqueue(app, task_name: str, args: tuple) -> None:
    app.extensions["task_queue"].enqueue(task_name, *args)


def put_progress(key: str, value: dict) -> None:
    _queue().put(key, value)


def get_progress(key: str) -> dict | None:
    return _queue().peek(key)
