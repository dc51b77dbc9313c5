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


def run(script: str, arguments: list[str]) -> tuple[list[dict], str | None, float]:
    path = ROOT / "bench" / script
    if not path.exists():
        return [], "not in this checkout", 0.0
    started = time.monotonic()
    answer = subprocess.run([sys.executable, str(path), *arguments], cwd=ROOT, capture_output=True, text=True,
                            check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seconds = time.monotonic() - started
    records = []
    for line in answer.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
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
    lines = ["| database | rows | portal s | peak MB | baseline s (calamine + raw driver) | baseline MB "
             "| ratio (goal ≤ 3) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for record in records:
        if "ratio" in record:
            lines.append(f"| {record['database']} | {record['rows']:,} | {record['seconds']} "
                         f"| {record['peak_memory_mb']} | "
                         f"{record['baseline_seconds']} | {record['baseline_peak_memory_mb']} | "
                         f"**{record['ratio']}** {'✓' if record['goal_met'] else '✗'} |")
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


def write(results: list[tuple[str, list[dict], str | None, float]], quick: bool) -> Path:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench{' BENCH_QUICK=1' if quick else ''}` ({'quick sizes' if quick else 'full sizes'}) "
        f"on {now}: {platform.machine()}, {os.cpu_count()} cores, load average {load:.1f} when it finished, "
        f"Python {platform.python_version()}. Everything on loopback; each table's commands are in the script's "
        "docstring. Figures from a machine shared with other work are only comparable within one run: that is why "
        "each page runs beside its bare baseline in the same run.",
        "",
    ]
    for script, records, failure, seconds in results:
        lines += [f"## {script} ({seconds:.0f} s)", ""]
        if failure:
            lines += ["Failed or skipped:", "", "```", failure, "```", ""]
        if script == "bench_pages.py" and records:
            lines += ["Portal pages beside the bare Flask route (raw driver, same queries, minimal template), "
                      "gunicorn 2 workers each, wrk 16 connections:", ""] + _pages_table(records) + [""]
            lines += ["Member pages on a first visit (HTML and every static file it loads):", ""]
            lines += _weight_table(records) + [""]
        elif script == "bench_roster_import.py" and records:
            lines += _roster_table(records) + [""]
        if records:
            flat = [record for record in records if script != "bench_pages.py"]
            if flat:
                lines += _generic_table(flat) + [""]
            lines += ["<details><summary>JSON</summary>", "", "```json"]
            lines += [json.dumps(record, ensure_ascii=False) for record in records]
            lines += ["```", "", "</details>", ""]
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
        print(f"== {script}", flush=True)
        records, failure, seconds = run(script, quick if args.quick else full)
        for record in records:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        if failure:
            print(f"   failed: {failure}", flush=True)
        results.append((script, records, failure, seconds))
    print(f"wrote {write(results, args.quick)}")


if __name__ == "__main__":
    main()
