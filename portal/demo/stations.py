"""Demo stations: service points across the districts, as the newspaper page describes them.

Outdoor workers' stations open all year, 清凉驿站 open for this year's heat season (15 June to
15 September), a 康乃馨服务站 and a 职工服务中心; three have a kiosk registered (with a fresh key
whose private half is thrown away: the fleet page shows them, waiting for their first contact).
"""

from __future__ import annotations

from datetime import date

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from portal.services import stations
from portal.services.sync import kiosks

# (code, name, kind, union, address, hours, services, has a kiosk)
STATIONS = [
    ("LX-NCS", "南禅寺户外劳动者服务站", "outdoor_workers", "LX01", "南禅寺步行街12号", "每天 7:00—21:00",
     ["water", "rest", "charging", "microwave", "toilet"], True),
    ("LX-QMQ", "清名桥清凉驿站", "cooling", "LX03", "清名桥古运河畔伯渎港桥堍", "每天 9:00—18:00",
     ["water", "rest", "first_aid"], False),
    ("LX-CAS", "崇安寺职工服务中心", "service_centre", "LX02", "中山路崇安寺广场3号", "周一至周五 8:30—17:00",
     ["water", "rest", "charging", "toilet", "first_aid"], True),
    ("XS-DG", "东港镇清凉驿站", "cooling", "XS01", "东港镇港下路88号", "每天 8:00—20:00",
     ["water", "rest", "microwave"], False),
    ("HS-CA", "长安街道户外劳动者服务站", "outdoor_workers", "HS01", "惠山区长安街道惠源路6号", "每天 7:00—22:00",
     ["water", "rest", "charging", "microwave", "toilet"], False),
    ("BH-RX", "荣巷康乃馨服务站", "carnation", "BH01", "滨湖区荣巷街道梁溪路2号", "周一至周六 9:00—17:00",
     ["water", "rest", "first_aid", "toilet"], False),
    ("BH-XL", "雪浪清凉驿站", "cooling", "BH02", "雪浪街道南湖大道1688号", "每天 9:00—19:00",
     ["water", "rest", "charging"], False),
    ("XW-RJY", "软件园户外劳动者服务站", "outdoor_workers", "XW01", "新吴区清源路18号", "每天 7:30—21:30",
     ["water", "rest", "charging", "microwave", "toilet", "first_aid"], True),
    ("XW-WYC", "网约车司机清凉驿站", "cooling", "XW02", "新吴区锡兴路与长江路口", "每天 10:00—22:00",
     ["water", "rest", "charging", "toilet"], False),
    ("JY-WL", "江阴物流园户外劳动者服务站", "outdoor_workers", "JY01", "江阴市澄江街道物流园区", "每天 7:00—20:00",
     ["water", "rest", "microwave", "toilet"], False),
    ("YX-TC", "丁蜀镇清凉驿站", "cooling", "YX01", "宜兴市丁蜀镇陶都路55号", "每天 8:30—18:30",
     ["water", "rest", "first_aid"], False),
]


def _public_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load(context) -> None:
    admin = context.staff["admin"]
    season = (date(context.today.year, 6, 15), date(context.today.year, 9, 15))
    for number, (code, name, kind, union_code, address, hours, services, has_kiosk) in enumerate(STATIONS, start=1):
        stations.create_station(admin, stations.StationInput(
            code=code, name=name, kind=kind, union_code=union_code, address=address, opening_hours=hours,
            services=services, contact_name="站点值班员", contact_phone=f"0510-8{number:03d}1234",
            season_starts_on=season[0] if kind == "cooling" else None,
            season_ends_on=season[1] if kind == "cooling" else None))
        if has_kiosk:
            kiosks.register_kiosk(admin, station_code=code, name=f"{name}一号机", public_key=_public_key())
    context.notes.append("服务站点: /stations/ (无需登录), 工作人员在 服务站点 页编辑")
