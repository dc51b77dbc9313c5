"""Enrolment through the browser: access by union subtree, my cover, certificate, rosters, plans."""

import io
import re
from datetime import date, timedelta
from urllib.parse import unquote

from sqlalchemy import func, select

from portal import clock
from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Enrollment, Plan, RosterImport
from tests.conftest import csrf_token, post_form
from tests.factories import create_enrollment, create_member, create_plan, create_staff, create_union


def two_unions():
    district = create_union("LX", "梁溪区总工会")
    mine = create_union("LX01", "快递行业工会", parent=district)
    theirs = create_union("LX02", "环卫工会", parent=district)
    return mine, theirs


def covered(union, name, plan):
    member = create_member(union=union, name=name)
    create_enrollment(member, plan, starts_on=clock.today() - timedelta(days=100), union=union)
    return member


def test_an_officer_never_reads_outside_its_union_subtree(client, auth):
    mine, theirs = two_unions()
    plan = create_plan()
    covered(mine, "甲某", plan)
    covered(theirs, "乙某", plan)
    create_staff("officer", Role.UNION_OFFICER, union=mine)
    auth.staff("officer")
    for url in ["/enrollment/", "/enrollment/members", "/enrollment/?q=乙某"]:
        page = client.get(url, headers={"HX-Request": "true"}, follow_redirects=True).get_data(as_text=True)
        assert "乙某" not in page.split('<div class="table-wrap">', 1)[1], url
    assert "甲某" in client.get("/enrollment/").get_data(as_text=True)
    export = client.get("/enrollment/export.xlsx")
    assert export.status_code == 200 and "参保名单" in unquote(export.headers["Content-Disposition"])
    from portal.integrations.spreadsheets import read_rows

    names = [row[0] for row in read_rows(export.data, "x.xlsx")][1:]
    assert names == ["甲某"]
    refused = client.get("/enrollment/members?union_code=LX02").get_data(as_text=True)
    assert "乙某" not in refused and "不属于您所在工会" in refused


