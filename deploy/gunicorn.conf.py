"""gunicorn for the portal in production: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Several stateless workers behind nginx (``deploy/nginx.conf.example``), PostgreSQL, and Redis for
what workers share. Every number can be set from the environment (``PORTAL_GUNICORN_*``).

Refuses to start several workers while anything they must share would live in one process's
memory: rate limits (``portal.security.shared_limits_problem``) and the task queue's progress
store (a roster's progress bar) when tasks run in-line. Sessions are signed cookies (one
``SECRET_KEY`` for every worker and machine), sign-in codes, nonces and lock-outs are rows in the
database, uploads are files in ``UPLOAD_FOLDER`` (a shared volume when there are several machines).
"""

import multiprocessing
import os


def _env(name: str, default):
    raw = os.environ.get(f"PORTAL_GUNICORN_{name}")
    return type(default)(raw) if raw not in (None, "") else default


bind = _env("BIND", "127.0.0.1:8000")
# Sync workers: the portal's work is CPU and short queries; two per core, plus one.
workers = _env("WORKERS", multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
# The app is imported once in the arbiter and forked: less memory, faster restarts; it opens no
# database connection at import, so none is shared across the fork.
preload_app = True
timeout = _env("TIMEOUT", 60)  # a request longer than this is a bug: the worker is replaced
graceful_timeout = _env("GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Replace each worker after this many requests (with jitter, not all at once): bounds any slow leak.
max_requests = _env("MAX_REQUESTS", 5000)
max_requests_jitter = _env("MAX_REQUESTS_JITTER", 500)
# Request limits (nginx applies its own first; bodies are bounded by MAX_CONTENT_LENGTH).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# The X-Forwarded-* headers are believed from nginx on this machine only; the app's ProxyFix
# (PORTAL_PROXY_FIX_X_FOR) decides how many proxies to trust for the client's address.
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = _env("LOGLEVEL", "info")
proc_name = "portal"


def shared_state_problems(config, workers: int) -> list[str]:
    """What several ``workers`` could not share with these settings (empty: nothing)."""
    from portal.security import shared_limits_problem

    problems = []
    limits = shared_limits_problem(config, workers)
    if limits:
        problems.append(limits)
    if workers > 1 and config.get("HUEY_IMMEDIATE"):
        problems.append("tasks run in-line (HUEY_IMMEDIATE) keep their progress in each worker's memory: "
                        "unset PORTAL_HUEY_IMMEDIATE and run a consumer (deploy/portal-tasks.service).")
    return problems


def on_starting(server):
    """Before any worker is forked: refuse a configuration whose workers would not share state."""
    import wsgi

    problems = shared_state_problems(wsgi.app.config, server.cfg.workers)
    if problems:
        for problem in problems:
            server.log.error("portal: %s", problem)
        raise SystemExit(f"portal refuses to start {server.cfg.workers} workers: " + " ".join(problems))
