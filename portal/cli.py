"""``flask --app wsgi …`` commands shared by operators and ``make run``.

Each command is one outer unit of work (``transaction()``): the service actions it runs commit
together when it succeeds and leave nothing behind when it fails.
"""

from __future__ import annotations

import click
from flask import Flask

from portal.domain.errors import DomainError
from portal.services.unit_of_work import transaction


def init_app(app: Flask) -> None:
    app.cli.add_command(create_staff_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(demo_totp_command)
    app.cli.add_command(discharge_sample_command)
    app.cli.add_command(import_roster_command)
    app.cli.add_command(jobs_close_expired_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(backup_command)
    from portal.blueprints.sync.cli import kiosk_group

    app.cli.add_command(kiosk_group)


@click.command("create-staff")
@click.option("--username", prompt="用户名")
@click.option("--name", "display_name", prompt="姓名")
@click.option("--role", prompt="角色", type=click.Choice(
    ["admin", "reviewer", "union_officer", "childcare_organiser", "enterprise"]))
@click.option("--union", "union_code", default=None, help="所属工会代码（经办人、托管班负责人必填）")
@click.password_option("--password", prompt="密码")
def create_staff_command(username, display_name, role, union_code, password):
    """Create a staff account."""
    from portal.services import staff

    try:
        with transaction():
            user = staff.create_staff(None, username=username, display_name=display_name, role=role,
                                      password=password, union_code=union_code)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created {user.username} ({user.role})")


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
@click.option("--members", default=300, show_default=True)
@click.option("--scale", type=click.Choice(["small", "test", "city"]), default="small", show_default=True,
              help="city: add the figures of a city federation (300,000 members, 600,000 enrolments, 60,000 "
                   "claims…) in bulk on top of the small demo; test: a thousandth of that.")
def demo_data_command(if_empty, members, scale):
    """Load the demo federation, members and staff accounts."""
    import time

    from portal.demo import database_is_empty, load_demo_data

    if not database_is_empty():
        if if_empty:
            click.echo("database has data; demo data not loaded")
            return
        raise click.ClickException("the database is not empty; demo data goes into an empty database only")
    started = time.monotonic()
    with transaction():
        context = load_demo_data(members=members)
        if scale != "small":
            from portal.demo.city import SCALES, grow_city

            counts = grow_city(SCALES[scale], today=context.today)
    click.echo(f"demo data loaded: {len(context.unions)} unions, {len(context.members)} members")
    if scale != "small":
        click.echo(f"{scale} scale added in {time.monotonic() - started:.0f} s: {counts}")
    for note in context.notes:
        click.echo(note)


@click.command("demo-totp")
@click.argument("username")
def demo_totp_command(username):
    """Print the current two-factor code of a demo account (admin, reviewer); nothing for any other."""
    import pyotp
    from sqlalchemy import select

    from portal.demo.core import DEMO_TOTP_SECRETS
    from portal.models import StaffUser

    secret = DEMO_TOTP_SECRETS.get(username)
    from portal.extensions import db

    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username)) if secret else None
    if user is None or user.totp_secret != secret:
        raise click.ClickException("only the demo accounts enrolled with the published demo keys have a code here")
    click.echo(pyotp.TOTP(secret).now())


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--union", "union_code", required=True, help="参保工会代码，例如 LX01")
@click.option("--dry-run", is_flag=True, help="只校验，不写入任何数据。")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出结果。")
def import_roster_command(file, union_code, dry_run, as_json):
    """Check and import a union roster (.xlsx or .csv); exit code 0 unless the file cannot be read."""
    import json
    from pathlib import Path

    from portal.services import unions
    from portal.services.enrollment import rosters

    path = Path(file)
    with transaction():
        try:
            union = unions.find_union(union_code)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        try:
            outcome = rosters.import_roster_file(union, path.read_bytes(), path.name, dry_run=dry_run)
        except DomainError as error:
            if as_json:
                click.echo(json.dumps({"error": error.message}, ensure_ascii=False))
            else:
                click.echo(error.message, err=True)
            raise SystemExit(2) from None
    result = outcome.as_json()
    if dry_run:
        # Nothing is written on a dry run; say what a real run would create.
        result.update(dry_run=True, would_create=outcome.ok_rows)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    verb = "可参保（未写入，--dry-run）" if dry_run else "已参保"
    click.echo(f"{verb}: {outcome.ok_rows if dry_run else result['created']}  "
               f"已在别处参保: {result['already_covered']}  有错误的行: {result['error_rows']}")
    for error in result["errors"]:
        who = " ".join(part for part in (error["name"], error["id_number"]) if part)
        click.echo(f"  第{error['row']}行{f'（{who}）' if who else ''} {error['column']}: {error['message']}")


@click.command("discharge-sample")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--count", default=8, show_default=True, help="How many people to include.")
@click.option("--covered-members", is_flag=True,
              help="Real covered members (full ID numbers; audited) instead of made-up people.")
def discharge_sample_command(path, count, covered_members):
    """Write a sample hospital-discharge list (made-up people unless --covered-members), to try the import."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import StaffUser
    from portal.services.review import queries

    with transaction():
        reviewer = db.session.scalar(select(StaffUser).where(StaffUser.role.in_(("reviewer", "admin"))).limit(1))
        if reviewer is None:
            raise click.ClickException("no reviewer or administrator account exists")
        sample = queries.sample_discharge_list(reviewer, count=count, real_members=covered_members)
    with open(path, "wb") as handle:
        handle.write(sample)
    click.echo(f"wrote {path}: import it under 理赔审核 → 出院名单")


@click.command("jobs-close-expired")
def jobs_close_expired_command():
    """Close work-study positions whose application deadline has passed (run daily)."""
    from portal.services.jobs import positions

    with transaction():
        closed = positions.close_expired_positions()
    click.echo(f"closed {closed} positions past their deadline")


@click.command("purge")
def purge_command():
    """Delete what is past its retention (codes, roster files, kiosk leftovers…); print the counts as JSON."""
    import json

    from portal.services import purge

    with transaction():
        counts = purge.purge()
    click.echo(json.dumps(counts, ensure_ascii=False, sort_keys=True))


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False))
def backup_command(destination):
    """Back up the database (SQLite online backup or pg_dump) and the uploads into DESTINATION; print the manifest."""
    import json

    from portal.services import backup

    try:
        manifest = backup.make_backup(destination)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps({key: manifest[key] for key in ("folder", "dialect", "revision", "database", "uploads")}
                          | {"tables": len(manifest["tables"]), "rows": sum(manifest["tables"].values())},
                          ensure_ascii=False))