def test_an_officer_never_enrols_outside_its_union_subtree(client, auth):
    mine, theirs = two_unions()
    create_plan()
    officer_b = create_staff("officer_b", Role.UNION_OFFICER, union=theirs)
    from portal.services.enrollment import rosters

    roster, _ = rosters.upload_roster(officer_b, theirs, "姓名,身份证号\n".encode(), "b.csv")
    create_staff("officer", Role.UNION_OFFICER, union=mine)
    auth.staff("officer")
    assert client.get(f"/enrollment/rosters/{roster.id}").status_code == 403
    assert post_form(client, f"/enrollment/rosters/{roster.id}/confirm", {},
                     form_page="/enrollment/rosters").status_code == 403
    person = compose_id_number("320213", date(1990, 1, 1), 777)
    answer = post_form(client, "/enrollment/rosters", {
        "union_code": "LX02", "roster": (io.BytesIO(f"姓名,身份证号,手机号\n张三,{person},13900000001\n".encode()),
                                         "a.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 200 and "不属于您所在工会" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(RosterImport.id))) == 1
    assert post_form(client, "/enrollment/renewal", {"union_code": "LX02", "checked": "y"}).status_code == 200
    assert db.session.scalar(select(func.count(Enrollment.id))) == 0


def test_a_roster_goes_from_upload_to_cover_and_a_second_upload_changes_nothing(client, auth):
    mine, _ = two_unions()
    create_plan()
    create_staff("officer", Role.UNION_OFFICER, union=mine)
    auth.staff("officer")
    template = client.get("/enrollment/rosters/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    ok, bad = (compose_id_number("320213", date(1991, 2, 3), n) for n in (11, 12))
    body = (f"快递行业工会参保名单\n\n手机号,姓名,身份证号\n13900000011,张三,{ok}\n"
            f"13900000012,李四,{bad[:-1]}\n").encode()
    answer = post_form(client, "/enrollment/rosters", {"union_code": "LX01", "roster": (io.BytesIO(body), "名单.csv")},
                       content_type="multipart/form-data")
    location = answer.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "确认导入 1 人" in page and "<td class=\"num\" data-label=\"行号\">5</td>" in page
    fragment = client.get(location + "/status", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="roster-status"') and "<html" not in fragment
    import_id = int(location.rsplit("/", 1)[1])
    post_form(client, f"/enrollment/rosters/{import_id}/confirm", {}, form_page=location)
    assert "导入完成：1 人参保" in client.get(location).get_data(as_text=True)
    second = post_form(client, f"/enrollment/rosters/{import_id}/confirm", {}, form_page="/enrollment/rosters")
    assert "无需重复操作" in client.get(second.headers["Location"]).get_data(as_text=True)
    again = post_form(client, "/enrollment/rosters", {"union_code": "LX01", "roster": (io.BytesIO(body), "副本.csv")},
                      content_type="multipart/form-data")
    assert again.headers["Location"] == location
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1
    report = client.get(location + "/report.xlsx")
    from portal.integrations.spreadsheets import read_rows

    rows = list(read_rows(report.data, "r.xlsx"))
    # The file was deleted once imported: the report comes from the stored rows (issues, then the
    # people imported, ID numbers masked).
    assert rows[0][:4] == ["行号", "姓名", "身份证号", "结果"] and [r[3] for r in rows[1:]] == ["有错误", "已导入"]
    assert rows[2][1] == "张三" and ok not in str(rows)


def test_my_cover_certificate_and_public_verification(client, auth):
    union = create_union("LX01", "快递行业工会")
    member = covered(union, "虞建国", create_plan())
    auth.member(member)
    page = client.get("/enrollment/my").get_data(as_text=True)
    assert "保障中" in page and "每天 50.00元" in page and "电子参保凭证" in page
    enrollment_id = db.session.scalar(select(Enrollment.id))
    certificate = client.get(f"/enrollment/my/certificate/{enrollment_id}").get_data(as_text=True)
    assert "<svg" in certificate and "虞建国" in certificate
    url = re.search(r'(/enrollment/verify/[^"<\s]+)', certificate).group(1)
    assert member.id_number not in url and member.mobile not in url and "虞" not in unquote(url)
    auth.logout()
    verification = client.get(url).get_data(as_text=True)
    assert "虞*国" in verification and "虞建国" not in verification and member.id_number not in verification
    assert member.masked_id_number not in verification and member.id_number[-4:] not in verification
    assert "有效，保障中" in verification
    forged = client.get(url[:-3] + "abc")
    assert forged.status_code == 404 and "凭证无效" in forged.get_data(as_text=True)


def test_someone_else_s_certificate_is_not_found(client, auth):
    union = create_union()
    plan = create_plan()
    other = covered(union, "别人", plan)
    auth.member(create_member(union=union, name="本人"))
    other_cover = db.session.scalar(select(Enrollment.id).where(Enrollment.member_id == other.id))
    answer = client.get(f"/enrollment/my/certificate/{other_cover}", follow_redirects=True)
    assert "别人" not in answer.get_data(as_text=True)


def test_double_submitting_the_application_creates_one_record(client, auth):
    create_plan()
    member = create_member(union=create_union())
    auth.member(member)
    token = csrf_token(client, "/enrollment/my")
    for _ in range(2):
        client.post("/enrollment/my/apply", data={"csrf_token": token})
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1
    assert "待确认" in client.get("/enrollment/my").get_data(as_text=True)


def test_a_member_claims_an_open_campaign_from_my_cover(client, auth):
    create_plan()
    area = create_union("WX")
    from portal.services.enrollment import campaigns

    gift = campaigns.open_campaign(create_staff("admin", Role.ADMIN), campaigns.CampaignDraft(
        name="锡新保", sponsor="市总工会", union_code="WX", opens_on=clock.today() - timedelta(days=1),
        closes_on=clock.today() + timedelta(days=30), quota=3))
    rider = create_member(union=create_union(parent=area), occupation="快递员", is_gig_worker=True)
    auth.member(rider)
    assert "免费领取" in client.get("/enrollment/my").get_data(as_text=True)
    post_form(client, f"/enrollment/my/campaigns/{gift.id}/claim", {}, form_page="/enrollment/my")
    page = client.get("/enrollment/my").get_data(as_text=True)
    assert "即将生效" in page and "锡新保" in page and "疾病等待期至" in page


def test_an_administrator_edits_the_plan_as_a_new_version(client, auth):
    create_plan()
    create_staff("admin", Role.ADMIN)
    auth.staff("admin")
    form = client.get("/enrollment/plans/SANHEYI/edit").get_data(as_text=True)
    assert 'value="60.00"' in form
    fields = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', form))
    fields.update({
        "contribution": "80", "critical_diseases": "恶性肿瘤\n急性心肌梗塞",
        "exclusions": "免责条款文本", "disability_percentages": "100,90,80,70,60,50,40,30,20,10",
    })
    fields.pop("csrf_token")
    refused = post_form(client, "/enrollment/plans/SANHEYI/edit",
                        {**fields, "disability_percentages": "100,90"}).get_data(as_text=True)
    assert "应为10个数字" in refused and 'value="80"' in refused
    garbled = post_form(client, "/enrollment/plans/SANHEYI/edit", {**fields, "based_on_version": "v1"})
    assert garbled.status_code == 200 and "请刷新后" in garbled.get_data(as_text=True)
    saved = post_form(client, "/enrollment/plans/SANHEYI/edit", fields)
    assert saved.status_code == 302
    assert [(p.version, p.contribution_fen, p.is_current) for p in
            db.session.scalars(select(Plan).order_by(Plan.version))] == [(1, 6000, False), (2, 8000, True)]
    assert client.get("/enrollment/plans/SANHEYI/edit").status_code == 200


def test_plans_and_campaign_opening_are_for_administrators(client, auth):
    create_plan()
    create_staff("officer", Role.UNION_OFFICER, union=create_union())
    auth.staff("officer")
    assert client.get("/enrollment/plans").status_code == 403
    assert client.get("/enrollment/plans/SANHEYI/edit").status_code == 403
    assert 'id="campaign-new"' not in client.get("/enrollment/campaigns").get_data(as_text=True)


def test_demo_data_covers_most_members_with_history_and_opens_a_campaign():
    from portal.demo import load_demo_data
    from portal.models import Campaign

    today = date(2026, 11, 28)
    context = load_demo_data(today, members=60)
    first = context.members[0]
    current = Enrollment.covering(first.id, today)
    assert current is not None and (today - current.starts_on).days >= 90
    assert Enrollment.covering(first.id, current.starts_on - timedelta(days=1)).status == "expired"
    assert current.plan.code == "SANHEYI" and current.is_renewal
    covered_members = db.session.scalar(select(func.count(func.distinct(Enrollment.member_id)))
                                        .where(Enrollment.status == "active"))
    assert covered_members > len(context.members) / 2
    assert db.session.scalar(select(func.count(Enrollment.id)).where(Enrollment.status == "pending")) >= 3
    campaign = db.session.scalar(select(Campaign))
    assert 0 < campaign.claimed_count < campaign.quota and campaign.is_open_on(today)
