"""Applying pushed envelopes, each under the unique (kiosk, envelope id) guard, a batch per commit.

A push runs as one transaction: per envelope, the guard row is inserted first (``ON CONFLICT DO
NOTHING``: a key already taken is an answer, not an error), the applier runs in a savepoint
after it, and the batch commits once. So each envelope is still all-or-nothing (a refusal
keeps the guard with the reason, ``rejected``, final, the payload kept for staff, and undoes
only the applier's writes; a taken key answers ``duplicate`` with the stored receipt), and the answers
are sent only after the one commit that makes every one of them true: a server that dies before
it has committed nothing, one that dies after it answers the same again when the kiosk retries.
One commit per batch instead of one per envelope is what makes a push fast (one WAL flush, no
re-reads of expired objects between envelopes), with one statement for an envelope refused
before anything runs and no savepoint but the applier's; the applied envelopes' receipts are
written onto their guard rows together, in one statement, just before the commit, and so are the
batch's audit rows (``rows_deferred``: a refused envelope's go with its savepoint). The reference
rows the appliers read (plans, positions, enterprises) are kept by the session for the whole
push (``kept_rows``) rather than read again by each envelope. Registrations, which lock their
class until the commit, are applied after the batch's other kinds (``_in_applying_order``).

A concurrent push of the same envelope blocks on its guard (PostgreSQL) or on the write lock
(SQLite, taken up front with ``BEGIN IMMEDIATE``) and then loses the unique race, so the effect
happens once and every other push answers ``duplicate`` with the original receipt. Two batches
that lock the same rows in opposite orders (two classes, registered in two orders) can deadlock
on PostgreSQL; the loser's batch is rolled back whole and applied again one envelope per
transaction, which cannot deadlock. One envelope's failure, even an unexpected error, never
stops the others of its batch; a database that fails (gone, locked past its timeout) aborts the
push so the kiosk retries later.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime

from flask import current_app
from jsonschema import Draft202012Validator
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from portal.domain.errors import Conflict, DomainError
from portal.domain.i18n import N_
from portal.domain.sync import (
    ENVELOPE_SCHEMA,
    PAYLOAD_SCHEMAS,
    ChangeOp,
    EnvelopeKind,
    EnvelopeResult,
    EnvelopeStatus,
    FeedEntity,
    ResultStatus,
    canonical_json,
    has_unstorable_text,
    inline_refs,
    normal_envelope_id,
    payload_hash,
)
from portal.extensions import db
from portal.models import Kiosk, SyncEnvelope
from portal.services.sync import appliers, blobs, feed, kept_rows, members  # noqa: F401 - appliers fill HANDLERS
from portal.services.sync.handlers import HANDLERS, Applied, Attachment, EnvelopeContext
from portal.services.sync.problems import Problem
from portal.services.unit_of_work import independent_unit, rows_deferred, savepoint, transaction

INTERNAL_ERROR = N_("系统处理这份提交时出错，已转工作人员人工处理，请勿重复提交。")
CONFLICT_MESSAGE = "这个编号的提交已收到过，但内容不同；未做任何改动。请作为新的提交重新填写。"


@functools.cache
def _validator(kind: str | None) -> Draft202012Validator:
    schema = ENVELOPE_SCHEMA if kind is None else PAYLOAD_SCHEMAS[EnvelopeKind(kind)]
    return Draft202012Validator(inline_refs(schema), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _schema_problem(raw: dict) -> tuple[str, str] | None:
    """(code, Chinese message) when the envelope or its payload breaks its schema."""
    for kind in (None, raw.get("kind")):
        errors = sorted(_validator(kind).iter_errors(raw if kind is None else raw["payload"]),
                        key=lambda e: list(e.absolute_path))
        if errors:
            where = "/".join(str(part) for part in errors[0].absolute_path) or "（整体）"
            scope = "信封" if kind is None else "内容"
            return "payload_invalid", f"提交的{scope}格式不符合要求：{where}：{errors[0].message[:200]}"
    return None


def push(kiosk: Kiosk, body, *, now: datetime) -> list[dict]:
    """Apply a batch (``{"envelopes": [...]}``) and answer one result per envelope, in order."""
    if not isinstance(body, dict) or not isinstance(body.get("envelopes"), list):
        raise Problem("bad_request", "请求内容应为 {\"envelopes\": [...]}。")
    envelopes = body["envelopes"]
    limit = current_app.config["SYNC_MAX_ENVELOPES"]
    if len(envelopes) > limit:
        raise Problem("too_many_envelopes", f"一次最多提交{limit}件，本次{len(envelopes)}件。", max_envelopes=limit)
    kiosk_id = kiosk.id
    try:
        results = _push_in_one_transaction(kiosk_id, envelopes, now)
    except OperationalError as error:
        if not _rolled_back_by_the_database(error):
            raise
        current_app.logger.warning("push of kiosk %s rolled back by the database (%s); applying one by one",
                                   kiosk_id, getattr(error.orig, "sqlstate", ""))
        results = [apply_envelope(kiosk_id, raw, now=now, known=_known(kiosk_id, envelopes)) for raw in envelopes]
        with independent_unit() as session:
            session.execute(update(Kiosk).where(Kiosk.id == kiosk_id).values(last_sync_at=now))
    return [result.as_json() for result in results]


def _push_in_one_transaction(kiosk_id: str, envelopes: list, now: datetime) -> list[EnvelopeResult]:
    with transaction():
        _begin_immediate_on_sqlite()
        known = _known(kiosk_id, envelopes)
        decided: list[str] = []
        receipts: list[dict] = []
        fresh = [raw for raw in envelopes if isinstance(raw, dict)
                 and normal_envelope_id(raw.get("id")) not in known]  # repeats are answered, not applied
        with members.loaded_for(fresh, now=now), kept_rows.kept_for_the_batch(), rows_deferred():
            results: list[EnvelopeResult | None] = [None] * len(envelopes)
            for index in _in_applying_order(envelopes):
                results[index] = apply_envelope(kiosk_id, envelopes[index], now=now, known=known, decided=decided,
                                                receipts=receipts)
        _write_receipts(receipts)
        if decided:  # the kiosk's own submission statuses, one statement for the batch
            feed.write_changes(db.session.connection(), [(FeedEntity.SUBMISSION_STATUS, envelope_id,
                                                          ChangeOp.UPSERT) for envelope_id in decided],
                               kiosk_id=kiosk_id)
        db.session.execute(update(Kiosk).where(Kiosk.id == kiosk_id).values(last_sync_at=now)
                           .execution_options(synchronize_session=False))
    return results


LOCKING_KINDS = frozenset({EnvelopeKind.CHILDCARE_REGISTER})


def _in_applying_order(envelopes: list) -> list[int]:
    """The batch's positions in the order to apply them: the kinds that lock a shared row until
    the batch commits (a childcare class, for its seats) after all the others, each group in the
    order sent. The class's lock is then held for the batch's tail instead of most of it, so
    concurrent pushes of other kiosks wait for it far less. Nothing else in a batch depends on a
    registration, and registrations keep their order among themselves: seats still go in the
    order envelopes arrive."""
    def locks(index: int) -> bool:
        kind = envelopes[index].get("kind") if isinstance(envelopes[index], dict) else None
        return isinstance(kind, str) and kind in LOCKING_KINDS  # a kind sent as a list is refused later
    return sorted(range(len(envelopes)), key=locks)


def _known(kiosk_id: str, envelopes: list) -> dict[str, SyncEnvelope]:
    """One read for the whole batch answers the repeats; a concurrent push is still caught by the guard."""
    ids = [normal_envelope_id(raw.get("id")) for raw in envelopes if isinstance(raw, dict)]
    ids = [i for i in ids if i]
    if not ids:
        return {}
    return {row.envelope_id: row for row in db.session.scalars(select(SyncEnvelope).where(
        SyncEnvelope.kiosk_id == kiosk_id, SyncEnvelope.envelope_id.in_(ids)))}


def _begin_immediate_on_sqlite() -> None:
    """SQLite: take the write lock before the batch reads anything. A deferred transaction that
    reads and then writes fails at once (no busy wait) when another push committed in between."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _rolled_back_by_the_database(error: OperationalError) -> bool:
    """A deadlock or serialization failure (PostgreSQL class 40): nothing of the batch stayed."""
    return str(getattr(error.orig, "sqlstate", "") or "").startswith("40")


