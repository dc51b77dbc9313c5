"""Issue 15, the other journeys: a gig worker joins and claims "锡新保"; a parent registers a child,
is wait-listed and promoted; a student applies for a work-study position; two reviewers approve a
claim above 10,000元 and pay the batch; an enterprise posts a position and hires; an officer
uploads a roster with errors, fixes it, confirms it and renews after reviewing the list.

Each journey runs at a phone's 360×800 and at a desk's 1280×900, on a small world built with the
test factories (seconds, not the demo federation). Every page is checked with axe-core (no serious
or critical WCAG 2.2 A/AA finding) and for sideways scrolling; a failing journey leaves a screenshot
under test-results/screenshots/; every step waits for its result, never for a timer. With
PORTAL_SCREENSHOTS=docs/screenshots the phone runs keep their key screens for the README."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from portal import clock
from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import Application, Enrollment, JoinRequest, Member, Position, RosterImport
from portal.models.claims import Claim
from portal.services.enrollment import campaigns
from portal.services.jobs import positions
from tests.browser.accessibility import check_page, screenshot_on_failure
from tests.browser.conftest import DESKTOP
from tests.browser.screenshots import key_screen
from tests.browser.test_roster_upload import write_roster
from tests.conftest import sent_code
from tests.factories import (
    covered_member,
    create_application,
    create_childcare_class,
    create_enrollment,
    create_enterprise,
    create_member,
    create_plan,
    create_position,
    create_registration,
    create_staff,
    create_student,
    create_union,
    file_claim,
)

PHONE_360 = {"width": 360, "height": 800}
SIZES = pytest.mark.parametrize("viewport", [PHONE_360, DESKTOP], ids=["phone", "desktop"])


@pytest.fixture
def screen(new_page):
    """A page of the given size in a context of its own; a phone has touch."""
    def open_screen(viewport):
        if viewport is PHONE_360:
            return new_page(viewport, has_touch=True, is_mobile=True)
        return new_page(viewport)
    return open_screen


def photo(folder, name="工牌.jpg", colour=(200, 30, 30)):
    path = folder / name
    Image.new("RGB", (64, 48), colour).save(path, format="JPEG")
    return path


def size_of(viewport) -> str:
    return "phone" if viewport is PHONE_360 else "desktop"


# ---------------------------------------------------------------------------------------------- gig worker

COURIER_ID = compose_id_number("320213", date(1995, 5, 20), 661)
COURIER_MOBILE = "13961234567"


@SIZES
def test_gig_worker_joins_is_confirmed_and_claims_the_gift(screen, sign_in, viewport, tmp_path):
    create_plan()
    city = create_union("WX", "无锡市总工会")
    union = create_union("XJY", "无锡市新就业形态劳动者工会联合会", parent=city)
    union.takes_join_requests = True
    db.session.commit()
    admin = create_staff("admin", Role.ADMIN)
    create_staff("gig", Role.UNION_OFFICER, union=union)
    gift = campaigns.open_campaign(admin, campaigns.CampaignDraft(
        name="“锡新保”新就业形态劳动者专项互助保障", sponsor="无锡市总工会", union_code="WX",
        opens_on=clock.today() - timedelta(days=5), closes_on=clock.today() + timedelta(days=60), quota=10))

    worker = screen(viewport)
    with screenshot_on_failure(worker, f"gig-worker-{size_of(viewport)}"):
        worker.goto("/")
        check_page(worker)
        worker.get_by_role("link", name="还不是会员？网上入会").click()
        expect(worker.get_by_role("heading", name="网上入会")).to_be_visible()
        check_page(worker)
        worker.get_by_label("身份证号码").fill(COURIER_ID)
        worker.get_by_label("手机号码").fill(COURIER_MOBILE)
        worker.get_by_role("button", name="获取验证码").click()
        worker.wait_for_url(re.compile(r"/join/details$"))
        check_page(worker)
        worker.get_by_label("短信验证码").fill(sent_code(None, "join_code", mobile=COURIER_MOBILE))
        worker.get_by_label("姓名").fill("钱小骑")
        worker.get_by_label("职业").select_option("外卖配送员")
        worker.get_by_label("所在平台或工作单位").fill("饿了么")
        worker.get_by_label("申请加入的工会").select_option(label=union.name)
        worker.get_by_label(re.compile("工作证明照片")).set_input_files(photo(tmp_path))
        key_screen(worker, "gig-1-join-details", worker.get_by_role("button", name="提交入会申请"))
        worker.get_by_role("button", name="提交入会申请").click()
        worker.wait_for_url(re.compile(r"/join/received$"))
        expect(worker.get_by_role("heading", name="入会申请已提交")).to_be_visible()
        check_page(worker)
        key_screen(worker, "gig-2-join-received")

    officer = screen(viewport)
    request = db.session.scalar(select(JoinRequest))
    with screenshot_on_failure(officer, f"gig-officer-{size_of(viewport)}"):
        sign_in.staff(officer, "gig")
        officer.goto("/join/requests")
        check_page(officer)
        officer.get_by_role("link", name=request.masked_name).click()
        expect(officer.get_by_role("heading", level=1)).to_contain_text("入会申请")
        check_page(officer)
        officer.get_by_role("button", name="确认入会").click()
        expect(officer.locator(".flash").first).to_be_visible()
        check_page(officer)

    db.session.expire_all()
    member = Member.by_id_number(COURIER_ID)
    assert member is not None and member.union_id == union.id
    with screenshot_on_failure(worker, f"gig-gift-{size_of(viewport)}"):
        sign_in.member(worker, member)
        check_page(worker)
        worker.goto("/enrollment/my")
        offer = worker.locator("#cover-apply article.offer").filter(has_text="锡新保")
        expect(offer).to_contain_text("免费获赠一年保障")
        check_page(worker)
        key_screen(worker, "gig-3-gift-offered", offer)
        offer.get_by_role("button", name="免费领取").click()
        expect(worker.get_by_text("领取成功！保障从明天开始，为期一年。")).to_be_visible()
        expect(worker.locator("#cover-now")).to_contain_text(gift.name)
        check_page(worker)
        key_screen(worker, "gig-4-gift-claimed")
    cover = db.session.scalar(select(Enrollment).where(Enrollment.member_id == member.id))
    assert (cover.payer, cover.campaign_id) == ("campaign", gift.id)


# ---------------------------------------------------------------------------------------------- childcare

@SIZES
def test_parent_registers_a_child_is_wait_listed_and_sees_the_promotion(screen, sign_in, viewport):
    union = create_union(name="梁溪区总工会")
    create_staff("organiser", Role.CHILDCARE_ORGANISER, union=union)
    cls = create_childcare_class(union, today=clock.today(), phase="after_window", seats=1, name="梁溪职工子女暑托班")
    taken = create_registration(cls, status="confirmed")  # another family has the only seat
    parent = create_member(union=union, name="周丽")

    page = screen(viewport)
    with screenshot_on_failure(page, f"parent-{size_of(viewport)}"):
        sign_in.member(page, parent)
        page.goto("/childcare/")
        check_page(page)
        page.get_by_role("link", name=cls.name).first.click()
        check_page(page)
        page.get_by_role("link", name=re.compile("报名")).filter(has_not_text="我的").first.click()
        expect(page.get_by_role("heading", name="为孩子报名")).to_be_visible()
        check_page(page)
        page.get_by_label("孩子姓名").fill("周小雨")
        page.get_by_label("孩子身份证号码").fill(compose_id_number("320214", date(2018, 5, 1), 24))
        adult = page.locator("fieldset.pickup-adult").first
        adult.get_by_label("接送人姓名").fill("周丽")
        adult.get_by_label("与孩子关系").fill("母亲")
        adult.get_by_label("手机号码").fill("13912345678")
        page.get_by_label(re.compile("同意")).check()
        page.get_by_role("button", name="提交报名").click()
        page.wait_for_url(re.compile(r"/childcare/registrations/\d+$"))
        status = page.locator("#registration-status")
        expect(status).to_contain_text("候补第1位")
        check_page(page)
        key_screen(page, "parent-1-wait-listed")

    organiser = screen(viewport)
    with screenshot_on_failure(organiser, f"parent-organiser-{size_of(viewport)}"):
        sign_in.staff(organiser, "organiser")
        organiser.goto(f"/childcare/manage/registrations/{taken.id}/cancel")
        expect(organiser.locator("#cancel-effects")).to_contain_text("将递补录取")
        check_page(organiser)
        organiser.get_by_role("button", name="确认取消").click()
        expect(organiser.get_by_text(re.compile("已从候补递补1人"))).to_be_visible()
        check_page(organiser)

    with screenshot_on_failure(page, f"parent-promoted-{size_of(viewport)}"):
        page.goto("/childcare/mine")
        expect(page.locator("main")).to_contain_text(cls.name)
        check_page(page)
        page.get_by_role("link", name=re.compile(cls.name)).first.click()
        expect(status).not_to_contain_text("候补")
        expect(status.locator(".badge.ok")).to_be_visible()
        expect(status).to_contain_text("周小雨")  # their own child, by name
        check_page(page)
        key_screen(page, "parent-2-promoted")


# ---------------------------------------------------------------------------------------------- student

@SIZES
def test_student_applies_for_a_position_and_the_parent_confirms(screen, viewport):
    today = clock.today()
    enterprise = create_enterprise(name="惠山爱心物流有限公司")
    position = create_position(enterprise, title="档案整理助理", apply_by=today + timedelta(days=10),
                               starts_on=today + timedelta(days=15), ends_on=today + timedelta(days=45))
    parent = create_member(name="李国强", mobile="13861800077")

    page = screen(viewport)
    with screenshot_on_failure(page, f"student-{size_of(viewport)}"):
        page.goto("/jobs/")
        check_page(page)
        page.get_by_role("link", name="档案整理助理").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("档案整理助理")
        check_page(page)
        key_screen(page, "student-1-position")
        page.get_by_role("link", name="学生本人报名（需家长确认）").click()
        check_page(page)
        page.get_by_label("学生姓名").fill("李明")
        page.get_by_label("学生身份证号码").fill(compose_id_number("320206", date(2005, 3, 1), 17))
        page.get_by_label("学生手机号码").fill("13712340001")
        page.get_by_label("就读学校").fill("江南大学")
        page.get_by_label("所学专业").fill("会计学")
        page.get_by_label("父亲或母亲（工会会员）的身份证号码").fill(parent.id_number)
        page.get_by_label("家长在工会登记的手机号码").fill(parent.mobile)
        key_screen(page, "student-2-apply", page.get_by_role("button", name="发送确认码给家长"))
        page.get_by_role("button", name="发送确认码给家长").click()
        page.wait_for_url(re.compile(r"/jobs/verify/"))
        expect(page.get_by_role("heading", name="家长和本人确认")).to_be_visible()
        check_page(page)
        page.get_by_label("家长收到的6位确认码").fill(sent_code(parent, "jobs_parent_verification"))
        page.get_by_label("学生本人手机收到的6位确认码").fill(
            sent_code(None, "jobs_student_verification", mobile="13712340001"))
        page.get_by_role("button", name="确认报名").click()
        expect(page.get_by_role("heading", name="报名已提交")).to_be_visible()
        expect(page.locator("main")).to_contain_text("李明 已报名“档案整理助理”")
        check_page(page)
        key_screen(page, "student-3-applied")
    db.session.expire_all()
    assert db.session.scalars(select(Application.status).where(Application.position_id == position.id)).all() == [
        "submitted"]


# ---------------------------------------------------------------------------------------------- reviewers

CRITICAL_38_DAYS = {"admission_date": date(2026, 5, 1), "discharge_date": date(2026, 6, 8),
                    "hospital": "无锡市人民医院", "disease": "恶性肿瘤", "diagnosis_date": date(2026, 5, 3)}


@SIZES
def test_two_reviewers_approve_a_large_claim_and_pay_the_batch(screen, sign_in, viewport):
    create_staff("rev1", Role.REVIEWER)
    create_staff("rev2", Role.REVIEWER)
    claim = file_claim(covered_member(name="顾大伟"), claim_type="critical_illness", facts=CRITICAL_38_DAYS)
    reference = f"LP{claim.id:07d}"

    first = screen(viewport)
    with screenshot_on_failure(first, f"reviewer-first-{size_of(viewport)}"):
        sign_in.staff(first, "rev1")
        first.goto("/review/")
        check_page(first)
        first.get_by_role("link", name=reference).click()
        expect(first.locator("#claim-breakdown")).to_contain_text("12,100.00元")
        check_page(first)
        first.locator("#decision").get_by_role("button", name="核准").click()
        expect(first.get_by_text(f"已处理：{reference} 现为“待复核”。")).to_be_visible()
        check_page(first)

    second = screen(viewport)
    with screenshot_on_failure(second, f"reviewer-second-{size_of(viewport)}"):
        sign_in.staff(second, "rev2")
        second.goto("/review/")
        second.get_by_role("link", name=reference).click()
        check_page(second)
        key_screen(second, "reviewer-1-second-look", second.locator("#decision"))
        second.locator("#decision").get_by_role("button", name="复核通过").click()
        expect(second.get_by_text(f"已处理：{reference} 现为“已核准”。")).to_be_visible()
        check_page(second)
        second.goto("/review/payouts")
        check_page(second)
        second.get_by_role("button", name="生成发放批次").click()
        second.wait_for_url(re.compile(r"/review/payouts/\d+$"))
        expect(second.get_by_role("heading", level=1)).to_contain_text("发放批次")
        amount = second.locator("#batch-items tbody td").last
        expect(amount).to_have_text("12,100.00元")
        box = amount.bounding_box()  # on the screen, not beyond a sideways scroll
        assert box["x"] + box["width"] <= viewport["width"], f"the amount is off screen: {box}"
        expect(second.locator("#batch-items")).to_contain_text(reference)
        check_page(second)
        with second.expect_download() as download:
            second.get_by_role("button", name=re.compile("导出银行转账文件")).click()
        assert download.value.suggested_filename.endswith(".xlsx")
        second.get_by_label("银行回单号（交易流水号）").fill("ICBC20261202001")
        second.get_by_role("button", name="登记已付款").click()
        expect(second.locator("#settle-progress")).to_contain_text("已全部登记（1笔）")
        check_page(second)
        key_screen(second, "reviewer-2-batch-paid")
    db.session.expire_all()
    assert db.session.get(Claim, claim.id).status == "paid"


# ---------------------------------------------------------------------------------------------- enterprise

@SIZES
def test_enterprise_posts_a_position_and_hires_two_students(screen, sign_in, viewport):
    today = clock.today()
    enterprise = create_enterprise(name="长安科技有限公司", contact_username="changan")
    officer = create_staff("street", Role.UNION_OFFICER, union=enterprise.union)

    page = screen(viewport)
    with screenshot_on_failure(page, f"enterprise-post-{size_of(viewport)}"):
        sign_in.staff(page, "changan")
        check_page(page)
        page.goto("/jobs/enterprise/")
        check_page(page)
        page.get_by_role("link", name="发布爱心岗位").click()
        check_page(page)
        page.get_by_label("岗位名称").fill("财务助理")
        page.get_by_label("岗位内容").fill("协助整理凭证和报表。")
        page.get_by_label(re.compile("适合专业")).fill("会计学、财务管理")
        page.get_by_label("招募人数").fill("2")
        page.get_by_label("报酬（元）").fill("150")
        page.get_by_label(re.compile("开始日期|开始")).first.fill((today + timedelta(days=15)).isoformat())
        page.get_by_label(re.compile("结束日期|结束")).first.fill((today + timedelta(days=45)).isoformat())
        page.get_by_label(re.compile("报名截止")).fill((today + timedelta(days=10)).isoformat())
        page.get_by_label("工作时间").fill("周一至周五 9:00—17:00")
        page.get_by_label("安全须知").fill("不安排高处和夜间作业。")
        page.get_by_label(re.compile("我单位承诺")).check()
        key_screen(page, "enterprise-1-post", page.get_by_role("button", name="发布"))
        page.get_by_role("button", name="发布").click()
        page.wait_for_url(re.compile(r"/jobs/enterprise/positions/\d+$"))
        expect(page.get_by_text("岗位正在等待工会审核")).to_be_visible()
        check_page(page)

    position_id = int(page.url.rsplit("/", 1)[1])
    positions.review_position(officer, position_id, approve=True)  # the street union's officer
    position = db.session.get(Position, position_id)
    for name in ("王晨", "赵雪"):
        create_application(position, create_student(name=name))

    with screenshot_on_failure(page, f"enterprise-hire-{size_of(viewport)}"):
        page.reload()
        lead = page.locator("main .lead")
        expect(lead).to_contain_text("已录用 0 / 2")
        check_page(page)
        for number, card in enumerate(page.locator("#applications article.application").all(), start=1):
            card.get_by_role("button", name="录用", exact=True).click()
            expect(card.get_by_role("link", name=re.compile("查看联系方式"))).to_be_visible()
            expect(lead).to_contain_text(f"已录用 {number} / 2")  # the header follows each hire
        check_page(page)
        key_screen(page, "enterprise-2-hired", page.get_by_role("heading", level=1))
    db.session.expire_all()
    assert db.session.scalars(select(Application.status).where(Application.position_id == position_id)).all() == [
        "accepted", "accepted"]


# ---------------------------------------------------------------------------------------------- officer: roster

@SIZES
def test_officer_fixes_a_roster_confirms_it_and_renews_after_reviewing_the_list(screen, sign_in, viewport,
                                                                                 tmp_path):
    today = clock.today()
    union = create_union(name="惠山区快递行业工会")
    create_staff("officer", Role.UNION_OFFICER, union=union)
    plan = create_plan()
    ending = [create_member(union=union, name=name) for name in ("孙建华", "吴秀英")]
    for member in ending:  # covers that end within the renewal window
        create_enrollment(member, plan, starts_on=today - timedelta(days=330), is_renewal=True)
    wang = compose_id_number("320206", date(1991, 4, 2), 11)
    zhao = compose_id_number("320213", date(1979, 1, 15), 33)
    mistyped = zhao[:-1] + ("0" if zhao[-1] != "0" else "1")
    header = ["姓名", "身份证号", "手机号", "职业"]
    wrong = write_roster(tmp_path / "快递员名单.xlsx", [header, ["王小军", wang, "13900000011", "快递员"],
                                                     ["赵强", mistyped, "13900000033", "快递员"]])
    fixed = write_roster(tmp_path / "快递员名单（已改）.xlsx", [header, ["王小军", wang, "13900000011", "快递员"],
                                                            ["赵强", zhao, "13900000033", "快递员"]])

    page = screen(viewport)
    with screenshot_on_failure(page, f"officer-roster-{size_of(viewport)}"):
        sign_in.staff(page, "officer")
        page.goto("/enrollment/rosters")
        check_page(page)
        page.get_by_label("名单文件（.xlsx 或 .csv）").set_input_files(wrong)
        page.get_by_role("button", name="上传并校验").click()
        page.wait_for_url(re.compile(r"/enrollment/rosters/\d+$"))
        issues = page.locator("#roster-issues tbody tr")
        expect(issues).to_have_count(1)
        expect(issues.first).to_contain_text("身份证号码校验位不正确")
        why = issues.first.locator("td").last.bounding_box()  # on the screen, not beyond a sideways scroll
        assert why["x"] + why["width"] <= viewport["width"], f"the reason is off screen: {why}"
        expect(page.get_by_role("button", name="确认导入 1 人")).to_be_visible()
        check_page(page)
        key_screen(page, "officer-1-roster-errors", page.locator("#roster-issues"))

        page.goto("/enrollment/rosters")  # fixed in Excel, saved as a new file, uploaded again
        page.get_by_label("名单文件（.xlsx 或 .csv）").set_input_files(fixed)
        page.get_by_role("button", name="上传并校验").click()
        page.wait_for_url(re.compile(r"/enrollment/rosters/\d+$"))
        roster_id = int(page.url.rsplit("/", 1)[1])
        expect(page.locator("#roster-counts")).to_contain_text(re.compile(r"可参保\s*2\s*有错误\s*0"))
        expect(page.locator("#roster-issues")).to_have_count(0)
        check_page(page)
        page.get_by_role("button", name="确认导入 2 人").click()
        expect(page.get_by_text("导入完成：2 人参保，保障从次日开始。")).to_be_visible()
        check_page(page)

        page.goto("/enrollment/renewal")
        renewal = page.locator("#renewal-list")
        for member in ending:
            expect(renewal).to_contain_text(member.name)
        expect(page.locator("#renewal-due")).to_contain_text("将续保2人")
        check_page(page)
        key_screen(page, "officer-2-renewal-list", page.locator("#renewal-due"))
        page.get_by_role("button", name=re.compile("确认续保2人")).click()
        expect(page.locator("[data-error-summary]")).to_contain_text("请先核对名单和金额")
        check_page(page)
        page.get_by_label("我已核对以上名单和金额").check()
        page.get_by_role("button", name=re.compile("确认续保2人")).click()
        expect(page.get_by_text("续保完成：新增2人，0人已由其他渠道参保。")).to_be_visible()
        expect(page.locator("#renewal-report")).to_contain_text(re.compile(r"已续保\s*2"))
        check_page(page)
    db.session.expire_all()
    assert db.session.get(RosterImport, roster_id).status == "done"
    renewed = db.session.scalars(select(Enrollment).where(Enrollment.is_renewal.is_(True),
                                                          Enrollment.starts_on > today)).all()
    assert sorted(e.member.name for e in renewed) == sorted(m.name for m in ending)

