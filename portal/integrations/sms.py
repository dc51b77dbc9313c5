"""SMS gateways behind one small interface: ``send(mobile, text) -> provider reference``.

``outbox`` keeps texts in the database only (administrators read them in the portal) and echoes
them to the console in development; ``http`` calls a provider through a URL template.
"""

from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import quote

import requests

log = logging.getLogger("portal.sms")


class SmsDeliveryError(Exception):
    """The provider refused or could not be reached; the message stays retryable."""


class SmsGateway(Protocol):
    name: str

    def send(self, mobile: str, text: str) -> str | None: ...


class OutboxGateway:
    """Stores only: the row in ``sms_messages`` is the delivered text."""

    name = "outbox"

    def __init__(self, echo: bool = False):
        self.echo = echo

    def send(self, mobile: str, text: str) -> str | None:
        if self.echo:
            print(f"[SMS → {mobile}] {text}", flush=True)  # noqa: T201 - development aid
        return None


class HttpGateway:
    """A provider called by URL template, e.g. ``https://sms.example/send?to={mobile}&text={text}``."""

    name = "http"

    def __init__(self, url_template: str, method: str = "GET", timeout: float = 10.0):
        if not url_template:
            raise ValueError("SMS_HTTP_URL is required for the http SMS backend")
        self.url_template = url_template
        self.method = method.upper()
        self.timeout = timeout

    def send(self, mobile: str, text: str) -> str | None:
        url = self.url_template.format(mobile=quote(mobile), text=quote(text))
        try:
            if self.method == "POST":
                base, _, query = url.partition("?")
                response = requests.post(base, data=query, timeout=self.timeout,
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            else:
                response = requests.get(url, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SmsDeliveryError(f"provider unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 300:
            raise SmsDeliveryError(f"provider answered HTTP {response.status_code}")
        return response.text.strip()[:120] or None


def gateway_from_config(config) -> SmsGateway:
    backend = config.get("SMS_BACKEND", "outbox")
    if backend == "outbox":
        return OutboxGateway(echo=bool(config.get("SMS_ECHO")))
    if backend == "http":
        return HttpGateway(config.get("SMS_HTTP_URL") or "", config.get("SMS_HTTP_METHOD", "GET"))
    raise ValueError(f"unknown SMS_BACKEND {backend!r}")
