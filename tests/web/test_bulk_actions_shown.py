"""Issue 15, finding 9: 一键续保 shows who will be renewed and what it costs, and renews only after
the officer ticks that they checked that very list; a list that changed meanwhile renews nobody."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from portal import clock
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enrollment
from tests.conftest import post_form
from tests.factories import create_enrollment, create_member, create_plan, create_staff, create_union


def due_union():
    plan = create_plan()
    union = create_union()
    for name in ("王小明", "李大伟"):
        create_enrollment(create_member(union=union, name=name), plan, starts_on=clock.today() - timedelta(days=350))
    create_staff("off", Role.UNION_OFFICER, union=union)
    return union, plan


def fingerprint(page: str) -> str:
    return re.search(r'name="expected"[^>]*value="([0-9a-f]+)"', page).group(1)


def test_the_officer_sees_names_and_cost_and_confirms_that_list(client, auth):
    union, plan = due_union()
    auth.staff("off", "correct-horse-42")
    page = client.get(f"/enrollment/renewal?union_code={union.code}").get_data(as_text=True)
    assert "王小明" in page and "李大伟" in page
    total = f"{plan.contribution_fen * 2 // 100:,}.00元"
    assert f"将续保2人，工会缴费合计{total}" in page
    before = db.session.scalar(select(func.count(Enrollment.id)))

    unchecked = post_form(client, "/enrollment/renewal", {"union_code": union.code, "expected": fingerprint(page)},
                          form_page=f"/enrollment/renewal?union_code={union.code}")
    assert unchecked.status_code == 200 and "请先核对名单和金额" in unchecked.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Enrollment.id))) == before

    done = post_form(client, "/enrollment/renewal", {"union_code": union.code, "expected": fingerprint(page),
                                                     "checked": "y"},
                     form_page=f"/enrollment/renewal?union_code={union.code}")
    assert "续保完成：新增2人" in done.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Enrollment.id))) == before + 2


def test_a_list_that_changed_after_it_was_shown_renews_nobody(client, auth):
    union, plan = due_union()
    auth.staff("off", "correct-horse-42")
    page = client.get(f"/enrollment/renewal?union_code={union.code}").get_data(as_text=True)
    shown = fingerprint(page)
    # Meanwhile a third member's cover comes due: the officer never saw them.
    create_enrollment(create_member(union=union, name="赵新来"), plan, starts_on=clock.today() - timedelta(days=355))
    before = db.session.scalar(select(func.count(Enrollment.id)))
    answer = post_form(client, "/enrollment/renewal", {"union_code": union.code, "expected": shown, "checked": "y"},
                       form_page=f"/enrollment/renewal?union_code={union.code}")
    text = answer.get_data(as_text=True)
    assert "续保名单已有变化" in text and "赵新来" in text
    assert db.session.scalar(select(func.count(Enrollment.id))) == before
