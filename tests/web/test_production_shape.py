"""The production shape in-process: static files under content-hashed URLs with a year's cache,
the client's address from a proxy only when told to believe one, and the gunicorn configuration
refusing several workers that would keep shared state in their own memory."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from flask import Flask, request

from portal import proxy
from portal.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]


def _gunicorn_config():
    spec = importlib.util.spec_from_file_location("portal_gunicorn_conf", ROOT / "deploy" / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_static_files_have_content_hashed_urls_cached_for_a_year(app, client):
    page = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/css/portal\.css\?v=([0-9a-f]{12}))"', page)
    assert url, "the stylesheet's URL carries its content hash"
    import hashlib

    assert url.group(2) == hashlib.sha256((ROOT / "portal/static/css/portal.css").read_bytes()).hexdigest()[:12]
    with client.get(url.group(1)) as answer:
        assert answer.status_code == 200
        cache = answer.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache and "no-cache" not in cache
    # Without the hash (an old bookmark), no promise of a year: the browser asks again.
    with client.get("/static/css/portal.css") as answer:
        assert "immutable" not in (answer.headers.get("Cache-Control") or "")
    # Pages stay uncached.
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_a_changed_static_file_gets_a_new_url(tmp_path):
    asset = tmp_path / "a.css"
    asset.write_text("a{}")
    site = Flask(__name__, static_folder=str(tmp_path))
    first = proxy.static_version(site, "a.css")
    asset.write_text("a{color:red}")
    import os

    os.utime(asset, ns=(1, 2_000_000_000_000_000_000))  # a new modification time, as a deploy gives
    assert proxy.static_version(site, "a.css") != first
    assert proxy.static_version(site, "missing.css") is None


def _address_app(hops: int) -> Flask:
    site = Flask(__name__)
    site.config["PROXY_FIX_X_FOR"] = hops
    proxy.init_app(site)
    site.add_url_rule("/ip", "ip", lambda: f"{request.remote_addr} {request.scheme}")
    return site


def test_the_client_address_comes_from_the_proxy_only_when_one_is_configured():
    forged = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    # No proxy configured: a visitor cannot pose as another address (limits, lock-outs, audit).
    assert _address_app(0).test_client().get("/ip", headers=forged, environ_base={
        "REMOTE_ADDR": "198.51.100.1"}).get_data(as_text=True) == "198.51.100.1 http"
    # Behind one nginx: the address nginx saw and appended last, whatever the client wrote before it.
    answer = _address_app(1).test_client().get("/ip", headers={
        "X-Forwarded-For": "10.9.9.9, 203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.get_data(as_text=True) == "203.0.113.7 https"


def test_the_proxy_setting_is_read_from_the_environment():
    from portal.config import apply_environment

    config = dict(DEFAULTS)
    apply_environment(config, {"PORTAL_PROXY_FIX_X_FOR": "1"})
    assert config["PROXY_FIX_X_FOR"] == 1


def test_gunicorn_refuses_several_workers_without_shared_state():
    conf = _gunicorn_config()
    memory = {**DEFAULTS, "RATELIMIT_STORAGE_URI": "memory://", "HUEY_IMMEDIATE": False}
    redis = {**DEFAULTS, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "REDIS_URL": "redis://127.0.0.1:6379/0",
             "HUEY_IMMEDIATE": False}
    assert conf.shared_state_problems(memory, 1) == []
    assert any("PORTAL_REDIS_URL" in problem for problem in conf.shared_state_problems(memory, 2))
    assert conf.shared_state_problems(redis, 4) == []
    assert any("HUEY_IMMEDIATE" in problem
               for problem in conf.shared_state_problems({**redis, "HUEY_IMMEDIATE": True}, 2))
    assert conf.preload_app is True and conf.max_requests > 0 and conf.forwarded_allow_ips == "127.0.0.1"