def apply_envelope(kiosk_id: str, raw, *, now: datetime, known: dict | None = None,
                   decided: list[str] | None = None, receipts: list[dict] | None = None) -> EnvelopeResult:
    """Apply one envelope (or answer for it again) and say how it went.

    In its own transaction, or in the caller's (a batch) when one is open; ``decided`` collects
    the ids whose outcome was stored, for the caller to write their feed rows in one go, and
    ``receipts`` the receipts of the applied ones, for the caller to store with ``_write_receipts``
    in one statement before it commits.
    """
    if not isinstance(raw, dict) or normal_envelope_id(raw.get("id")) is None:
        shown = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else ""
        return EnvelopeResult(shown[:64], ResultStatus.REJECTED, code="envelope_invalid",
                              message="提交缺少有效的编号（id 应为 UUID），无法处理。")
    envelope_id = normal_envelope_id(raw["id"])
    if has_unstorable_text(raw):  # refused unstored: not even the refusal could be saved as sent
        return EnvelopeResult(envelope_id, ResultStatus.REJECTED, code="envelope_invalid",
                              message="提交中含有无法保存的字符（空字符或无效编码），无法处理。")
    kind, payload, attachments = raw.get("kind"), raw.get("payload"), raw.get("attachments") or []
    digest = payload_hash(kind, payload, attachments)
    stored = known.get(envelope_id) if known is not None else _stored(kiosk_id, envelope_id)
    if stored is not None:
        return _answer_again(stored, digest)
    problem = _schema_problem(raw)
    if problem is None and raw["kind"] not in HANDLERS:
        problem = "kind_unsupported", f"本平台暂不能处理“{raw['kind']}”类提交。"
    if problem is not None:
        return _decide(kiosk_id, raw, envelope_id, digest, now, refusal=problem, decided=decided, receipts=receipts)
    missing = [item["sha256"] for item in attachments if blobs.held(item["sha256"]) is None]
    if missing:
        return EnvelopeResult(envelope_id, ResultStatus.PENDING_ATTACHMENTS, code="attachments_missing",
                              message=f"还有{len(missing)}个附件没有上传，上传后会自动重新提交。")
    return _decide(kiosk_id, raw, envelope_id, digest, now, decided=decided, receipts=receipts)


