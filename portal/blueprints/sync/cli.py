"""``flask --app wsgi kiosk …``: register, rotate keys and revoke kiosks from the command line,
and prune what the sync protocol keeps."""

from __future__ import annotations

import json
from pathlib import Path

import click

from portal.domain.errors import DomainError


@click.group("kiosk")
def kiosk_group():
    """Kiosks at service stations (sync protocol)."""


def _fail(error: DomainError, as_json: bool):
    if as_json:
        click.echo(json.dumps({"error": error.message, "code": error.code}, ensure_ascii=False))
        raise SystemExit(2)
    raise click.ClickException(error.message)


@kiosk_group.command("register")
@click.option("--station", "station_code", required=True,
              help="站点代码；未知代码会在市总工会下新建站点，之后在工作台补全。")
@click.option("--name", required=True, help="终端名称，例如 “梁溪区快递驿站1号机”。")
@click.option("--public-key", "public_key", required=True, type=click.Path(exists=True, dir_okay=False),
              help="终端生成的 Ed25519 公钥文件（PEM）。")
@click.option("--union", "union_codes", multiple=True, help="终端服务的工会代码（可多次给出；默认站点所属工会）。")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出 {\"kiosk_id\": …}。")
def register_command(station_code, name, public_key, union_codes, as_json):
    """Register a kiosk with its public key; prints the kiosk id."""
    from portal.services.sync.kiosks import register_kiosk

    try:
        kiosk = register_kiosk(None, station_code=station_code, name=name,
                               public_key=Path(public_key).read_bytes(), union_codes=list(union_codes) or None)
    except DomainError as error:
        _fail(error, as_json)
    if as_json:
        click.echo(json.dumps({"kiosk_id": kiosk.id}))
    else:
        note = "（新站点，请在工作台补全名称、工会和地址）" if kiosk.station.needs_completion else ""
        click.echo(f"kiosk {kiosk.id} registered at station {kiosk.station.code}{note}")


@kiosk_group.command("rotate-key")
@click.argument("kiosk_id")
@click.option("--public-key", "public_key", required=True, type=click.Path(exists=True, dir_okay=False))
def rotate_key_command(kiosk_id, public_key):
    """Add a new public key; the old keys stay valid for the overlap."""
    from portal.services.sync.kiosks import rotate_key

    try:
        key = rotate_key(None, kiosk_id, Path(public_key).read_bytes())
    except DomainError as error:
        _fail(error, False)
    click.echo(f"key {key.fingerprint[:16]} added to kiosk {kiosk_id}")


@kiosk_group.command("revoke")
@click.argument("kiosk_id")
def revoke_command(kiosk_id):
    """Revoke a kiosk: its requests are refused from now on."""
    from portal.services.sync.kiosks import revoke_kiosk

    try:
        revoke_kiosk(None, kiosk_id)
    except DomainError as error:
        _fail(error, False)
    click.echo(f"kiosk {kiosk_id} revoked")


@kiosk_group.command("prune")
def prune_command():
    """Delete changes past the retention and expired nonces (run daily)."""
    from portal.models.base import utcnow
    from portal.services.sync import feed, nonces

    now = utcnow()
    gone = feed.prune(now=now)
    nonces.purge_expired(now)
    click.echo(f"pruned {gone} changes")
