"""The kiosk's own rules, pure (no Flask, no database): outbox states and their words, receipt
numbers, the back-off schedule, and what counts as the central server's answer.

The member-facing rules (ID numbers, mobiles, bank cards, masking) are the portal's, imported
from ``portal.domain``; only what exists on the device alone lives here.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from stdnum import luhn

from portal.domain.i18n import N_


class OutboxState(StrEnum):
    """Where one submission stands. ``queued`` is 待确认 to the person: the central answer has not
    arrived yet (it may have been sent already: only an answer ends it)."""

    QUEUED = "queued"
    APPLIED = "applied"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    OutboxState.QUEUED: N_("待确认"),
    OutboxState.APPLIED: N_("已办理"),
    OutboxState.REJECTED: N_("未能办理"),
}

# Central answers (SYNC.md) → the state they leave a submission in; pending_attachments keeps it queued.
FINAL_ANSWERS = {"applied": OutboxState.APPLIED, "duplicate": OutboxState.APPLIED,
                 "rejected": OutboxState.REJECTED, "conflict": OutboxState.REJECTED}

KIND_LABELS = {
    "enrollment.apply": N_("参保申请"),
    "campaign.claim": N_("领取赠送保障"),
    "claim.submit": N_("理赔申请"),
    "childcare.register": N_("暑托班报名"),
    "job.apply": N_("勤工俭学报名"),
}


# --- receipt numbers --------------------------------------------------------------------------

RECEIPT_DIGITS = 11  # ten random digits and a Luhn check digit: typed on a numeric keypad


def new_receipt_number(rng: secrets.SystemRandom | random.Random | None = None) -> str:
    """Eleven digits: ten random (not a counter, so one receipt does not reveal its neighbours)
    and a Luhn check digit that catches a mistyped digit at the lookup."""
    rng = rng or secrets.SystemRandom()
    body = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(RECEIPT_DIGITS - 2))
    return body + luhn.calc_check_digit(body)


def normal_receipt_number(raw: object) -> str | None:
    """The receipt number typed in (spaces and dashes ignored), or None if it cannot be one."""
    text = "".join(ch for ch in str(raw or "") if ch.isdigit())
    if len(text) != RECEIPT_DIGITS or not luhn.is_valid(text):
        return None
    return text


def spaced_receipt_number(number: str) -> str:
    """``3817 2204 951``: how a receipt number is printed and read aloud."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


# --- back-off ---------------------------------------------------------------------------------

@dataclass
class Backoff:
    """Exponential back-off with full jitter (a random wait between 0 and base·2ⁿ, capped), so a
    hundred kiosks coming back after a network cut do not knock on the server in step. It never
    gives up: after the cap it keeps retrying every cap-sized window."""

    base: float = 2.0
    cap: float = 300.0
    failures: int = 0
    rng: random.Random | None = None

    def ceiling(self) -> float:
        return min(self.cap, self.base * 2 ** min(self.failures, 32))

    def next_delay(self, retry_after: float | None = None) -> float:
        """The wait before the next try after one more failure; at least ``Retry-After`` if the
        server named one (still capped: the server cannot park a kiosk for longer than the cap)."""
        ceiling = self.ceiling()
        self.failures += 1
        delay = (self.rng or random).uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cap))
        return delay

    def reset(self) -> None:
        self.failures = 0


# --- trusting the central server's answers ----------------------------------------------------

class UntrustedAnswer(ValueError):
    """The answer is not the sync API's JSON (a captive Wi-Fi page, a proxy, another kiosk's id)."""


def parse_server_time(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise UntrustedAnswer("server_time missing")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UntrustedAnswer("server_time unreadable") from None
    if moment.tzinfo is None:
        raise UntrustedAnswer("server_time without a zone")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Hello:
    kiosk_id: str
    server_time: datetime
    max_envelopes: int
    max_body_bytes: int
    max_blob_bytes: int
    station_name: str | None


def read_hello(body: object, kiosk_id: str) -> Hello:
    """The ``POST /session`` answer, only if it is the expected JSON for *this* kiosk.

    A captive portal answers 200 with its own page; a misrouted proxy may answer someone else's
    JSON. Either is "not reachable", never success.
    """
    if not isinstance(body, dict) or body.get("kiosk_id") != kiosk_id:
        raise UntrustedAnswer("not this kiosk's session answer")
    limits = body.get("limits")
    if not isinstance(limits, dict):
        raise UntrustedAnswer("limits missing")
    values = {}
    for name in ("max_envelopes", "max_body_bytes", "max_blob_bytes"):
        value = limits.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise UntrustedAnswer(f"limit {name} missing")
        values[name] = value
    station = body.get("station")
    station_name = station.get("name") if isinstance(station, dict) and isinstance(station.get("name"), str) else None
    return Hello(kiosk_id, parse_server_time(body.get("server_time")), station_name=station_name, **values)


def read_results(body: object, sent_ids: list[str]) -> list[dict]:
    """The ``POST /envelopes`` answer: one result per envelope sent, each for an id we sent."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise UntrustedAnswer("results missing")
    wanted = set(sent_ids)
    results = []
    for item in body["results"]:
        if not isinstance(item, dict) or item.get("id") not in wanted or not isinstance(item.get("status"), str):
            raise UntrustedAnswer("a result for an envelope we did not send")
        results.append(item)
    return results


def read_changes(body: object) -> tuple[list[dict], str, bool]:
    if not isinstance(body, dict) or not isinstance(body.get("changes"), list) \
            or not isinstance(body.get("cursor"), str) or not isinstance(body.get("more"), bool):
        raise UntrustedAnswer("not a change feed page")
    for change in body["changes"]:
        if not isinstance(change, dict) or not isinstance(change.get("entity"), str) \
                or not isinstance(change.get("id"), str) or change.get("op") not in ("upsert", "delete"):
            raise UntrustedAnswer("a change without entity, id or op")
    return body["changes"], body["cursor"], body["more"]