def _stored(kiosk_id: str, envelope_id: str) -> SyncEnvelope | None:
    return db.session.scalar(select(SyncEnvelope).where(SyncEnvelope.kiosk_id == kiosk_id,
                                                        SyncEnvelope.envelope_id == envelope_id)
                             .execution_options(populate_existing=True))


def _answer_again(stored: SyncEnvelope, digest: str) -> EnvelopeResult:
    if stored.payload_hash != digest:
        return EnvelopeResult(stored.envelope_id, ResultStatus.CONFLICT, receipt=None, code="envelope_id_reused",
                              message=CONFLICT_MESSAGE)
    if stored.status == EnvelopeStatus.REJECTED:  # the same refusal again: it was final
        return EnvelopeResult(stored.envelope_id, ResultStatus.REJECTED, code=stored.code, message=stored.message)
    return EnvelopeResult(stored.envelope_id, ResultStatus.DUPLICATE, receipt=stored.receipt, code=None,
                          message=stored.message)


def _refusal_values(raw: dict, refusal: tuple) -> dict:
    """The columns of a rejected outcome: the reason, and the payload kept for staff."""
    code, message, msgid, params = (refusal + (None, None))[:4]
    return {"status": EnvelopeStatus.REJECTED, "code": code[:64], "message": message, "msgid": msgid,
            "message_params": params,
            "payload": canonical_json({key: raw.get(key) for key in ("kind", "payload", "attachments", "seq",
                                                                     "created_at")})}


