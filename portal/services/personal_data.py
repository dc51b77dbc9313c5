"""A member's copy of everything the portal holds about them (PIPL art. 45: the right to a copy).

The copy is found from the schema, not from a list kept by hand: every table with a column that
refers to ``members.id`` gives the member's rows, and every table that refers to one of those
tables gives their children (a claim's documents and timeline, a registration's attendance). A new
table that holds a member's data is therefore in the copy the day it is added. Values are read
through the column types, so encrypted columns come out in clear for their owner; keyed hashes,
seeds and secrets are left out, because they are ours, not the member's, and would only help an
attacker who got hold of the file. Who did what to the member's claims and record is listed with
the action and the role, without staff names or addresses.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import Table, or_, select

from portal import clock
from portal.domain.audit import action_label
from portal.extensions import db
from portal.models import AuditEvent
from portal.services import audit
from portal.services.unit_of_work import unit_of_work

# Columns that are the portal's own keys, not the member's data.
WITHHELD = re.compile(r"(hash|seed|secret|password|nonce|generation|totp|recovery)", re.IGNORECASE)
SKIPPED_TABLES = {"audit_events", "members"}


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    return value


def _rows(table: Table, condition) -> list[dict]:
    columns = [c for c in table.columns if not WITHHELD.search(c.name)]
    result = db.session.execute(select(*columns).where(condition).order_by(*table.primary_key.columns))
    return [{key: _value(value) for key, value in row._mapping.items()} for row in result]


def _refers_to(table: Table, target: str):
    return [fk.parent for fk in table.foreign_keys if fk.column.table.name == target]


def collect(member) -> dict:
    """The copy as plain data: the member's own record, then one list per table."""
    tables = db.metadata.sorted_tables
    members = db.metadata.tables["members"]
    copy: dict = {"member": _rows(members, members.c.id == member.id)[0], "records": {}}
    owned: dict[str, list] = {}
    for table in tables:
        columns = _refers_to(table, "members")
        if not columns or table.name in SKIPPED_TABLES:
            continue
        rows = _rows(table, or_(*(column == member.id for column in columns)))
        if rows:
            copy["records"][table.name] = rows
            if "id" in table.c:
                owned[table.name] = [row["id"] for row in rows]
    for table in tables:
        if table.name in SKIPPED_TABLES or table.name in copy["records"]:
            continue
        conditions = [column.in_(owned[name]) for name in owned for column in _refers_to(table, name)]
        if conditions:
            rows = _rows(table, or_(*conditions))
            if rows:
                copy["records"][table.name] = rows
    copy["processing"] = _processing(member, owned)
    return copy


def _processing(member, owned: dict[str, list]) -> list[dict]:
    """Who acted on the member's record and claims: the action in words and the kind of actor."""
    subjects = [(AuditEvent.entity == "member") & (AuditEvent.entity_id == str(member.id))]
    claim_ids = [str(claim_id) for claim_id in owned.get("claims", [])]
    if claim_ids:
        subjects.append((AuditEvent.entity == "claim") & AuditEvent.entity_id.in_(claim_ids))
    events = db.session.scalars(select(AuditEvent).where(or_(*subjects)).order_by(AuditEvent.id))
    return [{"at": event.at.isoformat(), "action": str(action_label(event.action) or event.action),
             "actor": event.actor_type, "record": f"{event.entity} {event.entity_id}"} for event in events]


@unit_of_work
def download_copy(member) -> dict:
    """The copy, with the download on the audit log (it is a disclosure of sensitive data)."""
    copy = collect(member)
    copy["made_at"] = clock.now().isoformat()
    audit.record(member, "member.personal_data_copy", "member", member.id,
                 tables=sorted(copy["records"]))
    return copy
