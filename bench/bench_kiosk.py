"""Benchmark: the kiosk on its own machine. What each touch page weighs on the wire (HTML plus the
CSS and JavaScript it loads; the goal is under 100 KB, no web fonts), how long taking a submission
takes (envelope + receipt + photo in one fsynced SQLite transaction, WAL, synchronous=FULL), and
how fast a sync client drains a backlog into a local stand-in of the central API.

    .venv/bin/python bench/bench_kiosk.py                      # defaults below
    .venv/bin/python bench/bench_kiosk.py --submissions 500 --backlog 2000

Prints JSON. The backlog part answers pushes from a loopback HTTP server that accepts every
envelope (no signature check, no database): it measures the kiosk's side only; bench_sync.py
measures the central side.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["/", "/cover/check", "/cover/apply", "/claims/new", "/claims/new/hospital", "/claims/new/accident",
         "/jobs", "/childcare", "/receipts/find", "/staff"]
KIOSK_ID = "7b0ad0a5-6b7a-4ad1-9d8e-3f4f2c4a3333"


def page_weights(app) -> dict:
    client = app.test_client()
    weights, assets = {}, {}
    for path in PAGES:
        with client.get(path) as page:
            html = page.get_data(as_text=True)
        total = len(html.encode())
        for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
            if asset not in assets:
                with client.get(asset) as response:
                    assets[asset] = len(response.data)
            total += assets[asset]
        weights[path] = total
    return {"page_bytes_max": max(weights.values()), "page_bytes": weights, "asset_bytes": assets}


def photo(seed: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1280, 960), (seed % 255, 80, 160)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def submissions(store, count: int) -> dict:
    from kiosk import outbox
    from kiosk.outbox import Upload

    timings = []
    for index in range(count):
        payload = {"member": {"name": "虞建国", "id_number": "320213198805200012", "mobile": "13861800001"},
                   "type": "hospital", "event": {"admission_date": "2026-11-01", "discharge_date": "2026-11-06",
                                                 "hospital": "无锡市人民医院", "diagnosis": "肺炎"},
                   "payee_name": "虞建国", "bank_card": "6222020200112233446"}
        data = photo(index)
        started = time.perf_counter()
        outbox.submit(store, "claim.submit", payload, [("姓名", "虞*国")],
                      uploads=[Upload(data, "image/jpeg", "discharge_summary", "出院小结.jpg")])
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"submissions": count, "submit_ms_p50": round(statistics.median(timings), 2),
            "submit_ms_p95": round(timings[int(len(timings) * 0.95) - 1], 2)}


class AcceptAll(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: dict | None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path.endswith("/session"):
            self._send(200, {"kiosk_id": KIOSK_ID, "server_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                             "limits": {"max_envelopes": 100, "max_body_bytes": 2_000_000,
                                        "max_blob_bytes": 10_000_000}})
        else:
            self._send(200, {"results": [{"id": item["id"], "status": "applied", "receipt": f"LP{item['seq']}",
                                          "code": None, "message": None} for item in body["envelopes"]]})

    def do_HEAD(self):  # noqa: N802
        self._send(200, None)

    def do_GET(self):  # noqa: N802
        self._send(200, {"changes": [], "cursor": "c", "more": False})

    def log_message(self, *args):
        pass


def drain(store, key_file: Path, backlog: int) -> dict:
    from kiosk import outbox
    from kiosk.keys import ensure_key
    from kiosk.sync import SyncClient

    for index in range(backlog):
        outbox.submit(store, "job.apply", {"parent": {"name": "虞建国", "n": index}}, [("家长姓名", "虞*国")])
    server = ThreadingHTTPServer(("127.0.0.1", 0), AcceptAll)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ensure_key(key_file)
    store.put("central_url", f"http://127.0.0.1:{server.server_port}")
    store.put("kiosk_id", KIOSK_ID)
    try:
        started = time.perf_counter()
        report = SyncClient.from_store(store, key_file).round()
        seconds = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
    return {"backlog": backlog, "pushed": report.pushed, "waiting_after": outbox.waiting_count(store),
            "drain_seconds": round(seconds, 2), "envelopes_per_second": round(report.pushed / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--backlog", type=int, default=1000)
    args = parser.parse_args()
    from kiosk import create_app

    with tempfile.TemporaryDirectory(prefix="bench-kiosk-") as folder:
        app = create_app({"INSTANCE_PATH": folder, "TESTING": True})
        store = app.extensions["kiosk_store"]
        result = {"benchmark": "kiosk", **page_weights(app), **submissions(store, args.submissions)}
        other = create_app({"INSTANCE_PATH": str(Path(folder) / "drain"), "TESTING": True})
        result.update(drain(other.extensions["kiosk_store"], Path(other.config["KEY_FILE"]), args.backlog))
        store.dispose()
        other.extensions["kiosk_store"].dispose()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
