"""Roster import benchmark: a valid 100,000-row .xlsx imported on SQLite and on PostgreSQL.

Prints one JSON object per database: seconds, rows_per_second and peak_memory_mb (the peak
resident memory of the process that imported, each database in a process of its own), plus the
time Fernet encryption of the ID numbers and mobiles takes on its own, for comparison; and the
cost of reading the file safely (``safe_parse``: a child process under limits, rows back as
JSON) against reading it with python-calamine in this process (best of three each); and the
same file through a bare baseline in a process of its own: parsed with python-calamine and
bulk-inserted with the raw driver (``sqlite3`` executemany, psycopg ``COPY``) into a plain table,
no validation, no encryption. ``ratio`` is the portal's time over the baseline's (goal ≤ 3, with
peak memory under 250 MB).

    .venv/bin/python bench/bench_roster_import.py [--rows 100000]

PostgreSQL: ``PORTAL_BENCH_PG_URL`` (default: the local ``bench_enrollment`` database, created
when missing); skipped with a note when it does not answer.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.proc_cpu import process_cpu  # noqa: E402 - the project root is on the path only now

os.environ.setdefault("PORTAL_HUEY_IMMEDIATE", "1")

PG_URL = os.environ.get("PORTAL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_enrollment")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红建国志海燕晨阳涵浩然欣怡"
OCCUPATIONS = ("快递员", "外卖配送员", "网约车司机", "货车司机", "企业职工", "环卫工人")


def generate(path: Path, rows: int) -> None:
    """A roster as officers fill it: a title row, the template's headers, valid distinct people."""
    import xlsxwriter

    from portal.domain.identity import compose_id_number

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("参保名单")
    sheet.write_string(0, 0, "无锡市快递行业工会联合会 参保名单")
    headers = ("姓名", "身份证号", "手机号", "职业", "是否新就业形态劳动者", "是否参加社保")
    for column, header in enumerate(headers):
        sheet.write_string(1, column, header)
    first = date(1970, 1, 1)
    for index in range(rows):
        birth = first + timedelta(days=index % 10_000)
        number = compose_id_number("320213", birth, index // 10_000)
        occupation = OCCUPATIONS[index % len(OCCUPATIONS)]
        name = SURNAMES[index % len(SURNAMES)] + GIVEN[index // 7 % len(GIVEN)] + GIVEN[index // 3 % len(GIVEN)]
        values = (name, number, f"139{index:08d}", occupation,
                  "是" if index % len(OCCUPATIONS) < 4 else "否", "是")
        for column, value in enumerate(values):
            sheet.write_string(index + 2, column, value)
    workbook.close()


def run_one(url: str, roster: Path) -> dict:
    """Import ``roster`` into a fresh schema at ``url`` (in this process) and measure it."""
    from portal import create_app
    from portal.domain.plans import BenefitSchedule
    from portal.extensions import db
    from portal.models import Plan, UnionKind, add_union
    from portal.services.enrollment.rosters import import_roster_file

    instance = tempfile.mkdtemp(prefix="bench-instance-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "UPLOAD_FOLDER": instance,
                      "SMS_ECHO": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        union = add_union("LX01", "梁溪区快递行业工会联合会", UnionKind.GRASSROOTS)
        db.session.add(Plan.from_schedule("SANHEYI", "职工住院+重疾+意外三合一互助保障", BenefitSchedule()))
        db.session.commit()
        data = roster.read_bytes()
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        server_before = server_cpu_seconds(db)
        children_before = _children_cpu()
        cpu_started = time.process_time()
        started = time.perf_counter()
        outcome = import_roster_file(union, data, roster.name)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        server_after = server_cpu_seconds(db)
        vault = app.extensions["pii_vault"]
        sample = 10_000
        enc_started = time.perf_counter()
        for index in range(sample):
            vault.encrypt(f"3202131990010{index:05d}")
        encrypt_each = (time.perf_counter() - enc_started) / sample
        result = {
            "database": db.engine.dialect.name,
            "rows": outcome.total_rows,
            "created": outcome.created,
            "errors": len(outcome.errors),
            "seconds": round(seconds, 2),
            "rows_per_second": round(outcome.total_rows / seconds),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "memory_before_import_mb": round(baseline, 1),  # the app and its libraries, loaded
            # Figures the machine's load hardly moves: CPU of this process (all its threads), of the
            # sheet's reader (a child), and of the PostgreSQL server processes of this database.
            "cpu_seconds": round(cpu_seconds, 2),
            "reader_cpu_seconds": round(_children_cpu() - children_before, 2),
            "server_cpu_seconds": None if server_before is None or server_after is None
            else round(server_after - server_before, 2),
            # Two Fernet encryptions a new member (ID number and mobile), measured apart from the import.
            "fernet_seconds_per_100k_rows": round(encrypt_each * 2 * 100_000, 2),
        }
        # No drop_all here: SQLite checks foreign keys row by row when dropping a full table, which
        # would take minutes; the SQLite file is temporary and PostgreSQL is reset at the next run.
        db.session.remove()
        db.engine.dispose()
    return result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_cpu_seconds(db) -> float | None:
    """CPU (user + system) the PostgreSQL processes serving this database have used so far, read
    from /proc (a server on this machine, readable by this user); ``None`` on SQLite or otherwise."""
    from sqlalchemy import text

    if db.engine.dialect.name != "postgresql":
        return None
    with db.engine.connect() as connection:
        pids = connection.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars().all()
    used = [process_cpu(pid) for pid in pids]
    return None if None in used else sum(used)


def read_overhead(roster: Path) -> dict:
    """Reading the roster in a child process under limits against reading it here."""
    import io

    from python_calamine import CalamineWorkbook

    from portal.integrations.safe_parse import read_sheet

    data = roster.read_bytes()

    def best(read) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            read()
            times.append(time.perf_counter() - started)
        return min(times)

    direct = best(lambda: list(CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).iter_rows()))
    safe = best(lambda: read_sheet(data, roster.name))
    return {"read": "safe_parse", "rows": len(read_sheet(data, roster.name).rows),
            "in_process_seconds": round(direct, 3), "child_process_seconds": round(safe, 3),
            "overhead_seconds": round(safe - direct, 3),
            "child_peak_memory_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def run_baseline(url: str, roster: Path) -> dict:
    """Only what any import must do: read the sheet (python-calamine) and bulk-insert its rows."""
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    cpu_started = time.process_time()
    server_cpu = None
    rows = CalamineWorkbook.from_path(str(roster)).get_sheet_by_index(0).to_python(skip_empty_area=True)
    records = [tuple(str(value) for value in row[:6]) for row in rows[2:] if any(row)]
    columns = "name text, id_number text, mobile text, occupation text, is_gig text, social text"
    if url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        connection.execute("DROP TABLE IF EXISTS baseline_roster")
        connection.execute(f"CREATE TABLE baseline_roster ({columns})")
        connection.executemany("INSERT INTO baseline_roster VALUES (?, ?, ?, ?, ?, ?)", records)
        connection.commit()
        connection.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("+psycopg", "")) as connection:
            server_started = process_cpu(connection.info.backend_pid)
            connection.execute("DROP TABLE IF EXISTS baseline_roster")
            connection.execute(f"CREATE TABLE baseline_roster ({columns})")
            with connection.cursor().copy("COPY baseline_roster FROM STDIN") as copy:
                for record in records:
                    copy.write_row(record)
            server_ended = process_cpu(connection.info.backend_pid)
            if server_started is not None and server_ended is not None:
                server_cpu = round(server_ended - server_started, 2)
    seconds = time.perf_counter() - started
    return {"baseline": "calamine + raw driver", "rows": len(records), "seconds": round(seconds, 2),
            "cpu_seconds": round(time.process_time() - cpu_started, 2), "server_cpu_seconds": server_cpu,
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def postgres_ready(url: str) -> bool:
    import psycopg

    plain = url.replace("+psycopg", "")
    try:
        psycopg.connect(plain, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        server, _, name = plain.rpartition("/")
        try:
            with psycopg.connect(f"{server}/postgres", connect_timeout=3, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            return True
        except psycopg.Error:
            return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--run", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run[0], Path(args.run[1]))))
        return
    if args.baseline:
        print(json.dumps(run_baseline(args.baseline[0], Path(args.baseline[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-roster-") as folder:
        roster = Path(folder) / "roster.xlsx"
        started = time.perf_counter()
        generate(roster, args.rows)
        print(json.dumps({"generated_rows": args.rows, "file_mb": round(roster.stat().st_size / 2**20, 1),
                          "generate_seconds": round(time.perf_counter() - started, 2)}))
        print(json.dumps(read_overhead(roster)))
        targets = [f"sqlite:///{Path(folder) / 'bench.db'}"]
        if postgres_ready(PG_URL):
            targets.append(PG_URL)
        else:
            print(json.dumps({"database": "postgresql", "skipped": f"not reachable at {PG_URL}"}))
        for url in targets:
            # A process per database (and for the baseline), so the peak memory is that import's alone.
            answer = subprocess.run([sys.executable, __file__, "--run", url, str(roster)], capture_output=True,
                                    text=True, check=False)
            if answer.returncode != 0:
                print(json.dumps({"url": url, "failed": answer.stderr.strip().splitlines()[-1:]}))
                continue
            result = json.loads(answer.stdout.strip().splitlines()[-1])
            bare = subprocess.run([sys.executable, __file__, "--baseline", url, str(roster)], capture_output=True,
                                  text=True, check=True)
            baseline = json.loads(bare.stdout.strip().splitlines()[-1])
            result.update(benchmark="roster import", baseline_seconds=baseline["seconds"],
                          baseline_peak_memory_mb=baseline["peak_memory_mb"],
                          baseline_cpu_seconds=baseline["cpu_seconds"],
                          baseline_server_cpu_seconds=baseline["server_cpu_seconds"],
                          ratio=round(result["seconds"] / max(baseline["seconds"], 0.01), 1))
            result["goal_met"] = result["ratio"] <= 3 and result["peak_memory_mb"] < 250
            print(json.dumps(result))


if __name__ == "__main__":
    main()
