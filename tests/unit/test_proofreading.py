"""Texts proof-read (issue 15, finding 8): no doubled punctuation in any interface string, and a
name with its own quotation marks never gives ““…”” in a text message."""

from pathlib import Path

from babel.messages.pofile import read_po

from portal.domain.texts import TEXT_TEMPLATES, render_text
from tests.web.plain_words import DOUBLED

CATALOGUE = Path(__file__).resolve().parents[2] / "portal" / "translations" / "messages.pot"


def test_no_interface_string_doubles_its_punctuation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    doubled = [message.id for message in catalogue if message.id and DOUBLED.search(str(message.id))]
    assert len(catalogue) > 1000 and doubled == []


def test_a_quoted_name_inside_a_text_takes_single_quotes():
    body = render_text("singles_registered", event="“缘起工会 携手逐梦”无锡市单身职工联谊活动（第29场）",
                       held_on="2026年6月10日")
    assert "““" not in body and "””" not in body
    assert "“‘缘起工会 携手逐梦’无锡市单身职工联谊活动（第29场）”" in body


def test_no_text_template_doubles_its_punctuation():
    for template in TEXT_TEMPLATES.values():
        bodies = [template.body] if isinstance(template.body, str) else list(template.body.values())
        for body in bodies:
            assert not DOUBLED.search(body), (template.kind, body)
