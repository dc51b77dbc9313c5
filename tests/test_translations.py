"""Every string the interface marks for translation has an English translation.

Extracts the messages from the source as `make messages` does and compares them with the
English catalogue, so a new Chinese string cannot ship without its English.
"""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("portal/**.py", "python"), ("portal/templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None, "lazy_gettext": None}


def test_every_marked_string_has_an_english_translation():
    with (ROOT / "portal/translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {message.id for message in catalogue if message.id and message.string and not message.fuzzy}
    marked = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS):
        marked.add(message if isinstance(message, str) else message[0])
    assert len(marked) > 1000, "the extraction found almost nothing: check METHODS"
    missing = sorted(marked - translated)
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
