"""Demo 康乃馨 evaluation: 18 units in 惠山区, each with a 康乃馨服务站, a management system and a
service plan; the 2023 round run by ``officer_hs`` (惠山区总工会) with panels drawn from the shown
seed ``2023-huishan``, most sheets scored, and the sheets of the demo unit account ``knx01`` left
to fill in before the results can be published.
"""

from __future__ import annotations

from portal.demo.core import DEMO_PASSWORD
from portal.domain.evaluation import DEFAULT_CRITERIA
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import StaffUser, Station, UnionKind, add_union
from portal.services import evaluation

UNITS = ["英特派铂业", "长安街道社区", "惠山经开区管委会", "阳山镇", "洛社镇", "前洲街道", "玉祁街道", "钱桥街道",
         "堰桥街道", "生命科技园", "无锡西站物流园", "惠山高新区", "天一实验学校", "惠山区人民医院",
         "盛岸快递分拨中心", "惠山万达广场", "石塘湾社区", "藕塘职教园"]


def load(context) -> None:
    district = context.unions["HS"]
    stations = []
    for number, name in enumerate(UNITS, start=1):
        union = add_union(f"HSK{number:02d}", f"{name}工会", UnionKind.GRASSROOTS, district, district=district.district)
        station = Station(code=f"KNX{number:02d}", name=f"{name}康乃馨服务站", kind="carnation", union=union,
                          address=f"惠山区{name}", district=district.district,
                          opening_hours="周一至周五 9:00—17:00")
        db.session.add(station)
        stations.append(station)
    db.session.flush()
    unit_officer = StaffUser(username="knx01", display_name=f"{UNITS[0]}工会经办人", role=Role.UNION_OFFICER,
                             union=stations[0].union)
    unit_officer.set_password(DEMO_PASSWORD)
    db.session.add(unit_officer)
    db.session.flush()
    officers = {}
    for station in stations:
        officer = unit_officer if station is stations[0] else StaffUser(
            username=f"knx{station.code[-2:]}", display_name=f"{station.union.name}经办人", role=Role.UNION_OFFICER,
            union=station.union)
        if officer is not unit_officer:
            officer.set_password(DEMO_PASSWORD)
            db.session.add(officer)
            db.session.flush()  # an account is active (and so may act) once its defaults are written
        officers[station.union_id] = officer
        evaluation.add_plan_item(officer, station.id, kind="rule", title="女职工休息哺乳室使用管理制度")
        evaluation.add_plan_item(officer, station.id, kind="service", title="每季度一次女职工健康讲座")
    db.session.flush()
    organiser = context.staff["officer_hs"]
    criteria = "\n".join(f"{c.name}|{c.weight}" for c in DEFAULT_CRITERIA)
    round_ = evaluation.create_round(organiser, year=2023, title="2023年度康乃馨服务站质效评价", panel_size=3,
                                     criteria=criteria, station_ids=[s.id for s in stations])
    evaluation.draw_panels(organiser, round_.id, seed="2023-huishan")
    rng = context.rng
    for sheet in db.session.scalars(db.select(evaluation.EvaluationSheet)
                                    .where(evaluation.EvaluationSheet.round_id == round_.id)):
        if sheet.evaluator.union_id == unit_officer.union_id:
            continue
        scores = {c.id: rng.randint(72, 98) for c in round_.criteria}
        evaluation.submit_sheet(officers[sheet.evaluator.union_id], sheet.id, scores, "制度上墙，台账齐全。")
    context.notes.append(f"康乃馨评价: officer_hs 组织（惠山区18家），knx01 填写本单位评分表，密码 {DEMO_PASSWORD}")
