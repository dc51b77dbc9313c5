"""Money: integer fen in storage and arithmetic, Decimal at the edges, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from portal.domain.errors import InvalidInput
from portal.domain.i18n import N_

FEN_PER_YUAN = 100
# The largest amount an INTEGER column holds on PostgreSQL (21,474,836.47元): far above any benefit,
# contribution or fee, so anything larger is a typing slip, refused before it reaches the database.
MAX_FEN = 2_147_483_647


def yuan_to_fen(value: str | int | Decimal) -> int:
    """``"12.34"`` → 1234. Refuses more than two decimals rather than rounding someone's money."""
    try:
        amount = Decimal(str(value).strip().replace(",", "").removesuffix("元"))
    except InvalidOperation:
        raise InvalidInput(N_("请填写正确的金额，例如 1200 或 1200.50。"), code="amount_invalid") from None
    if not amount.is_finite():
        raise InvalidInput(N_("请填写正确的金额。"), code="amount_invalid")
    # Compared before multiplying: "1e5000000" * 100 overflows Decimal itself (decimal.Overflow).
    if amount.copy_abs() > Decimal(MAX_FEN) / FEN_PER_YUAN:
        raise InvalidInput(N_("金额过大，请核对后重新填写。"), code="amount_too_large")
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise InvalidInput(N_("金额最多保留两位小数（精确到分）。"), code="amount_precision")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_amount(value: int | Decimal) -> str:
    """Integer fen, or a Decimal of yuan, as ``12,100.00`` (no unit)."""
    amount = fen_to_yuan(value) if isinstance(value, int) else Decimal(value).quantize(Decimal("0.01"))
    return f"{amount:,.2f}"


def format_yuan(value: int | Decimal) -> str:
    """Integer fen, or a Decimal of yuan, as ``12,100.00元``."""
    return f"{format_amount(value)}元"
