"""Demo heat relief: the city's summer season paying 87 city-level hardship families 200元 each,
confirmed by the federation; a Huishan district season (300元 for district-level families) for the
demo account ``officer_hs`` to confirm; cool-down packs handed out at the 清凉驿站 and to families.

The season is this summer once July has come, else last summer, so packs are handed out on days past.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.domain.hardship import HardshipLevel
from portal.extensions import db
from portal.models import HardshipFamily, Station
from portal.services import relief


def load(context) -> None:
    admin = context.staff["admin"]
    year = context.today.year if context.today >= date(context.today.year, 7, 1) else context.today.year - 1
    starts, ends = date(year, 6, 15), date(year, 9, 15)
    season = relief.declare_season(admin, relief.SeasonInput(
        name=f"{year}年夏季送清凉（市级）", starts_on=starts, ends_on=ends, amount_yuan="200", levels=["city"]))
    city_families = list(db.session.scalars(select(HardshipFamily.id).where(
        HardshipFamily.level == HardshipLevel.CITY).order_by(HardshipFamily.id)))
    relief.confirm_families(admin, season.id, city_families, today=context.today)
    handed_on = min(context.today, starts + timedelta(days=20))
    for station in db.session.scalars(select(Station).where(Station.kind == "cooling").order_by(Station.code)):
        relief.record_packs(admin, season.id, station_id=station.id, count=150, handed_on=handed_on,
                            note="高温慰问，进站即领", today=context.today)
    for family_id in city_families[:10]:
        relief.record_packs(admin, season.id, family_id=family_id, count=2, handed_on=handed_on, today=context.today)
    relief.declare_season(context.staff["officer_hs"], relief.SeasonInput(
        name=f"{year}年惠山区送清凉", starts_on=starts, ends_on=ends, amount_yuan="300", levels=["district"]))
    context.notes.append(f"送清凉: {len(city_families)} 户市级建档家庭每户200元已确认 (/relief/)")
