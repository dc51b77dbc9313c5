from portal.extensions import db
from portal.models import Member, StaffUser, Union


def test_create_staff_command(runner):
    result = runner.invoke(args=["create-staff", "--username", "li", "--name", "李经办", "--role", "admin",
                                 "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    user = db.session.query(StaffUser).filter_by(username="li").one()
    assert user.check_password("long-enough-pw")


def test_create_staff_refuses_an_officer_without_union(runner):
    result = runner.invoke(args=["create-staff", "--username", "li", "--name", "李", "--role", "union_officer",
                                 "--password", "long-enough-pw"])
    assert result.exit_code != 0
    assert "必须关联一个工会" in result.output


def test_demo_data_loads_once(runner):
    result = runner.invoke(args=["demo-data", "--members", "40"])
    assert result.exit_code == 0, result.output
    assert db.session.query(Union).filter_by(code="LX").one().name == "梁溪区总工会"
    assert db.session.query(Member).count() == 40
    assert {u.username for u in db.session.query(StaffUser)} >= {"admin", "reviewer", "officer", "organiser"}
    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output


def test_every_demo_member_can_sign_in_with_their_mobile(runner):
    """Issue 11: 19 of the 300 demo members had mobiles (154, 174, 179…) the sign-in form refuses."""
    from portal.domain.identity import parse_mobile

    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    mobiles = [member.mobile for member in db.session.query(Member)]
    assert len(mobiles) >= 300
    assert [mobile for mobile in mobiles if parse_mobile(mobile) != mobile] == []
    # Joining online: the gig workers' union is offered beside the districts, and a request waits.
    from portal.models import JoinRequest
    from portal.services import joining

    offered = {union.code for union in joining.joinable_unions()}
    assert "XJY" in offered and "LX" in offered
    officer = db.session.query(StaffUser).filter_by(username="officer_gig").one()
    assert [r.name for r in joining.list_requests(officer)] == ["陆晓峰"]
    assert db.session.query(JoinRequest).count() == 1
