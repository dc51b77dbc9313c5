"""Every redirect that follows an address sent by the visitor stays on this site (issue 12)."""

from datetime import date
from urllib.parse import quote, urlsplit

import pytest

from portal.domain.identity import compose_id_number
from portal.domain.roles import Role
from tests.conftest import csrf_token, post_form, sent_code
from tests.factories import create_member, create_staff

EVIL = ["/%09/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "/\t/evil.example",
        "/%2F%2Fevil.example", "javascript:alert(1)"]


def _stays_here(response) -> bool:
    location = response.headers["Location"]
    parts = urlsplit(location)
    return response.status_code in (302, 303) and parts.netloc in ("", "localhost") and not location.startswith("//") \
        and "evil.example" not in location.split("?")[0]


@pytest.mark.parametrize("target", EVIL)
@pytest.mark.parametrize("two_factor", [False, True])
def test_staff_sign_in_never_sends_anyone_away(client, auth, target, two_factor):
    create_staff("admin1", Role.UNION_OFFICER if not two_factor else Role.ADMIN, union=None)
    answer = auth.staff("admin1", next=target)  # the address survives the two-factor step, checked
    assert _stays_here(answer), answer.headers["Location"]
    assert urlsplit(answer.headers["Location"]).path == "/staff/"


def test_staff_sign_in_follows_a_path_on_this_site(client, auth):
    create_staff("admin1", Role.ADMIN)
    assert auth.staff("admin1", next="/review/").headers["Location"] == "/review/"


@pytest.mark.parametrize("target", EVIL)
def test_the_language_switch_never_sends_anyone_away(client, target):
    answer = post_form(client, "/lang/en", {"next": target}, form_page="/")
    assert _stays_here(answer), answer.headers["Location"]


@pytest.mark.parametrize("target", EVIL)
def test_member_sign_in_never_sends_anyone_away(client, auth, target):
    member = create_member()
    post_form(client, f"/auth/member/login?next={quote(target, safe='')}",
              {"id_number": member.id_number, "mobile": member.mobile}, form_page="/auth/member/login")
    answer = post_form(client, "/auth/member/code", {"code": sent_code(member)})
    assert _stays_here(answer), answer.headers["Location"]
    assert urlsplit(answer.headers["Location"]).path == "/me/"


@pytest.mark.parametrize("target", EVIL)
def test_registering_a_student_never_sends_anyone_away(client, auth, target):
    parent = create_member()
    auth.member(parent)
    answer = post_form(client, f"/jobs/me/students/new?next={quote(target, safe='')}", {
        "name": "李明", "id_number": compose_id_number("320206", date(2005, 3, 1), 335), "mobile": "13912345678",
        "school": "江南大学", "major": "机械工程", "year_of_study": "大二",
    }, form_page="/jobs/me/students/new")
    assert _stays_here(answer), (answer.status_code, answer.headers.get("Location"))
    # The student's code comes back on the next page; from there too, nobody is sent away.
    confirm = answer.headers["Location"]
    assert urlsplit(confirm).path.startswith("/jobs/me/students/confirm/")
    done = post_form(client, confirm, {"code": sent_code(None, "jobs_student_link", mobile="13912345678")})
    assert _stays_here(done), (done.status_code, done.headers.get("Location"))


def test_a_referer_from_another_site_is_not_followed(client, auth):
    create_staff("rev", Role.REVIEWER)
    auth.staff("rev")
    token = csrf_token(client, "/review/")
    away = client.post("/review/bulk", data={"csrf_token": token}, headers={"Referer": "https://evil.example/x"})
    assert _stays_here(away) and urlsplit(away.headers["Location"]).path == "/review/"
    back = client.post("/review/bulk", data={"csrf_token": token},
                       headers={"Referer": "http://localhost/review/?page=2"})
    assert back.headers["Location"] == "/review/?page=2"
