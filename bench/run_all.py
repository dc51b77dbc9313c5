"""``make bench``: run the benchmarks in ``bench/`` one after the other, keep every JSON line they
print, and write ``BENCHMARKS.md`` with the tables (the page benchmarks beside their bare baseline,
the roster import beside its baseline, kiosk sync, page weight) and the raw JSON below them.

    .venv/bin/python bench/run_all.py            # full sizes
    .venv/bin/python bench/run_all.py --quick    # make bench BENCH_QUICK=1: small sizes, a few minutes

A benchmark that fails is reported in the file with its last lines; the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (script, full arguments, quick arguments); bench_claims.py is superseded by bench_pages.py (wrk,
# side by side with the bare route) and is left out; run it by hand for its Python-client figures.
BENCHMARKS = [
    ("bench_pages.py", [], ["--quick"]),
    ("bench_roster_import.py", ["--rows", "100000"], ["--rows", "10000"]),
    ("bench_sync.py", ["--envelopes", "10000"], ["--envelopes", "1000"]),
    ("bench_kiosk.py", [], ["--submissions", "50", "--backlog", "200"]),
    ("bench_dashboard.py", [], ["--quick"]),
    ("bench_payouts.py", [], ["--claims", "3000"]),
]


def json_objects(output: str) -> list[dict]:
    """Every JSON object a script printed at the start of a line, one line each or indented over several
    (``bench_sync.py``, ``bench_dashboard.py`` and ``bench_payouts.py`` print ``indent=2``)."""
    decoder, records, position = json.JSONDecoder(), [], 0
    while True:
        start = output.find("{", position)
        if start < 0:
            return records
        if start and output[start - 1] != "\n":
            position = start + 1
            continue
        try:
            record, end = decoder.raw_decode(output, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        if isinstance(record, dict):
            records.append(record)
        position = end


def machine() -> str:
    """The CPU model, cores and memory, as /proc tells them."""
    model, memory = platform.processor() or platform.machine(), ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 2**20:.0f} GB RAM"
                break
    except OSError:
        pass
    return f"{model} ({platform.machine()}), {os.cpu_count()} cores{memory}"


def commit() -> str:
    answer = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    return answer.stdout.strip() or "unknown"


def run(script: str, arguments: list[str]) -> tuple[list[dict], str | None, float]:
    path = ROOT / "bench" / script
    if not path.exists():
        return [], "not in this checkout", 0.0
    started = time.monotonic()
    answer = subprocess.run([sys.executable, str(path), *arguments], cwd=ROOT, capture_output=True, text=True,
                            check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seconds = time.monotonic() - started
    records = json_objects(answer.stdout)
    failure = None
    if answer.returncode != 0:
        failure = "\n".join((answer.stderr or answer.stdout).strip().splitlines()[-8:])
    return records, failure, seconds


def _pages_table(records: list[dict]) -> list[str]:
    lines = ["| database | page | portal req/s | p50 / p95 / p99 ms | bare req/s | p50 / p95 / p99 ms "
             "| ratio (goal ≥ 0.7) |",
             "|---|---|---:|---|---:|---|---:|"]
    for record in records:
        for page in record.get("pages", []):
            mine, theirs = page["portal"], page["bare"]
            lines.append(
                f"| {record['database']} (scale {record['scale']}) | {page['page']} `{page['path']}` | "
                f"{mine['requests_per_second']} | {mine['p50_ms']} / {mine['p95_ms']} / {mine['p99_ms']} | "
                f"{theirs['requests_per_second']} | {theirs['p50_ms']} / {theirs['p95_ms']} / {theirs['p99_ms']} | "
                f"**{page['ratio']}** {'✓' if page['goal_met'] else '✗'} |")
    return lines


def _weight_table(records: list[dict]) -> list[str]:
    lines = ["| database | member page | HTML KB | first visit KB (raw) | transferred KB (gzip, goal < 60) |",
             "|---|---|---:|---:|---:|"]
    for record in records:
        for page in record.get("member_page_weight", []):
            lines.append(f"| {record['database']} | `{page['page']}` | {page['html_kb']} | {page['first_visit_kb']} | "
                         f"{page['transferred_kb']} {'✓' if page['goal_met'] else '✗'} |")
    return lines


def _roster_table(records: list[dict]) -> list[str]:
    """Seconds and memory, and the CPU each side spent (steadier than seconds on a shared machine):
    the import's process, its sheet reader and PostgreSQL's server processes, against the baseline's."""
    lines = ["| database | rows | portal s | peak MB | CPU s (import + reader + server) "
             "| baseline s (calamine + raw driver) | baseline MB | baseline CPU s (+ server) | ratio (goal ≤ 3) |",
             "|---|---:|---:|---:|---|---:|---:|---|---:|"]

    def cpu(*values) -> str:
        shown = [f"{value:.2f}" for value in values if value is not None]
        return " + ".join(shown) if shown else "—"

    for record in records:
        if "ratio" in record:
            portal_cpu = cpu(record.get("cpu_seconds"), record.get("reader_cpu_seconds"),
                             record.get("server_cpu_seconds"))
            lines.append(f"| {record['database']} | {record['rows']:,} | {record['seconds']} "
                         f"| {record['peak_memory_mb']} | {portal_cpu} | "
                         f"{record['baseline_seconds']} | {record['baseline_peak_memory_mb']} "
                         f"| {cpu(record.get('baseline_cpu_seconds'), record.get('baseline_server_cpu_seconds'))} | "
                         f"**{record['ratio']}** {'✓' if record['goal_met'] else '✗'} |")
    return lines


