"""Demo joining online (网上入会): the city's union of gig workers (新就业形态劳动者), which the
joining page offers beside the district unions, its officer, and a courier's request waiting for
that officer (with a photo of their work badge)."""

from __future__ import annotations

from datetime import date, timedelta

from portal.demo.core import DEMO_PASSWORD
from portal.domain.identity import compose_id_number, parse_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import JoinRequest, StaffUser, UnionKind, add_union
from portal.models.base import utcnow

GIG_UNION_CODE = "XJY"
GIG_UNION_NAME = "无锡市新就业形态劳动者工会联合会"
WAITING_MOBILE = "13951500001"


def load(context) -> None:
    federation = context.unions["WX"]
    union = add_union(GIG_UNION_CODE, GIG_UNION_NAME, UnionKind.GRASSROOTS, federation, district="无锡市",
                      takes_join_requests=True)
    context.unions[GIG_UNION_CODE] = union
    officer = StaffUser(username="officer_gig", display_name="新就业形态劳动者工会经办人", role=Role.UNION_OFFICER,
                        union=union)
    officer.set_password(DEMO_PASSWORD)
    db.session.add(officer)
    context.staff["officer_gig"] = officer
    waiting = JoinRequest(name="陆晓峰", occupation="外卖配送员", employer="美团外卖（梁溪站点）", union=union,
                          has_social_insurance=False, status="submitted")
    waiting.set_identity(parse_id_number(compose_id_number("320213", date(1996, 4, 12), 881), today=context.today))
    waiting.set_mobile(WAITING_MOBILE)
    waiting.created_at = utcnow() - timedelta(hours=20)
    db.session.add(waiting)
    context.notes.append(f"网上入会: 1 份入会申请待 officer_gig 确认（{GIG_UNION_NAME}）")
