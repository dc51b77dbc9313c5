"""What a Chinese page must not show a person: internal codes, English words, Python
representations, doubled punctuation. Used by test_plain_chinese.py (every page of every role)."""

from __future__ import annotations

import html
import re

# Words a Chinese page may carry in Latin letters: file kinds, units, brand-like names people know.
ALLOWED_WORDS = {
    "PDF", "JPG", "JPEG", "PNG", "CSV", "Excel", "xlsx", "xls", "QR", "A4", "MB", "KB", "ID", "SMS", "API", "TOTP",
    "WiFi", "Wi-Fi", "App", "APP", "English", "OK", "HMAC", "SHA256", "PEM", "Ed25519", "JSON", "URL", "cm", "km",
    "kg", "GB", "VS", "vs", "No", "AM", "PM", "Python", "csv", "Microsoft", "Google", "Authenticator",
}
# Verbatim on purpose: scripts, code to copy (the ballot check), and what is marked translate="no"
# (usernames, file names as uploaded, record numbers): names, not words of the page.
TAGS = re.compile(r"<(script|style|pre|code|kbd|samp)\b.*?</\1>|<!--.*?-->|<(\w+)[^>]*\btranslate=\"no\"[^>]*>.*?</\2>",
                  re.S | re.I)
# Machine strings a person may be shown to copy or scan: addresses, seeds, UUIDs, file names.
VERBATIM = re.compile(r"https?://\S+|\b[0-9a-f]{8,}\b|\b[0-9a-f]{8}-[0-9a-f-]{27}\b"
                      r"|[\w.-]+\.(?:jpe?g|png|pdf|xlsx|csv)\b", re.I)
ATTRIBUTE_TEXT = re.compile(r'\s(?:title|aria-label|placeholder|alt)="([^"]*)"')
ELEMENT = re.compile(r"<[^>]+>")
SNAKE_CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # missing_documents, login_code
DOTTED_CODE = re.compile(r"\b[a-z]+\.[a-z_]+\b")  # claim.approve
MODEL_REPR = re.compile(r"\b(?:staff_user|member|claim|union)\s+\d+\b|<[A-Z]\w+ [^>]*>|\b(?:None|True|False)\b"
                        r"|\{'|\['|\(\'|Decimal\(|datetime\.|\bdate\(\d")
SHOUTED_CODE = re.compile(r"\b[A-Z][A-Z0-9_]{3,}\b")  # SANHEYI; references like LP0000001 have digits
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
DOUBLED = re.compile(r"([。，、；：！？])\1|[。，；：！？][。，；！？]|“{2}|”{2}|（（|））|\.\.(?!\.)")


def visible_text(page: str) -> str:
    """The words on the page as a person meets them: text and the attributes read out."""
    page = TAGS.sub(" ", page)
    attributes = " ".join(ATTRIBUTE_TEXT.findall(page))
    text = ELEMENT.sub("\n", page)
    return html.unescape(text + "\n" + attributes)


def problems(page: str, *, allowed: set[str] = frozenset()) -> list[str]:
    """Everything on a Chinese page that is not plain Chinese for a person."""
    found = []
    for line in visible_text(page).splitlines():
        line = VERBATIM.sub(" ", line).strip()
        if not line:
            continue
        for pattern, what in ((SNAKE_CODE, "code"), (DOTTED_CODE, "code"), (MODEL_REPR, "Python"),
                              (DOUBLED, "punctuation")):
            for match in pattern.finditer(line):
                if match.group(0) not in allowed:
                    found.append(f"{what} {match.group(0)!r} in {line[:80]!r}")
        for match in SHOUTED_CODE.finditer(line):
            word = match.group(0)
            if not any(ch.isdigit() for ch in word) and word not in ALLOWED_WORDS and word not in allowed:
                found.append(f"code {word!r} in {line[:80]!r}")
        for match in LATIN_WORD.finditer(line):
            word = match.group(0)
            if len(word) >= 3 and word not in ALLOWED_WORDS and word not in allowed and not word.isupper():
                found.append(f"English {word!r} in {line[:80]!r}")
    return found