def _sync_table(records: list[dict]) -> list[str]:
    lines = ["| database | run | envelopes | seconds | envelopes/s (goal ≥ 500 on PostgreSQL) | batch p50 / p95 ms "
             "| applied | rejected (why) | other answers | lost | duplicated |",
             "|---|---|---:|---:|---:|---|---:|---|---|---:|---:|"]
    for record in records:
        for database in ("sqlite", "postgresql"):
            for label, name in (("one_kiosk", "1 kiosk"), ("hundred_kiosks", "100 kiosks")):
                run = record.get(database, {}).get(label)
                if not run:
                    continue
                goal = "" if database == "sqlite" else (" ✓" if run["envelopes_per_second"] >= 500 else " ✗")
                reasons = ", ".join(f"{code} {reason['count']:,}"
                                    for code, reason in (run.get("rejected_reasons") or {}).items())
                rejected = f"{run.get('rejected', 0):,}" + (f" ({reasons})" if reasons else "")
                others = ", ".join(f"{status} {count:,}"
                                   for status, count in (run.get("other_answers") or {}).items()) or "none"
                shown = database + (" + Redis" if record[database].get("redis") else "")
                lines.append(f"| {shown} | {name} | {run['envelopes']:,} | {run['seconds']} "
                             f"| {run['envelopes_per_second']}{goal} | {run['batch_p50_ms']} / {run['batch_p95_ms']} "
                             f"| {run.get('applied', 0):,} | {rejected} | {others} | {run['lost']} "
                             f"| {run['duplicated']} |")
    return lines


def _dashboard_table(records: list[dict]) -> list[str]:
    pages = (("federation_dashboard", "federation dashboard `/staff/`"),
             ("federation_dashboard_year", "the same, one year"),
             ("federation_figures_fragment", "figures fragment (htmx)"),
             ("district_dashboard", "a district officer's dashboard"),
             ("queue_counts", "navigation queue counts"))
    lines = ["| database | data | page | server ms median (goal < 300) | p95 | CPU ms median |",
             "|---|---|---|---:|---:|---:|"]
    for record in records:
        for database in ("sqlite", "postgresql", "given"):
            result = record.get(database)
            if not isinstance(result, dict) or "federation_dashboard" not in result:
                continue
            data = result.get("data", {})
            size = (f"{data.get('members', '?'):,} members, {data.get('enrolments', '?'):,} enrolments, "
                    f"{data.get('claims', '?'):,} claims" if data.get("members") else "as given")
            for key, name in pages:
                timing = result.get(key)
                if timing:
                    goal = (" ✓" if timing["median_ms"] < 300 else " ✗") if key == "federation_dashboard" else ""
                    lines.append(f"| {database} | {size} | {name} | {timing['median_ms']}{goal} | {timing['p95_ms']} "
                                 f"| {timing['cpu_median_ms']} |")
            if result.get("monthly_report"):
                lines.append(f"| {database} | {size} | monthly report workbook | {result['monthly_report']['ms']} | | "
                             f"{result['monthly_report']['cpu_ms']} |")
    return lines


def _kiosk_table(records: list[dict]) -> list[str]:
    lines = ["| kiosk page | HTML + CSS + JS, KB (goal < 100) |", "|---|---:|"]
    for record in records:
        for page, size in record.get("page_bytes", {}).items():
            lines.append(f"| `{page}` | {size / 1024:.1f} {'✓' if size / 1024 < 100 else '✗'} |")
    return lines


