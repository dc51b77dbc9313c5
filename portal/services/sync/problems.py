"""A refusal of the sync API: an HTTP status and a stable ``code`` (RFC 9457 problem details).

Raised by the sync services and turned into ``application/problem+json`` by the blueprint; the
``detail`` is Chinese (the protocol's language), the ``code`` is what a kiosk acts on.
"""

from __future__ import annotations

from portal.domain.i18n import interpolate
from portal.domain.sync import PROBLEMS


class Problem(Exception):
    def __init__(self, code: str, detail: str | None = None, *, headers: dict | None = None, **extra):
        self.code = code
        self.status, self.title = PROBLEMS[code]
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra
        super().__init__(f"{code}: {self.detail}")

    def body(self) -> dict:
        return {"type": f"urn:portal:sync:problem:{self.code}", "title": interpolate(self.title, {}),
                "status": self.status, "detail": self.detail, "code": self.code, **self.extra}
