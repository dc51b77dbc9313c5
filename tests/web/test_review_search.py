"""Issue 15, finding 10: no search in the review queue. A reviewer finds a claim by its number, by the
member's name or by their ID number; the words are POSTed and the address carries only a sealed
token (like the members and SMS-log searches), so an ID number never sits in a URL, a log or the
browser's history, and the export and its audit record never hold it in full."""

import re
from urllib.parse import unquote

from sqlalchemy import select

from portal.domain.identity import mask_id_number
from portal.domain.roles import Role
from portal.extensions import db
from portal.integrations.spreadsheets import read_rows
from portal.models import AuditEvent
from tests.conftest import Auth, post_form
from tests.factories import covered_member, create_staff, file_claim

REFERENCE = re.compile(r">(LP\d{7})</a>")


def queue_refs(page: str) -> set[str]:
    return set(REFERENCE.findall(page))


def search(client, words: str, **filters):
    answer = post_form(client, "/review/", {"q": words, **filters}, form_page="/review/")
    assert answer.status_code == 303
    location = answer.headers["Location"]
    return location, client.get(location).get_data(as_text=True)


def test_a_reviewer_finds_a_claim_by_number_name_or_id_number_and_no_address_holds_the_number(app):
    wang, li = covered_member(name="王建国"), covered_member(name="李四")
    wang_claim, li_claim = file_claim(wang), file_claim(li)
    create_staff("rev", Role.REVIEWER)
    reviewer = app.test_client()
    Auth(reviewer).staff("rev")
    assert queue_refs(reviewer.get("/review/").get_data(as_text=True)) == {wang_claim.reference, li_claim.reference}

    for words in (wang_claim.reference, wang_claim.reference.lower(), str(wang_claim.id), "建国", wang.id_number,
                  wang.id_number.lower()):
        location, page = search(reviewer, words)
        assert queue_refs(page) == {wang_claim.reference}, words
        assert "q=" not in location and wang.id_number not in unquote(location).upper(), location
    location, page = search(reviewer, li.id_number)
    assert queue_refs(page) == {li_claim.reference}
    # A masked number, a wrong one, a number nobody has: nothing, said so.
    # (The wrong one differs in its check character: a "0" there could be Wang's own.)
    wrong = wang.id_number[:-1] + ("1" if wang.id_number.endswith("0") else "0")
    for words in (mask_id_number(wang.id_number), wrong, "LP9999999"):
        _, page = search(reviewer, words)
        assert queue_refs(page) == set() and "没有待处理的申请" in page, words

    # The other filters still apply beside the words, and stay readable in the address.
    location, page = search(reviewer, "建国", status="approved")
    assert "status=approved" in location and queue_refs(page) == set()

    # The export follows the page's search; its audit keeps the ID number masked.
    location, page = search(reviewer, wang.id_number)
    export_link = re.search(r'href="(/review/export\.xlsx[^"]*)"', page).group(1).replace("&amp;", "&")
    assert wang.id_number not in unquote(export_link)
    rows = list(read_rows(reviewer.get(export_link).data, "queue.xlsx"))
    assert [row[0] for row in rows[1:]] == [wang_claim.reference]
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "claims.export")).all()
    assert len(audit) == 1
    assert wang.id_number not in str([event.details for event in audit])
    assert mask_id_number(wang.id_number) in str([event.details for event in audit])

    # The sealed address opens the search for this reviewer only.
    create_staff("rev2", Role.REVIEWER)
    other = app.test_client()
    Auth(other).staff("rev2")
    assert queue_refs(other.get(location).get_data(as_text=True)) == {wang_claim.reference, li_claim.reference}


def test_the_search_box_is_on_the_queue_and_posts(app):
    create_staff("rev", Role.REVIEWER)
    reviewer = app.test_client()
    Auth(reviewer).staff("rev")
    page = reviewer.get("/review/").get_data(as_text=True)
    form = page[page.index('<form method="post" class="filters"'):]
    form = form[:form.index("</form>")]
    assert 'name="q"' in form and "申请编号、姓名或身份证号" in form and 'name="csrf_token"' in form
