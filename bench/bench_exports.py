"""Benchmark: a large staff export streams in flat memory (the audit log, the largest list).

Fills an SQLite database (or PostgreSQL with ``--postgres-url``) with N audit events, then runs the
administrator's audit-log export (``services.audit_log.export_audit``: the list's statement read
``yield_per`` into XlsxWriter's constant-memory mode) for each size, and prints JSON: rows,
seconds, the Python heap's peak during the export (tracemalloc) and the file's size. Flat memory
means the peak barely moves from 10,000 to 100,000 rows.

    .venv/bin/python bench/bench_exports.py                      # 10,000 and 100,000 rows on SQLite
    .venv/bin/python bench/bench_exports.py --sizes 1000 200000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()

    from sqlalchemy import insert

    from portal import create_app
    from portal.domain.roles import Role
    from portal.extensions import db
    from portal.models import AuditEvent, StaffUser
    from portal.services import audit_log

    workdir = tempfile.mkdtemp(prefix="bench-exports-")
    url = args.postgres_url or f"sqlite:///{os.path.join(workdir, 'bench.db')}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "SMS_BACKEND": "outbox", "HUEY_IMMEDIATE": True})
    results = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        admin = StaffUser(username="bench_admin", display_name="bench", role=Role.ADMIN)
        admin.set_password("bench-password-42")
        db.session.add(admin)
        db.session.commit()
        written = 0
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for size in sorted(args.sizes):
            batch = [{"at": start + timedelta(seconds=i), "actor_type": "staff", "actor_id": admin.id,
                      "actor_label": "reviewer1 (reviewer)", "action": "claim.approve", "entity": "claim",
                      "entity_id": str(100_000 + i), "ip": "10.0.0.7", "details": {"amount": 80_000}}
                     for i in range(written, size)]
            for chunk in range(0, len(batch), 10_000):
                db.session.execute(insert(AuditEvent), batch[chunk:chunk + 10_000])
            db.session.commit()
            written = size
            tracemalloc.start()
            began = time.perf_counter()
            export = audit_log.export_audit(admin, audit_log.AuditFilters())
            seconds = time.perf_counter() - began
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size_bytes = os.fstat(export.stream.fileno()).st_size
            export.stream.close()
            results.append({"rows": export.rows, "seconds": round(seconds, 2),
                            "peak_python_heap_mb": round(peak / 1_048_576, 1),
                            "file_mb": round(size_bytes / 1_048_576, 1)})
        db.session.remove()
        db.drop_all()
    print(json.dumps({"benchmark": "audit-log export (streamed xlsx)",
                      "database": "postgresql" if args.postgres_url else "sqlite", "results": results}, indent=2))


if __name__ == "__main__":
    main()
