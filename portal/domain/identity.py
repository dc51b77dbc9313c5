"""Chinese resident ID numbers (居民身份证号码) and mobile numbers.

The hard rules are the format, the check character and a real, past birth date. The region
code is only a note: districts are created, merged and renamed while people keep their numbers,
and ``stdnum.cn.ric.validate`` refuses codes missing from its table, so we never call it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_

MIN_WORKER_AGE = 16
MAX_PLAUSIBLE_AGE = 100


_SEPARATORS = re.compile(r"[\s\-_]+")


def normalise(raw: object) -> str:
    """Full-width digits and letters to ASCII, spaces and dashes out, ``x`` upper-cased."""
    text = str(raw or "")
    if not (text.isascii() and text.isalnum()):  # a clean cell needs none of this (most roster cells)
        text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    return text.upper()


@dataclass(frozen=True)
class IdNumber:
    """A checked 18-character ID number with what it tells about its holder."""

    value: str
    birth_date: date
    gender: str  # "M" or "F": the 17th digit is odd for men
    region_code: str
    region_known: bool

    @property
    def region_note(self) -> str | None:
        if self.region_known:
            return None
        return f"地区码 {self.region_code} 不在现行行政区划表中（可能已调整），请人工核对。"

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day`` (a birthday counts from the day itself)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def parse_id_number(raw: object, *, today: date) -> IdNumber:
    """Check an ID number; raise ``InvalidInput`` with a message that says how to fix it."""
    number = normalise(raw)
    if not number:
        raise InvalidInput(N_("请填写身份证号码。"), field="id_number")
    if len(number) == 15 and number.isdigit():
        raise InvalidInput(
            N_("这是15位的旧身份证号码，请填写现行18位身份证号码（可在身份证或户口簿上查到）。"),
            code="id_old_format",
            field="id_number",
        )
    if len(number) != 18:
        raise InvalidInput(N_("身份证号码应为18位，您填写的是%(length)s位，请核对。"), code="id_length",
                           field="id_number", length=len(number))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidInput(
            N_("身份证号码前17位应为数字，最后一位为数字或X。"), code="id_format", field="id_number"
        )
    if number[17] != ric.calc_check_digit(number):
        raise InvalidInput(
            N_("身份证号码校验位不正确，请逐位核对（常见于抄错一位数字）。"), code="id_checksum", field="id_number"
        )
    try:
        # What ``ric.get_birth_date`` reads, without its second clean-up of a number already clean.
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput(N_("身份证号码中的出生日期不存在，请核对。"), code="id_birth_date",
                           field="id_number") from None
    if birth > today:
        raise InvalidInput(N_("身份证号码中的出生日期晚于今天，请核对。"), code="id_birth_date", field="id_number")
    return IdNumber(
        value=number,
        birth_date=birth,
        gender="M" if int(number[16]) % 2 else "F",
        region_code=number[:6],
        region_known=_region_known(number[:6], birth.year),
    )


@lru_cache(maxsize=16_384)
def _region_known(region_code: str, birth_year: int) -> bool:
    """Whether the library's table knows the region code in the year of birth.

    The answer depends on nothing else, and the lookup is most of the cost of checking a number
    (about 28 of 32 µs), so a 100,000-row roster asks it once per region and year.
    """
    try:
        ric.get_birth_place(f"{region_code}{birth_year:04d}0101")
    except (StdnumError, KeyError, ValueError):
        # The library's table lags behind real re-zonings, and a code that names only a
        # province or prefecture raises KeyError inside it: a note for staff, never a refusal.
        return False
    return True


def parse_worker_id_number(raw: object, *, today: date) -> IdNumber:
    """An ID number of a working adult: also checks the age is plausible for a worker."""
    parsed = parse_id_number(raw, today=today)
    age = parsed.age_on(today)
    if age < MIN_WORKER_AGE:
        raise InvalidInput(N_("按身份证号码计算，持证人今年%(age)s岁，未满%(min_age)s岁，不能以职工身份办理。"),
                           code="id_too_young", field="id_number", age=age, min_age=MIN_WORKER_AGE)
    if age > MAX_PLAUSIBLE_AGE:
        raise InvalidInput(N_("身份证号码中的出生年份不合理，请核对。"), code="id_too_old", field="id_number")
    return parsed


def parse_mobile(raw: object) -> str:
    """A mainland mobile number as 11 digits; raise ``InvalidInput`` when it is not one."""
    text = normalise(raw).removeprefix("+86").removeprefix("0086")
    if text.startswith("86") and len(text) == 13:
        text = text[2:]
    if len(text) == 11 and text.isdigit():
        # The common case: mobile ranges are decided by the leading digits, so ask once per prefix.
        valid = _mobile_prefix_valid(text[:7])
    else:
        valid = _is_mobile(text)
    if not valid:
        raise InvalidInput(N_("请填写正确的11位手机号码。"), code="mobile_invalid", field="mobile")
    return text


def _is_mobile(text: str) -> bool:
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return False
    return (
        phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        and len(str(number.national_number)) == 11
    )


@lru_cache(maxsize=65_536)
def _mobile_prefix_valid(prefix: str) -> bool:
    """phonenumbers' verdict for the 11-digit numbers starting with ``prefix`` (7 digits).

    China's mobile patterns fix at most the first six digits and then the length, so every number
    sharing seven leading digits gets the same answer; parsing each one cost 18 µs a roster row.
    """
    return _is_mobile(prefix + "0000")


def mask_id_number(value: str | None) -> str:
    """``320***********123X``: enough to recognise one's own number, not to use someone else's."""
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_mobile(value: str | None) -> str:
    """``138****5678``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# A run of digits (an ``X`` may end it), with single spaces or dashes between groups as staff type
