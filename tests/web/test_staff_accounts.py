"""Staff accounts administered by administrators: create with a role and a union scope, change them,
disable and enable, reset a password to a temporary one that must be changed at the first sign-in;
every change audited and every one that matters ends the account's sessions (issue 13)."""

from __future__ import annotations

import re

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, StaffUser
from tests.conftest import Auth, post_form
from tests.factories import PASSWORD, create_staff, create_union

TEMPORARY_RE = re.compile(r'<code class="secret">([A-Za-z0-9]{12})</code>')


def _user(username) -> StaffUser:
    db.session.expire_all()
    return db.session.query(StaffUser).filter_by(username=username).one()


def _audited(action):
    return db.session.query(AuditEvent).filter_by(action=action).all()


def _signed_in_client(app, username, password=PASSWORD):
    client = app.test_client()
    Auth(client).staff(username, password)
    return client


def test_an_administrator_creates_an_officer_who_chooses_a_password_at_first_sign_in(app, client, auth):
    district = create_union("LX", "梁溪区总工会")
    create_union("LX01", "梁溪区快递行业工会", parent=district)
    create_staff("admin1", Role.ADMIN)
    auth.staff("admin1")
    form = client.get("/staff/accounts").get_data(as_text=True)
    assert "梁溪区快递行业工会（LX01）" in form and 'value="enterprise"' not in form
    answer = post_form(client, "/staff/accounts", {"username": "wang", "display_name": "王经办",
                                                   "role": "union_officer", "union_code": "LX01",
                                                   "password": "first-pass-2026"})
    created = _user("wang")
    assert answer.headers["Location"] == f"/staff/accounts/{created.id}"
    assert created.union.code == "LX01" and created.must_change_password
    event = _audited("staff.create")[0]
    assert event.details["union"] == "LX01" and "first-pass-2026" not in str(event.details)

    officer = _signed_in_client(app, "wang", "first-pass-2026")
    for url in ("/staff/", "/enrollment/", "/claims/"):
        held = officer.get(url)
        assert held.status_code == 302 and held.headers["Location"].endswith("/auth/staff/password"), url
    same = post_form(officer, "/auth/staff/password", {"current": "first-pass-2026", "new": "first-pass-2026",
                                                       "repeat": "first-pass-2026"})
    assert "不能与当前密码相同" in same.get_data(as_text=True)
    changed = post_form(officer, "/auth/staff/password", {"current": "first-pass-2026", "new": "my-own-pass-77",
                                                          "repeat": "my-own-pass-77"})
    assert changed.headers["Location"] == "/staff/"
    assert officer.get("/enrollment/").status_code == 200
    assert not _user("wang").must_change_password and len(_audited("staff.password_change")) == 1


def test_an_officer_needs_a_union_and_an_administrator_none(client, auth):
    create_union("LX01")
    create_staff("admin1", Role.ADMIN)
    auth.staff("admin1")
    refused = post_form(client, "/staff/accounts", {"username": "li", "display_name": "李", "role": "union_officer",
                                                    "union_code": "", "password": "first-pass-2026"})
    assert "必须关联一个工会" in refused.get_data(as_text=True)
    post_form(client, "/staff/accounts", {"username": "zhao", "display_name": "赵", "role": "reviewer",
                                          "union_code": "LX01", "password": "first-pass-2026"})
    assert _user("zhao").union is None  # federation-wide


def test_changing_a_role_and_scope_is_audited_and_ends_the_account_s_sessions(app, client, auth):
    first, second = create_union("LX01", "快递工会"), create_union("XS01", "锡山工会")
    create_staff("officer1", Role.UNION_OFFICER, union=first)
    officer = _signed_in_client(app, "officer1")
    assert officer.get("/staff/").status_code == 200
    target = _user("officer1")
    create_staff("admin1", Role.ADMIN)
    auth.staff("admin1")
    answer = post_form(client, f"/staff/accounts/{target.id}/role", {"role": "childcare_organiser",
                                                  "union_code": "XS01"},
                       form_page=f"/staff/accounts/{target.id}")
    assert answer.status_code == 302
    changed = _user("officer1")
    assert changed.role == "childcare_organiser" and changed.union_id == second.id
    event = _audited("staff.change_role")[0]
    assert event.details["before"] == {"role": "union_officer", "union": "LX01"}
    assert event.details["after"] == {"role": "childcare_organiser", "union": "XS01"}
    assert officer.get("/staff/").status_code == 302  # signed out everywhere


