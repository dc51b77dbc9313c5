"""``flask --app wsgi backup`` and the restore drill: a backup comes back into a scratch database
(a new SQLite file, or ``<db>_restore`` on PostgreSQL) with every table's rows, readable with the
data key, and the uploads come back from their tar."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from portal.models import Member
from portal.services import backup
from tests.conftest import IS_POSTGRES
from tests.factories import covered_member, file_claim


@pytest.fixture
def scratch_url(tmp_path):
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = make_url(os.environ["PORTAL_TEST_DATABASE_URL"])
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    scratch = f"{url.database}_restore"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        connection.execute(f'CREATE DATABASE "{scratch}"')
    yield url.set(database=scratch).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def test_a_backup_restores_with_the_same_rows_in_every_table_and_its_uploads(app, runner, tmp_path, scratch_url):
    member = covered_member(name="周树人")
    claim = file_claim(member)
    covered_member(name="许广平")
    db.session.commit()
    live = backup.table_counts(db.session.connection())
    db.session.commit()
    assert live["members"] == 2 and live["claim_documents"] >= 3

    result = runner.invoke(args=["backup", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    folder = Path(summary["folder"])
    assert summary["dialect"] == ("postgresql" if IS_POSTGRES else "sqlite")
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert all(oct(path.stat().st_mode & 0o777) == "0o600" for path in folder.iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"] == live

    restored = backup.restore_copy(folder, scratch_url)
    assert restored == live  # every table, row for row
    # The copy is the portal's data: with the data key (kept apart from backups) it reads back.
    expected = sorted(m.id_number for m in db.session.query(Member))
    documents = [document.stored_name for document in claim.documents]
    db.session.commit()
    copy = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "x", "TESTING": True,
                       "DATA_KEY": app.config["DATA_KEY"], "UPLOAD_FOLDER": str(tmp_path / "restored-uploads")})
    with copy.app_context():
        assert sorted(m.id_number for m in db.session.query(Member)) == expected
        db.session.remove()
        db.engine.dispose()

    files = backup.extract_uploads(folder, tmp_path / "restored-files")
    for stored_name in documents:
        assert f"uploads/{stored_name}" in files
        original = Path(app.config["UPLOAD_FOLDER"]) / stored_name
        assert (tmp_path / "restored-files" / "uploads" / stored_name).read_bytes() == original.read_bytes()


def test_a_damaged_backup_is_refused(app, runner, tmp_path, scratch_url):
    covered_member()
    db.session.commit()
    folder = Path(json.loads(runner.invoke(args=["backup", str(tmp_path)]).output)["folder"])
    database = folder / json.loads((folder / "manifest.json").read_text())["database"]
    database.write_bytes(database.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.restore_copy(folder, scratch_url)