# them ("320202 19900315 0017", "138-0013-8000"), standing alone: not inside a longer word or number.
_NUMBER_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ \-]?[0-9])*(?:[ \-]?[Xx])?(?![0-9A-Za-z])")
_GROUP_GAPS = re.compile(r"[ \-]")


def _masked_number(run: str) -> str | None:
    """``run`` (no separators) masked when it is an ID number (18 or the old 15) or a mobile
    (11 digits from 1, or with the country code 86), else ``None``."""
    if len(run) == 18 and run[:17].isdigit():
        return mask_id_number(run)
    if not run.isdigit():
        return None
    if len(run) == 15:
        return mask_id_number(run)
    if len(run) == 11 and run.startswith("1"):
        return mask_mobile(run)
    if len(run) == 13 and run.startswith("861"):
        return "86" + mask_mobile(run[2:])
    return None


def mask_personal_numbers(value: object) -> object:
    """``value`` with every ID number and mobile inside it masked, however typed (full-width,
    in groups, inside a sentence); dicts and lists are walked, other values kept as they are.

    The one helper for whatever staff type that ends up in a record kept for years, the audit log
    first of all (``services.audit.record`` passes every detail through it): search words,
    filters, notes and reasons, file names.
    """
    if isinstance(value, dict):
        return {key: mask_personal_numbers(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_personal_numbers(item) for item in value)
    if not isinstance(value, str) or not any(ch.isdigit() for ch in value):
        return value
    if not value.isascii():
        value = "".join(unicodedata.normalize("NFKC", ch) if ch.isdigit() or ch in "Ｘｘ－　" else ch
                        for ch in value)

    def masked(match: re.Match) -> str:
        pieces = _GROUP_GAPS.split(match.group())
        gaps = _GROUP_GAPS.findall(match.group())
        out, start = [], 0
        while start < len(pieces):  # the longest groups from here that make a number, else one group
            for end in range(len(pieces), start, -1):
                number = _masked_number("".join(pieces[start:end]).upper())
                if number is not None:
                    break
            else:
                end, number = start + 1, pieces[start]
            out.append(number)
            if end < len(pieces):
                out.append(gaps[end - 1])
            start = end
        return "".join(out)

    return _NUMBER_RUN.sub(masked, value)


def mask_name(value: str | None) -> str:
    """``张*`` for two characters, ``王*明`` for three or more."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def compose_id_number(region_code: str, birth_date: date, sequence: int) -> str:
    """Build a well-formed ID number (demo data and tests); ``sequence`` odd for men, even for women."""
    body = f"{region_code}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")
