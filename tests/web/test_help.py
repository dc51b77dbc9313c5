"""The help page (issue 15): the hotline and its hours, the service points of one's district, the
common questions of the four programmes, linked from the header of every page of every role."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.models import Station
from portal.services import stations as station_service
from tests.web.walk import IDENTITIES, load_world, signed_in


def test_help_has_the_hotline_the_questions_and_the_service_points_of_a_district(app, client):
    load_world()
    page = client.get("/help").get_data(as_text=True)
    assert 'href="tel:12351"' in page and "周一至周五" in page
    for question in ("职工互助保障", "理赔", "锡新保", "暑托班", "勤工俭学", "验证码", "清凉驿站"):
        assert question in page, question
    district = station_service.directory_districts()[0]
    listed = client.get("/help", query_string={"district": district}).get_data(as_text=True)
    names = [station.name for station in db.session.query(Station).filter_by(district=district,
                                                                               needs_completion=False)]
    assert names and any(name in listed for name in names)
    elsewhere = [station.name for station in db.session.query(Station).filter(Station.district != district)]
    assert not any(f">{name}</a>" in listed for name in elsewhere)
    # A district that is not in the directory lists nothing rather than everything.
    assert "station-list" not in client.get("/help?district=火星区").get_data(as_text=True)


def test_every_role_finds_help_in_the_page_header(app):
    load_world()
    for identity in IDENTITIES:
        client = signed_in(app, identity)
        start = {None: "/", "member": "/me/"}.get(identity, "/staff/")
        for url in {"/", start}:
            page = client.get(url).get_data(as_text=True)
            header = page[page.index("<header"):page.index("</header>")]
            assert re.search(r'<a href="/help"[^>]*>帮助</a>', header), (identity, url)
