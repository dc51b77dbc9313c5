"""Gunicorn settings read from the repository root (``gunicorn wsgi:app``): a start-up check.

Rate limits (sign-in, codes, kiosk pushes) live in Flask-Limiter's storage. In memory, each
worker keeps its own counts, so four workers allow four times the limit (issue 12 measured 59 of
60 staff sign-ins accepted at 20/min). Several workers therefore need shared storage: Redis
(``PORTAL_REDIS_URL``); gunicorn refuses to start without it.
"""

from __future__ import annotations


def on_starting(server):
    from portal import create_app
    from portal.security import shared_limits_problem

    problem = shared_limits_problem(create_app().config, server.cfg.workers)
    if problem:
        server.log.error(problem)
        raise SystemExit(problem)
