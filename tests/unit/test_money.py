from decimal import Decimal

import pytest

from portal.domain.errors import InvalidInput
from portal.domain.money import fen_to_yuan, format_yuan, yuan_to_fen


def test_yuan_and_fen_round_trip_exactly():
    assert yuan_to_fen("12100") == 1_210_000
    assert yuan_to_fen("0.10") == 10
    assert yuan_to_fen("1,234.56元") == 123_456
    assert fen_to_yuan(123_456) == Decimal("1234.56")


def test_more_than_two_decimals_is_refused_not_rounded():
    with pytest.raises(InvalidInput, match="两位小数"):
        yuan_to_fen("1.005")


def test_formatting_in_yuan():
    assert format_yuan(1_210_000) == "12,100.00元"
    assert format_yuan(Decimal("450")) == "450.00元"


def test_an_amount_too_large_to_store_is_refused_with_a_message():
    # PostgreSQL INTEGER columns hold amounts up to 21,474,836.47元; beyond, the save would crash.
    assert yuan_to_fen("21474836.47") == 2_147_483_647
    for absurd in ("21474836.48", "1e30", "99999999999999999999"):
        with pytest.raises(InvalidInput, match="金额过大"):
            yuan_to_fen(absurd)


def test_an_exponent_beyond_the_decimal_range_is_refused_not_a_crash():
    # "1e5000000" overflows Decimal arithmetic itself (decimal.Overflow, not InvalidOperation).
    for absurd in ("1e5000000", "-1e5000000"):
        with pytest.raises(InvalidInput, match="金额过大"):
            yuan_to_fen(absurd)