def test_a_disabled_account_cannot_sign_in_or_keep_its_session(app, client, auth):
    create_staff("officer1", Role.UNION_OFFICER, union=create_union())
    officer = _signed_in_client(app, "officer1")
    target = _user("officer1")
    create_staff("admin1", Role.ADMIN)
    auth.staff("admin1")
    post_form(client, f"/staff/accounts/{target.id}/active", {"active": "0"}, form_page=f"/staff/accounts/{target.id}")
    assert not _user("officer1").is_active_account
    assert officer.get("/staff/").status_code == 302
    assert _signed_in_client(app, "officer1").get("/staff/").status_code == 302
    post_form(client, f"/staff/accounts/{target.id}/active", {"active": "1"}, form_page=f"/staff/accounts/{target.id}")
    assert _signed_in_client(app, "officer1").get("/staff/").status_code == 200
    assert [event.action for event in _audited("staff.disable") + _audited("staff.enable")] == \
        ["staff.disable", "staff.enable"]


def test_a_password_reset_gives_a_temporary_password_that_must_be_changed(app, client, auth):
    create_staff("officer1", Role.UNION_OFFICER, union=create_union())
    officer = _signed_in_client(app, "officer1")
    target = _user("officer1")
    create_staff("admin1", Role.ADMIN)
    auth.staff("admin1")
    page = post_form(client, f"/staff/accounts/{target.id}/password", {}, form_page=f"/staff/accounts/{target.id}")
    temporary = TEMPORARY_RE.search(page.get_data(as_text=True)).group(1)
    assert page.headers.get("Cache-Control", "").startswith("no-store")
    assert temporary not in client.get(f"/staff/accounts/{target.id}").get_data(as_text=True)  # shown once
    event = _audited("staff.password_reset")[0]
    assert temporary not in str(event.details) and event.entity_id == str(target.id)
    assert officer.get("/staff/").status_code == 302  # the old session ended
    assert _signed_in_client(app, "officer1").get("/staff/").status_code == 302  # the old password is gone
    again = _signed_in_client(app, "officer1", temporary)
    assert again.get("/staff/").headers["Location"].endswith("/auth/staff/password")
    post_form(again, "/auth/staff/password", {"current": temporary, "new": "chosen-by-me-1",
                                              "repeat": "chosen-by-me-1"})
    assert again.get("/staff/").status_code == 200


def test_an_administrator_cannot_lock_themself_out(client, auth):
    create_staff("admin1", Role.ADMIN)
    me = _user("admin1")
    auth.staff("admin1")
    post_form(client, f"/staff/accounts/{me.id}/active", {"active": "0"}, form_page="/staff/accounts")
    post_form(client, f"/staff/accounts/{me.id}/role", {"role": "reviewer", "union_code": ""},
              form_page="/staff/accounts")
    post_form(client, f"/staff/accounts/{me.id}/password", {}, form_page="/staff/accounts")
    still = _user("admin1")
    assert still.is_active_account and still.role == "admin" and not still.must_change_password
    assert client.get("/staff/accounts").status_code == 200


def test_other_roles_cannot_administer_accounts(client, auth):
    union = create_union()
    target = create_staff("officer2", Role.UNION_OFFICER, union=union)
    create_staff("officer1", Role.UNION_OFFICER, union=union)
    auth.staff("officer1")
    assert client.get(f"/staff/accounts/{target.id}").status_code == 403
    for action, data in (("active", {"active": "0"}), ("password", {}), ("role", {"role": "admin", "union_code": ""})):
        assert post_form(client, f"/staff/accounts/{target.id}/{action}", data, form_page="/staff/").status_code == 403
    assert _user("officer2").is_active_account and _user("officer2").role == "union_officer"
