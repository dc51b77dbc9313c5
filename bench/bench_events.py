"""Benchmark: singles' events at the article's scale, and the evaluation's panel draw.

- ``register``: members registering at once from client threads for one balanced event (each a
  unit of work through ``services.events.singles.register``, in-process, no HTTP), to see how
  fast places go under the row lock and that the counters end exactly at capacity. On SQLite a
  writer that loses the race is refused ("database is locked", counted by error name) rather
  than waiting: the embedded default is for one machine; PostgreSQL queues them on the lock;
- ``figures``: the staff page's figures over 30 events with about 6,700 registrations, 3,000
  attended and their choices (the article: 30 events, ~6,700 registered, 3,000+ attended, 346
  matched), built with bulk inserts, then ``queries.figures`` timed;
- ``panels``: ``domain.evaluation.form_panels`` for 18 units (the article) and for 1,800.

Prints JSON. SQLite in a temporary directory by default; ``--postgres-url`` adds a run on a
scratch PostgreSQL database ``bench_events`` (dropped and created).

    .venv/bin/python bench/bench_events.py
    .venv/bin/python bench/bench_events.py --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PORTAL_HUEY_IMMEDIATE", "1")  # texts go to the outbox in-process

from portal.clock import CHINA  # noqa: E402

TODAY = date(2026, 7, 1)
NOW = datetime.combine(TODAY, clock_time(10), tzinfo=CHINA)


def _app(url: str, instance: Path):
    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "SMS_BACKEND": "outbox", "SMS_ECHO": False, "UPLOAD_FOLDER": str(instance / "uploads"),
                      "HUEY_IMMEDIATE": True})
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def _members(union, count: int, first: int = 0) -> list:
    from portal.domain.identity import compose_id_number, parse_id_number
    from portal.extensions import db
    from portal.models import Member

    people = []
    for index in range(first, first + count):
        birth = date(1990 + index % 12, 1 + index % 12, 1 + index % 28)
        member = Member(name=f"职工{index}", union=union)
        member.set_identity(parse_id_number(compose_id_number("320213", birth, index % 1000), today=TODAY))
        member.set_mobile(f"139{index:08d}")
        db.session.add(member)
        people.append(member)
    db.session.commit()
    return people


def bench_register(app, *, members: int, capacity: int, threads: int) -> dict:
    from sqlalchemy import func, select

    from portal.domain.errors import Conflict
    from portal.extensions import db
    from portal.models import Member, SinglesEvent, SinglesParticipant, add_union
    from portal.services.events import singles

    with app.app_context():
        federation = add_union("WX", "无锡市总工会", "federation")
        db.session.commit()
        ids = [m.id for m in _members(federation, members)]
        event = SinglesEvent(union=federation, title="缘起工会", place="文化宫", held_on=TODAY + timedelta(days=20),
                             starts_at=clock_time(14), ends_at=clock_time(17), capacity=capacity, balanced=True,
                             min_age=18, max_age=60, registration_opens_on=TODAY - timedelta(days=1),
                             registration_closes_on=TODAY + timedelta(days=10), status="published", places_taken=0,
                             men_taken=0, women_taken=0, last_number=0, description="")
        db.session.add(event)
        db.session.commit()
        event_id = event.id
    chunks = [ids[i::threads] for i in range(threads)]
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def run(chunk):
        with app.app_context():
            barrier.wait()
            for member_id in chunk:
                try:
                    singles.register(db.session.get(Member, member_id), event_id, declared_single=True,
                                     accepted_privacy=True, now=NOW)
                    key = "registered"
                except Conflict as error:
                    key = error.code
                except Exception as error:  # noqa: BLE001 - counted: SQLite refuses a second writer
                    key = type(error).__name__ + ": " + str(error).splitlines()[0][:90]
                finally:
                    db.session.remove()
                with lock:
                    outcomes[key] = outcomes.get(key, 0) + 1

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    with app.app_context():
        fresh = db.session.get(SinglesEvent, event_id)
        rows = db.session.scalar(select(func.count()).select_from(SinglesParticipant))
        result = {"members": members, "threads": threads, "capacity": capacity, "seconds": round(elapsed, 2),
                  "attempts_per_second": round(members / elapsed, 1), "outcomes": outcomes,
                  "places_taken": fresh.places_taken, "men": fresh.men_taken, "women": fresh.women_taken,
                  "rows": rows, "within_capacity": fresh.places_taken <= capacity
                  and max(fresh.men_taken, fresh.women_taken) * 2 <= capacity}
        db.session.remove()
    return result


def bench_figures(app, *, events: int, per_event: int) -> dict:
    from sqlalchemy import insert

    from portal.domain.roles import Role
    from portal.extensions import db
    from portal.models import SinglesChoice, SinglesEvent, SinglesParticipant, StaffUser, Union
    from portal.services.events import queries

    with app.app_context():
        federation = db.session.query(Union).filter_by(code="WX").one()
        people = _members(federation, per_event, first=5000)
        admin = StaffUser(username="bench-admin", display_name="bench", role=Role.ADMIN, password_hash="x",
                          is_active_account=True)
        db.session.add(admin)
        db.session.commit()
        attended_total = matched_pairs = 0
        for number in range(events):
            event = SinglesEvent(union=federation, title=f"第{number + 1}场", place="文化宫",
                                 held_on=TODAY - timedelta(days=30 * number), starts_at=clock_time(14),
                                 ends_at=clock_time(17), capacity=per_event, balanced=False, min_age=18, max_age=60,
                                 registration_opens_on=TODAY - timedelta(days=30 * number + 20),
                                 registration_closes_on=TODAY - timedelta(days=30 * number + 3),
                                 status="published", places_taken=per_event, men_taken=per_event, women_taken=0,
                                 last_number=per_event, description="")
            db.session.add(event)
            db.session.flush()
            attended = int(per_event * 0.45)
            rows = [{"event_id": event.id, "member_id": member.id, "union_id": federation.id, "number": n + 1,
                     "gender": member.gender, "status": "attended" if n < attended else "confirmed",
                     "declared_single_at": NOW, "created_at": NOW, "updated_at": NOW}
                    for n, member in enumerate(people)]
            db.session.execute(insert(SinglesParticipant), rows)
            ids = dict(db.session.query(SinglesParticipant.number, SinglesParticipant.id)
                       .filter_by(event_id=event.id).all())
            choices = []
            for n in range(1, attended, 2):  # pairs (n, n+1); about one pair in four chooses both ways
                choices.append({"event_id": event.id, "participant_id": ids[n], "chosen_number": n + 1,
                                "created_at": NOW})
                if n % 8 == 1:
                    choices.append({"event_id": event.id, "participant_id": ids[n + 1], "chosen_number": n,
                                    "created_at": NOW})
                    matched_pairs += 1
            db.session.execute(insert(SinglesChoice), choices)
            attended_total += attended
        db.session.commit()
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            figures = queries.figures(admin)
            timings.append(time.perf_counter() - started)
        result = {"events": figures.events, "registered": figures.registered, "attended": figures.attended,
                  "matched": figures.matched, "expected_matched": matched_pairs,
                  "best_ms": round(min(timings) * 1000, 1), "median_ms": round(sorted(timings)[2] * 1000, 1)}
        db.session.remove()
    return result


def bench_panels() -> dict:
    from portal.domain import evaluation

    result = {}
    for units, size in ((18, 3), (1800, 3)):
        started = time.perf_counter()
        panels = evaluation.form_panels(range(units), size, "2023-huishan")
        result[f"{units}_units"] = {"panels": len(panels), "sheets": len(evaluation.assignments(panels)),
                                    "ms": round((time.perf_counter() - started) * 1000, 2)}
    return result


def run(url: str, instance: Path, args) -> dict:
    app = _app(url, instance)
    result = {"register": bench_register(app, members=args.members, capacity=args.capacity, threads=args.threads),
              "figures": bench_figures(app, events=args.events, per_event=args.per_event)}
    with app.app_context():
        from portal.extensions import db

        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=600, help="members registering at once")
    parser.add_argument("--capacity", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--per-event", type=int, default=223, help="registrations per event (30 × 223 ≈ 6,700)")
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    report = {"panels": bench_panels()}
    with tempfile.TemporaryDirectory() as tmp:
        report["sqlite"] = run(f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args)
        if args.postgres_url:
            import psycopg
            from sqlalchemy.engine import make_url

            base = make_url(args.postgres_url)
            admin = base.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute('DROP DATABASE IF EXISTS "bench_events"')
                connection.execute('CREATE DATABASE "bench_events"')
            try:
                report["postgresql"] = run(base.set(database="bench_events").render_as_string(hide_password=False),
                                           Path(tmp), args)
            finally:
                with psycopg.connect(admin, autocommit=True) as connection:
                    connection.execute('DROP DATABASE IF EXISTS "bench_events"')
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