def _guard(values: dict) -> int | None:
    """Insert the guard row; its id, or None when (kiosk, envelope id) is taken already: by a
    concurrent push (the insert waits for it to finish; if it rolls back, this one goes in) or by
    an earlier envelope of this batch. No savepoint needed: a taken key is not an error."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return db.session.execute(
        insert(SyncEnvelope).values(**values).on_conflict_do_nothing(index_elements=["kiosk_id", "envelope_id"])
        .returning(SyncEnvelope.id)).scalar()


def _write_receipts(receipts: list[dict]) -> None:
    """Store the batch's pending receipts on their guard rows, one statement for all (an executemany:
    psycopg sends it as one pipeline), and empty the list. Called before anything reads those rows
    back (a repeat of an envelope in the same batch) and before the batch commits, so the commit
    that makes an ``applied`` answer true always carries its receipt."""
    if not receipts:
        return
    table = SyncEnvelope.__table__
    db.session.connection().execute(
        update(table).where(table.c.id == bindparam("row_id"))
        .values(receipt=bindparam("new_receipt"), message=bindparam("new_message")), receipts)
    receipts.clear()


def _decide(kiosk_id: str, raw: dict, envelope_id: str, digest: str, now: datetime, *,
            refusal: tuple[str, str] | None = None, decided: list[str] | None = None,
            receipts: list[dict] | None = None) -> EnvelopeResult:
    values = {"kiosk_id": kiosk_id, "envelope_id": envelope_id, "seq": _seq(raw.get("seq")),
              "kind": str(raw.get("kind"))[:32], "payload_hash": digest, "status": EnvelopeStatus.APPLIED,
              "created_at_kiosk": str(raw.get("created_at") or "")[:40] or None, "received_at": now}
    if refusal is not None:  # known before anything runs: one insert
        values.update(_refusal_values(raw, refusal))
    with transaction():
        # The guard comes first and outside the applier's savepoint: it is what a concurrent push
        # of the same envelope waits on.
        row_id = _guard(values)
        if row_id is None:
            if receipts:  # the earlier one may be this batch's own: its receipt is read back below
                _write_receipts(receipts)
            stored = _stored(kiosk_id, envelope_id)
            if stored is None:  # taken and gone again: cannot be (rows are never deleted)
                raise Conflict(N_("同样的内容刚刚已经提交过了，请刷新页面查看。"), code="duplicate")
            return _answer_again(stored, digest)
        if refusal is None:
            outcome = _run(kiosk_id, raw, envelope_id, now)
            if isinstance(outcome, Applied):
                values.update(receipt=(outcome.receipt or "")[:64] or None, message=outcome.message)
                if receipts is not None:  # written with the batch's others before it commits
                    receipts.append({"row_id": row_id, "new_receipt": values["receipt"],
                                     "new_message": values["message"]})
                else:
                    db.session.execute(update(SyncEnvelope).where(SyncEnvelope.id == row_id)
                                       .values(receipt=values["receipt"], message=values["message"])
                                       .execution_options(synchronize_session=False))
            else:
                refused = _refusal_values(raw, outcome)
                values.update(refused)
                db.session.execute(update(SyncEnvelope).where(SyncEnvelope.id == row_id).values(**refused)
                                   .execution_options(synchronize_session=False))
        if decided is None:
            feed.record_change(FeedEntity.SUBMISSION_STATUS, envelope_id, kiosk_id=kiosk_id)
        else:
            decided.append(envelope_id)
    if values["status"] == EnvelopeStatus.REJECTED:
        return EnvelopeResult(envelope_id, ResultStatus.REJECTED, code=values["code"], message=values["message"])
    return EnvelopeResult(envelope_id, ResultStatus.APPLIED, receipt=values.get("receipt"),
                          message=values.get("message"))


def _run(kiosk_id: str, raw: dict, envelope_id: str, now: datetime) -> Applied | tuple:
    """Run the kind's applier in a savepoint: what it returned, or the refusal."""
    handler = HANDLERS[raw["kind"]]
    kiosk = db.session.get(Kiosk, kiosk_id)
    attachments = [Attachment(blobs.held(item["sha256"]), str(item.get("name") or "")[:120], item.get("role"),
                              item.get("content_type")) for item in raw.get("attachments") or []]
    context = EnvelopeContext(kiosk, envelope_id, raw["kind"], raw["payload"], attachments, now)
    try:
        with savepoint():
            return handler(context)
    except DomainError as error:
        return error.code, error.message, str(error.msgid), _plain(error.params)
    except OperationalError:
        raise  # the database, not the envelope: the whole push is answered 503 and retried
    except Exception:
        current_app.logger.exception("applying envelope %s of kiosk %s failed", envelope_id, kiosk_id)
        return "internal_error", str(INTERNAL_ERROR), str(INTERNAL_ERROR), None


def _plain(params: dict) -> dict | None:
    """Parameters as JSON can keep them (labels stay their Chinese text)."""
    if not params:
        return None
    return json.loads(json.dumps(params, default=str, ensure_ascii=False))


def _seq(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62 else None
