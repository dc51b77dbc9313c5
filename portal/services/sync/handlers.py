"""One applier per envelope kind, each calling the area's own service (the rules live there).

An applier runs inside the envelope's unit of work, in a savepoint: whatever it raises as a
``DomainError`` becomes a ``rejected`` answer with that error's code and Chinese message, and
undoes only what the applier wrote. It returns the central reference the kiosk shows as receipt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from portal.models import Kiosk, SyncBlob


@dataclass(frozen=True)
class Attachment:
    blob: SyncBlob
    name: str
    role: str | None
    content_type: str | None


@dataclass(frozen=True)
class EnvelopeContext:
    kiosk: Kiosk
    envelope_id: str
    kind: str
    payload: dict
    attachments: list[Attachment] = field(default_factory=list)
    now: datetime | None = None


@dataclass(frozen=True)
class Applied:
    receipt: str
    message: str | None = None  # e.g. 已进入候补名单，第3位 (Chinese, shown at the kiosk)


Handler = Callable[[EnvelopeContext], Applied]
HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        return handler

    return register
