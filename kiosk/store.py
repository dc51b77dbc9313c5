"""The kiosk's SQLite: WAL and ``synchronous=FULL`` (a submission a person was given a receipt for
survives a power cut), foreign keys on, one short transaction per action.

The schema is made with ``create_all`` at start rather than Alembic migrations: the database is a
single-device cache and outbox, created empty at installation, and ``PRAGMA user_version``
records the schema it was made with. A kiosk refuses to start on a file of another version
instead of guessing; the first schema change must bring a migration (Alembic's batch mode) with it,
because fielded kiosks may hold unsent submissions.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from kiosk.models import SCHEMA_VERSION, Base, Setting


class SchemaMismatch(RuntimeError):
    pass


class Store:
    """The database and the attachment folder of one kiosk."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.blob_dir = self.directory / "blobs"
        self.path = self.directory / "kiosk.db"
        self.engine = create_engine(f"sqlite:///{self.path}", connect_args={"timeout": 30})
        event.listen(self.engine, "connect", _pragmas)
        event.listen(self.engine, "begin", _begin_immediate)
        # Reads begin deferred on an engine of their own: a page being read never holds the write lock.
        self.reader = create_engine(f"sqlite:///{self.path}", connect_args={"timeout": 30})
        event.listen(self.reader, "connect", _pragmas)
        event.listen(self.reader, "begin", _begin_deferred)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.reader, expire_on_commit=False)
        self._create()

    def _create(self) -> None:
        with self.engine.connect() as connection:
            version = connection.exec_driver_sql("PRAGMA user_version").scalar()
            tables = connection.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type='table'").scalar()
            if tables and version != SCHEMA_VERSION:
                raise SchemaMismatch(f"{self.path} has schema {version}, this software needs {SCHEMA_VERSION}")
            connection.commit()
        Base.metadata.create_all(self.engine)
        with self.engine.connect() as connection:
            connection.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.commit()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls everything back if it raises."""
        session = self.sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def read(self) -> Session:
        """A session for reading (use it as a context manager); it never writes."""
        return self.read_sessions()

    # --- settings ---------------------------------------------------------------------------

    def get(self, key: str, default=None, *, session: Session | None = None):
        if session is not None:
            row = session.get(Setting, key)
            return default if row is None else row.value
        with self.read_sessions() as own:
            row = own.get(Setting, key)
            return default if row is None else row.value

    def put(self, key: str, value, *, session: Session | None = None) -> None:
        if session is None:
            with self.transaction() as own:
                own.merge(Setting(key=key, value=value))
            return
        session.merge(Setting(key=key, value=value))

    def settings(self) -> dict:
        with self.read_sessions() as session:
            return {row.key: row.value for row in session.scalars(select(Setting))}

    # --- attachments ------------------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        return self.blob_dir / sha256[:2] / sha256

    def write_blob(self, data: bytes) -> str:
        """Store bytes under their SHA-256 (fsynced, renamed into place); returns the hash."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.blob_path(sha256)
        if path.exists() and path.stat().st_size == len(data):
            return sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as output:
                output.write(data)
                output.flush()
                os.fsync(output.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha256

    def dispose(self) -> None:
        self.engine.dispose()
        self.reader.dispose()


def _pragmas(dbapi_connection, _record):
    dbapi_connection.isolation_level = None  # transactions are begun by the "begin" listener below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection):
    """Take the write lock at the start: the web app and the sync loop are two processes, and a
    deferred transaction that later wants to write could fail with "database is locked"."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_deferred(connection):
    connection.exec_driver_sql("BEGIN")


def journal_mode(store: Store) -> tuple[str, int]:
    with store.engine.connect() as connection:
        mode = connection.execute(text("PRAGMA journal_mode")).scalar()
        sync = connection.execute(text("PRAGMA synchronous")).scalar()
        connection.rollback()
        return mode, sync
