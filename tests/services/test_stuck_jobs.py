"""Jobs that cannot get stuck: a roster import killed mid-way (a real process, SIGKILL) wrote
nothing; the sweep retries it or fails it with a way forward (re-check, re-upload), and redoing
it works. A worker the sweep took over can never also finish."""

import json
import os
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from portal.domain.background import JobStatus
from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import BackgroundJob, Enrollment, Member, RosterImport, RosterImportStatus
from portal.models.base import utcnow
from portal.services import background
from portal.services.background import LeaseLost
from portal.services.enrollment import rosters
from portal.services.unit_of_work import transaction
from tests.factories import create_plan, create_staff, create_union

ROOT = Path(__file__).resolve().parents[2]
ROWS = 120


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def roster_file(rows: int = ROWS) -> bytes:
    lines = ["姓名,身份证号,手机号"]
    for n in range(rows):
        number = compose_id_number("320213", date(1985, 1 + n % 12, 1 + n % 28), 100 + n)
        name = "王李张刘陈"[n % 5] + "伟芳娜敏静丽强磊军洋"[n // 5 % 10] + "一二三四五六七八九十"[n // 50 % 10]
        lines.append(f"{name},{number},139{n:08d}")
    return ("\n".join(lines) + "\n").encode()


def checked_roster():
    union = create_union("LX01")
    officer = create_staff("officer", Role.UNION_OFFICER, union=union)
    create_plan()
    roster, _ = rosters.upload_roster(officer, union, roster_file(), "名单.csv")
    checked = db.session.get(RosterImport, roster.id)
    assert checked.ok_rows == ROWS, (checked.status, checked.failure, checked.issues[:2])
    return officer, roster.id


def job(kind: str, subject_id: int) -> BackgroundJob:
    db.session.expire_all()
    return db.session.scalar(select(BackgroundJob).where(BackgroundJob.kind == kind,
                                                         BackgroundJob.subject_id == subject_id))


def kill_mid_import(app, import_id: int) -> None:
    """Confirm the roster, run its import in a child process on this database and SIGKILL the
    child once it has written its first rows (uncommitted)."""
    db.session.execute(text("UPDATE roster_imports SET status = 'importing' WHERE id = :id"), {"id": import_id})
    db.session.commit()
    config = {key: value for key, value in app.config.items()
              if key.isupper() and isinstance(value, (str, int, bool)) and value is not None}
    child = subprocess.Popen([sys.executable, "-m", "tests.jobs_child", json.dumps(config), str(import_id)],
                             cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = child.stdout.readline()
        assert line == b"mid-import\n", child.stderr.read().decode()[-2000:]
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()
        child.stdin.close()
    assert child.returncode == -signal.SIGKILL
    held = job("import_roster", import_id)
    assert held.status == JobStatus.RUNNING and held.owner.endswith(f":{child.pid}")
    assert held.lease_expires_at > utcnow()  # the lease alone would hold it for minutes


def test_an_import_killed_mid_way_wrote_nothing_and_the_sweep_runs_it_again(app):
    _, import_id = checked_roster()
    kill_mid_import(app, import_id)
    assert (count(Member), count(Enrollment)) == (0, 0)  # all or nothing
    assert db.session.get(RosterImport, import_id).status == RosterImportStatus.IMPORTING
    # The consumer starting again (or the minute's sweep) sees the owner process is gone.
    assert background.sweep_jobs()["retried"] == 1
    db.session.expire_all()
    roster = db.session.get(RosterImport, import_id)
    assert roster.status == RosterImportStatus.DONE and roster.created_count == ROWS
    assert (count(Member), count(Enrollment)) == (ROWS, ROWS)
    done = job("import_roster", import_id)
    assert done.status == JobStatus.DONE and done.attempts == 2


def test_when_retries_are_spent_the_officer_sees_failed_and_can_check_and_import_again(app, client, auth):
    officer, import_id = checked_roster()
    kill_mid_import(app, import_id)
    db.session.execute(text("UPDATE background_jobs SET attempts = 2 WHERE kind = 'import_roster'"))  # died before
    db.session.commit()
    assert background.sweep_jobs()["given_up"] == 1
    db.session.expire_all()
    roster = db.session.get(RosterImport, import_id)
    assert roster.status == RosterImportStatus.FAILED
    assert "未写入任何数据" in roster.failure and "重新校验" in roster.failure and "重新上传" in roster.failure
    assert (count(Member), count(Enrollment)) == (0, 0)
    auth.staff("officer")
    page = client.get(f"/enrollment/rosters/{import_id}").get_data(as_text=True)
    assert "失败" in page and "重新校验" in page and "导入中" not in page
    # The way forward works: re-check, confirm, imported once.
    rosters.recheck_roster(officer, import_id)
    db.session.expire_all()
    assert db.session.get(RosterImport, import_id).status == RosterImportStatus.VALIDATED
    rosters.confirm_roster(officer, import_id)
    db.session.expire_all()
    assert db.session.get(RosterImport, import_id).status == RosterImportStatus.DONE
    assert (count(Member), count(Enrollment)) == (ROWS, ROWS)


def test_a_check_whose_lease_expired_is_checked_again_and_a_live_one_is_left_alone():
    _, import_id = checked_roster()
    db.session.execute(text("UPDATE roster_imports SET status = 'validating' WHERE id = :id"), {"id": import_id})
    db.session.commit()
    lease = background.take_lease("check_roster", import_id)  # this process: alive
    assert background.take_lease("check_roster", import_id) is None  # the task delivered twice
    assert background.sweep_jobs(now=utcnow() + timedelta(minutes=5)) == {"retried": 0, "given_up": 0,
                                                                         "orphans_failed": 0}
    assert background.sweep_jobs(now=utcnow() + timedelta(minutes=11))["retried"] == 1
    db.session.expire_all()
    assert db.session.get(RosterImport, import_id).status == RosterImportStatus.VALIDATED
    # The first worker, late but alive, cannot land its result over the retry's.
    with pytest.raises(LeaseLost), transaction():
        lease.finish()


def test_a_heartbeat_keeps_a_slow_job_alive():
    _, import_id = checked_roster()
    lease = background.take_lease("check_roster", import_id)
    first = job("check_roster", import_id).lease_expires_at
    assert lease.beat(force=True)
    assert job("check_roster", import_id).lease_expires_at > first


def test_a_retry_that_never_starts_is_given_up_in_the_end():
    _, import_id = checked_roster()
    db.session.execute(text("UPDATE roster_imports SET status = 'importing' WHERE id = :id"), {"id": import_id})
    db.session.commit()
    background.take_lease("import_roster", import_id)
    later = utcnow() + timedelta(minutes=16)
    # The sweep queued its retry once already, and that task was lost with the queue.
    db.session.execute(text("UPDATE background_jobs SET status = 'retrying', attempts = 2 "
                            "WHERE kind = 'import_roster'"))
    db.session.commit()
    assert background.sweep_jobs(now=later)["given_up"] == 1
    db.session.expire_all()
    assert db.session.get(RosterImport, import_id).status == RosterImportStatus.FAILED
