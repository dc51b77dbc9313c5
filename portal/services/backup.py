"""Backups: ``flask --app wsgi backup DIR`` copies the database and the uploads, consistently.

One folder per backup (``DIR/portal-<UTC time>/``, readable by its owner only) holding:

- the database: ``portal.db`` made with SQLite's online backup API (safe while the portal runs), or
  ``portal.dump`` made by ``pg_dump --format=custom`` on PostgreSQL, from an exported snapshot;
- ``uploads.tar``: every uploaded file (claim documents, photos, kiosk attachments);
- ``manifest.json``: when, which dialect and migration, the row count of every table taken in the
  same snapshot as the copy, and each file's SHA-256.

The data key (``instance/data_key`` or ``PORTAL_DATA_KEY``) is NOT in the backup: encrypted
columns need it, so keep it elsewhere, never beside the backups. ``restore_copy`` brings a backup
back into a scratch database and counts its rows: the restore drill (``tests/privacy/test_backup.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from portal.extensions import db


class BackupError(RuntimeError):
    """The backup could not be made (a tool missing or too old, the folder not writable)."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(connection) -> dict[str, int]:
    """Rows per table (alembic's own table included), through a SQLAlchemy ``connection``."""
    names = sorted(inspect(connection).get_table_names())
    # Table names come from the database's own catalogue, quoted.
    return {name: connection.execute(text(f"SELECT count(*) FROM {_quoted(name)}")).scalar_one()  # noqa: S608
            for name in names}


def _sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        names = sorted(row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        return {name: connection.execute(f"SELECT count(*) FROM {_quoted(name)}").fetchone()[0]  # noqa: S608
                for name in names}


def _libpq_env(url: URL) -> dict[str, str]:
    """The connection for pg_dump / pg_restore as environment variables: no password on a command line."""
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[key] = str(value)
    return env


def _major(version_text: str) -> int:
    found = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not found:
        raise BackupError(f"cannot read a version in {version_text!r}")
    return int(found.group(1))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_backup(destination: str | Path, *, now: datetime | None = None) -> dict:
    """Back up the database and the uploads into a new folder under ``destination``; the manifest."""
    now = now or datetime.now(UTC)
    root = Path(destination)
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"portal-{now:%Y%m%dT%H%M%S%fZ}"
    folder.mkdir(mode=0o700)
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        database, counts, revision = _backup_sqlite(url, folder)
    elif url.get_backend_name() == "postgresql":
        database, counts, revision = _backup_postgres(url, folder)
    else:
        raise BackupError(f"no backup for {url.get_backend_name()}")
    uploads = folder / "uploads.tar"
    with tarfile.open(uploads, "w") as archive:
        archive.add(current_app.config["UPLOAD_FOLDER"], arcname="uploads")
    manifest = {
        "created_at": now.isoformat(), "dialect": url.get_backend_name(), "revision": revision,
        "database": database.name, "uploads": uploads.name, "tables": counts,
        "sha256": {path.name: _sha256(path) for path in (database, uploads)},
        "note": "encrypted columns need the data key, which is not in this backup",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True))
    for path in folder.iterdir():
        path.chmod(0o600)
    return {"folder": str(folder), **manifest}


def _revision(connection, counts: dict[str, int]) -> str | None:
    """The migration the database is at (none for a database made by ``create_all``, as in tests);
    asked only when the table exists, as a failed query would end the snapshot's transaction."""
    if not counts.get("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _backup_sqlite(url: URL, folder: Path) -> tuple[Path, dict[str, int], str | None]:
    source_path = Path(url.database)
    target = folder / "portal.db"
    with sqlite3.connect(source_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)  # the online backup API: a consistent copy while others write
    counts = _sqlite_counts(target)
    with sqlite3.connect(target) as copy:
        try:
            revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            revision = None
    return target, counts, revision[0] if revision else None


def _backup_postgres(url: URL, folder: Path) -> tuple[Path, dict[str, int], str | None]:
    pg_dump = _tool("pg_dump")
    version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    client = _major(version.stdout)
    target = folder / "portal.dump"
    # One snapshot for the counts and the dump: the manifest describes exactly what was copied.
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            server = _major(connection.execute(text("SHOW server_version")).scalar_one())
            if client < server:
                raise BackupError(f"pg_dump {client} cannot dump a PostgreSQL {server} server: install "
                                  f"postgresql-client-{server}")
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = table_counts(connection)
            revision = _revision(connection, counts)
            done = subprocess.run([pg_dump, "--format=custom",  # noqa: S603 - arguments made here "--no-owner", "--no-privileges",
                                   f"--snapshot={snapshot}", f"--file={target}"],
                                  env=_libpq_env(url), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    return target, counts, revision


def restore_copy(folder: str | Path, target_url: str) -> dict[str, int]:
    """Bring the backup in ``folder`` back into ``target_url`` (an empty scratch database, or a new
    SQLite file) and count its rows per table: the restore drill, and the first step of a real restore."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    for name, digest in manifest["sha256"].items():
        if _sha256(folder / name) != digest:
            raise BackupError(f"{name} does not match its manifest: the backup is damaged")
    url = make_url(target_url)
    if url.get_backend_name() == "sqlite":
        target = Path(url.database)
        with sqlite3.connect(folder / manifest["database"]) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return _sqlite_counts(target)
    done = subprocess.run([_tool("pg_restore"), "--no-owner",  # noqa: S603 - arguments made here "--no-privileges", "--exit-on-error",
                           f"--dbname={url.database}", str(folder / manifest["database"])],
                          env=_libpq_env(url), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return table_counts(connection)
    finally:
        engine.dispose()


def extract_uploads(folder: str | Path, destination: str | Path) -> list[str]:
    """Unpack the backup's uploads under ``destination``; the files' paths, relative to it."""
    with tarfile.open(Path(folder) / "uploads.tar") as archive:
        archive.extractall(destination, filter="data")
        return sorted(member.name for member in archive.getmembers() if member.isfile())
