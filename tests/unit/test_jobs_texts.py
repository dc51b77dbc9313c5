"""The work-study texts read as they always did, now that their words live in one place."""

import pytest

from portal.domain.texts import render_text


def test_an_application_answer_has_one_kind_and_words_for_each_outcome():
    accepted = render_text("jobs_application_decided", outcome="accepted", student="李晨", enterprise="长安科技",
                           position="财务助理", month=7, day=15, link="https://portal.example/jobs/s/abc")
    assert accepted == ("李晨同学，长安科技已录用您到“财务助理”实践，7月15日开始。企业将与您签订协议并购买意外保险。"
                        "您的实践页面（查看进度、反映问题、打印实践证明）：https://portal.example/jobs/s/abc")
    declined = render_text("jobs_application_decided", outcome="declined", student="李晨", enterprise="长安科技",
                           position="财务助理", note="专业不符")
    assert declined == "李晨同学，您报名的“财务助理”（长安科技）未被录用：专业不符"
    full = render_text("jobs_application_decided", outcome="full", student="李晨", position="财务助理")
    assert full == "李晨同学，您报名的“财务助理”名额已满，感谢报名，欢迎关注其他爱心岗位。"


def test_the_enterprise_review_texts():
    assert render_text("jobs_enterprise_reviewed", outcome="approved", enterprise="长安科技") == (
        "长安科技已通过工会审核，成为“关爱·圆梦”爱心企业。请登录平台发布爱心岗位。")
    assert render_text("jobs_enterprise_reviewed", outcome="rejected", enterprise="长安科技", note="执照过期",
                       union="长安街道总工会") == (
        "长安科技的爱心企业登记未通过审核：执照过期。如有疑问请联系长安街道总工会。")


def test_the_placement_and_concern_texts():
    assert render_text("jobs_parent_verification", position=42, code="123456", minutes=10) == (
        "有人正以您的会员身份为子女报名勤工俭学爱心岗位（岗位编号42），确认码123456，10分钟内有效。"
        "如不是您的子女报名，请勿告知他人。")
    assert render_text("jobs_placement_confirmed", student="李晨", enterprise="长安科技", insurer="人保财险",
                       month=7, day=20) == ("李晨同学，您在长安科技的实践已确认：协议已签，意外保险已投保（人保财险），"
                                            "7月20日上岗。遇到问题可在实践页面向工会反映。")
    assert render_text("jobs_concern_raised", category="拖欠报酬") == (
        "勤工俭学学生反映问题（拖欠报酬），请登录平台尽快处理。")
    assert render_text("jobs_concern_answered", student="李晨", category="拖欠报酬", answer="已补发") == (
        "李晨同学，您反映的“拖欠报酬”问题工会已答复：已补发")


def test_an_outcome_the_template_does_not_know_is_a_programming_error():
    with pytest.raises(KeyError):
        render_text("jobs_application_decided", outcome="maybe", student="李晨", position="财务助理")
