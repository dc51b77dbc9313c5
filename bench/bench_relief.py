"""Benchmark: the station directory and a heat-relief season at city scale, in process.

Builds a database with 3,000 stations (a third with a kiosk) and 20,000 hardship families across
the districts, declares the city's season, then times: the public directory (all, and filtered by
district and service), the season's first page and figures for the administrator, confirming the
families in batches of 500, and the payout file. Prints JSON (seconds per operation).

    .venv/bin/python bench/bench_relief.py                           # SQLite in a temporary folder
    .venv/bin/python bench/bench_relief.py --families 5000 --stations 500
    .venv/bin/python bench/bench_relief.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_relief

The PostgreSQL database must exist and is emptied.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DISTRICTS = ["梁溪区", "锡山区", "惠山区", "滨湖区", "新吴区", "江阴市", "宜兴市"]
SERVICES = ["water", "rest", "charging", "microwave", "first_aid", "toilet"]


def timed(results: dict, name: str, fn):
    started = time.perf_counter()
    value = fn()
    results[name] = round(time.perf_counter() - started, 4)
    return value


def build(stations: int, families: int):
    from portal.domain.identity import compose_id_number, parse_id_number
    from portal.extensions import db
    from portal.models import (
        HardshipFamily,
        Kiosk,
        Member,
        StaffUser,
        Station,
        StationOffer,
        UnionKind,
        add_union,
    )

    federation = add_union("WX", "无锡市总工会", UnionKind.FEDERATION)
    districts = [add_union(f"D{i}", f"{name}总工会", UnionKind.DISTRICT, federation, district=name)
                 for i, name in enumerate(DISTRICTS)]
    grassroots = [add_union(f"G{i:03d}", f"基层工会{i}", UnionKind.GRASSROOTS, districts[i % len(districts)],
                            district=DISTRICTS[i % len(DISTRICTS)]) for i in range(70)]
    for number in range(stations):
        union = grassroots[number % len(grassroots)]
        kind = "cooling" if number % 2 else "outdoor_workers"
        station = Station(code=f"S{number:05d}", name=f"驿站{number}", kind=kind, union=union, district=union.district,
                          address=f"路{number}号")
        station.offers = [StationOffer(service=s) for s in SERVICES if (number + len(s)) % 3]
        db.session.add(station)
        if number % 3 == 0:
            db.session.add(Kiosk(id=str(uuid.uuid4()), station=station, name="机", status="active"))
    for number in range(families):
        union = grassroots[number % len(grassroots)]
        member = Member(name="职工", union=union)
        birth = date(1970, 1, 1) + timedelta(days=number // 800)  # ID sequences run 100-899 per birth day
        member.set_identity(parse_id_number(compose_id_number("320213", birth, 100 + number % 800),
                                            today=date(2026, 7, 1)))
        db.session.add(member)
        db.session.add(HardshipFamily(member=member, union=union, level="city", reason="因病致困", status="registered",
                                      registered_on=date(2026, 1, 1), review_on=date(2026, 12, 31)))
        if number % 2000 == 1999:
            db.session.flush()
    admin = StaffUser(username="admin", display_name="管理员", role="admin")
    admin.set_password("bench-password-42")
    db.session.add(admin)
    db.session.commit()
    return admin


def run(url: str, stations: int, families: int) -> dict:
    from sqlalchemy import select

    from portal import create_app
    from portal.extensions import db
    from portal.models import HardshipFamily
    from portal.services import relief
    from portal.services import stations as station_service

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    results: dict = {"database": url.split(":")[0], "stations": stations, "families": families}
    with app.test_request_context():
        db.drop_all()
        db.create_all()
        admin = timed(results, "build_s", lambda: build(stations, families))
        filters = station_service.DirectoryFilters
        timed(results, "directory_all_s", lambda: station_service.directory(filters(), today=date(2026, 7, 1)))
        timed(results, "directory_district_service_s", lambda: station_service.directory(
            filters(district="梁溪区", service="charging"), today=date(2026, 7, 1)))
        timed(results, "directory_kiosk_s", lambda: station_service.directory(filters(service="kiosk"),
                                                                              today=date(2026, 7, 1)))
        season = relief.declare_season(admin, relief.SeasonInput(
            name="2026年送清凉", starts_on=date(2026, 6, 15), ends_on=date(2026, 9, 15), amount_yuan="200",
            levels=["city"]))
        timed(results, "season_view_s", lambda: relief.season_view(admin, season.id))
        ids = list(db.session.scalars(select(HardshipFamily.id).order_by(HardshipFamily.id)))

        def confirm_all():
            for start in range(0, len(ids), 500):
                relief.confirm_families(admin, season.id, ids[start:start + 500], today=date(2026, 7, 1))

        timed(results, "confirm_all_in_batches_of_500_s", confirm_all)
        timed(results, "season_view_after_s", lambda: relief.season_view(admin, season.id))
        content = timed(results, "payout_file_s", lambda: relief.payout_file(admin, season.id))
        results["payout_file_bytes"] = len(content)
        db.session.remove()
        db.drop_all()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--stations", type=int, default=3000)
    parser.add_argument("--families", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        print(json.dumps(run(url, args.stations, args.families), ensure_ascii=False))


if __name__ == "__main__":
    main()
