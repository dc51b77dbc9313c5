from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.errors import InvalidInput
from portal.domain.identity import (
    compose_id_number,
    mask_id_number,
    mask_mobile,
    mask_name,
    parse_id_number,
    parse_mobile,
    parse_worker_id_number,
)

TODAY = date(2026, 7, 1)
VALID = "11010519491231002X"


def test_valid_id_number_gives_birth_date_and_gender():
    parsed = parse_id_number(VALID, today=TODAY)
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.gender == "F"
    assert parsed.region_known


def test_lower_case_x_full_width_digits_and_spaces_are_normalised():
    messy = "１１０１０５ １９４９１２３１ ００２x"
    assert parse_id_number(messy, today=TODAY).value == VALID


def test_wrong_check_character_is_refused_with_a_hint():
    with pytest.raises(InvalidInput) as error:
        parse_id_number("110105194912310021", today=TODAY)
    assert error.value.code == "id_checksum"
    assert "校验位" in error.value.message


def test_fifteen_digit_old_number_is_explained():
    with pytest.raises(InvalidInput) as error:
        parse_id_number("110105491231002", today=TODAY)
    assert error.value.code == "id_old_format"
    assert "18位" in error.value.message


@pytest.mark.parametrize("raw,code", [
    ("", None), ("12345", "id_length"), ("11010519491231002Y", "id_format"),
])
def test_malformed_numbers_are_refused(raw, code):
    with pytest.raises(InvalidInput) as error:
        parse_id_number(raw, today=TODAY)
    if code:
        assert error.value.code == code


def test_impossible_and_future_birth_dates_are_refused():
    impossible = compose_id_number("320213", date(1990, 1, 1), 101)[:10] + "0231" + "1011"
    body = impossible[:17]
    from stdnum.cn import ric
    impossible = body + ric.calc_check_digit(body + "0")
    with pytest.raises(InvalidInput) as error:
        parse_id_number(impossible, today=TODAY)
    assert error.value.code == "id_birth_date"
    future = compose_id_number("320213", date(2027, 1, 1), 101)
    with pytest.raises(InvalidInput, match="晚于今天"):
        parse_id_number(future, today=TODAY)


def test_unknown_region_code_is_a_note_not_a_refusal():
    # 320299 has never been a county code, but the person is real: keep them, note it for staff.
    number = compose_id_number("320299", date(1985, 6, 1), 123)
    parsed = parse_id_number(number, today=TODAY)
    assert not parsed.region_known
    assert "人工核对" in parsed.region_note


def test_worker_age_must_be_plausible():
    child = compose_id_number("320213", date(2015, 1, 1), 101)
    with pytest.raises(InvalidInput) as error:
        parse_worker_id_number(child, today=TODAY)
    assert error.value.code == "id_too_young"
    assert parse_worker_id_number(VALID, today=TODAY).age_on(TODAY) == 76


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "138-1234-5678", "１３８１２３４５６７８"])
def test_mobile_numbers_are_normalised(raw):
    assert parse_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12345678901", "1381234567", "051085001234", "abc"])
def test_invalid_mobiles_are_refused(raw):
    with pytest.raises(InvalidInput, match="手机号码"):
        parse_mobile(raw)


def test_masking():
    assert mask_id_number("32021319880520100X") == "320***********100X"
    assert mask_mobile("13856785678") == "138****5678"
    assert mask_name("张三") == "张*"
    assert mask_name("王小明") == "王*明"
    assert mask_id_number(None) == ""


@settings(max_examples=400, deadline=None)
@given(st.from_regex(r"1[0-9]{10}", fullmatch=True))
def test_the_prefix_cache_agrees_with_phonenumbers_on_every_mobile(number):
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:  # e.g. "110…" reads as a country code: not a mobile
        expected = False
    else:
        expected = phonenumbers.is_valid_number(parsed) and \
            phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
    try:
        accepted = parse_mobile(number) == number
    except InvalidInput:
        accepted = False
    assert accepted == expected


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["110105", "320213", "320299", "320200", "320282", "440305"]),
       st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)), st.integers(0, 999))
def test_the_region_cache_agrees_with_the_library(region, birth, sequence):
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    number = compose_id_number(region, birth, sequence)
    try:
        ric.get_birth_place(number)
        known = True
    except (ValidationError, KeyError, ValueError):
        known = False
    assert parse_id_number(number, today=TODAY).region_known == known