def _payouts_table(records: list[dict]) -> list[str]:
    lines = ["| database | approved claims | create batch s | bank file s | mark paid s | settle s "
             "| claims/s settled |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for record in records:
        for result in record.get("results", []):
            lines.append(f"| {result['database']} | {result['claims']:,} | {result['create_batch_seconds']} "
                         f"| {result['export_seconds']} | {result['mark_paid_seconds']} | {result['settle_seconds']} "
                         f"| {result['settle_claims_per_second']} |")
    return lines


def _generic_table(records: list[dict]) -> list[str]:
    keys: list[str] = []
    for record in records:
        for key, value in record.items():
            if key not in keys and not isinstance(value, dict | list):
                keys.append(key)
    keys = keys[:10]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for record in records:
        lines.append("| " + " | ".join(str(record.get(key, "")) for key in keys) + " |")
    return lines


TABLES = {"bench_sync.py": ("Kiosk sync to the central portal (gunicorn 2 sync workers, signed pushes of "
                            "cover applications, claims without attachments, childcare registrations and job "
                            "applications, each for its own member; lost: sent but not stored, or applied without "
                            "its record; duplicated: answered `applied` twice, or more records than applied):",
                            _sync_table),
          "bench_dashboard.py": ("Staff dashboards, server time in-process (test client, no network):",
                                 _dashboard_table),
          "bench_kiosk.py": ("Kiosk pages on the wire (uncompressed; no web fonts):", _kiosk_table),
          "bench_payouts.py": ("Paying a backlog of approved claims:", _payouts_table)}


def write(results: list[tuple], quick: bool) -> Path:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench{' BENCH_QUICK=1' if quick else ''}` ({'quick sizes' if quick else 'full sizes'}) "
        f"on {now} at commit `{commit()}`.",
        "",
        f"Machine: {machine()}, Python {platform.python_version()}; shared with other work while it ran, so the load "
        "average (1 minute, over 2 cores) is given beside each benchmark. Everything runs on loopback; each "
        "benchmark's commands are in its script's docstring. Absolute figures move with the load; the page ratios do "
        "not as much, because each page runs beside its bare baseline in the same run.",
        "",
    ]
    for script, records, failure, seconds, loads in results:
        lines += [f"## {script} ({seconds:.0f} s, load average {loads[0]:.1f} before, {loads[1]:.1f} after)", ""]
        if failure:
            lines += ["Failed or skipped:", "", "```", failure, "```", ""]
        if script == "bench_pages.py" and records:
            lines += ["Portal pages beside the bare Flask route (raw driver, same queries, minimal template compiled "
                      "once), gunicorn 2 workers each, wrk 16 connections:", ""] + _pages_table(records) + [""]
            lines += ["Member pages on a first visit (HTML and every static file it loads):", ""]
            lines += _weight_table(records) + [""]
        elif script == "bench_roster_import.py" and records:
            lines += _roster_table(records) + [""]
            flat = [record for record in records if "ratio" not in record]
            if flat:
                lines += _generic_table(flat) + [""]
        elif script in TABLES and records:
            title, table = TABLES[script]
            lines += [title, ""] + table(records) + [""]
        elif records:
            lines += _generic_table(records) + [""]
        if records:
            lines += ["<details><summary>JSON</summary>", "", "```json"]
            lines += [json.dumps(record, ensure_ascii=False) for record in records]
            lines += ["```", "", "</details>", ""]
    # What was measured by hand (the whole city) and what the figures mean: kept in bench/NOTES.md so a
    # new run does not lose it.
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += [line for line in notes.read_text(encoding="utf-8").splitlines() if not line.startswith("<!--")]
    path = ROOT / "BENCHMARKS.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", help="run only these scripts (file names)")
    args = parser.parse_args()
    results = []
    for script, full, quick in BENCHMARKS:
        if args.only and script not in args.only:
            continue
        before = os.getloadavg()[0]
        print(f"== {script} (load average {before:.1f})", flush=True)
        records, failure, seconds = run(script, quick if args.quick else full)
        for record in records:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        if failure:
            print(f"   failed: {failure}", flush=True)
        results.append((script, records, failure, seconds, (before, os.getloadavg()[0])))
    print(f"wrote {write(results, args.quick)}")


if __name__ == "__main__":
    main()
