"""Money: integer minor units plus an ISO 4217 code. Never floats.

The rounding rule, used everywhere a fraction of a minor unit appears: **half away from zero, once per line**.
A line's amount is computed exactly as a Decimal (quantity x rate, less its discount) and rounded a single time;
totals are sums of rounded lines, and tax is computed per line on the rounded net and rounded once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_precision

SUPPORTED_CURRENCIES = ("USD", "GBP", "EUR", "CNY")


def exponent(currency: str) -> int:
    return int(get_currency_precision(currency.upper()))


def round_minor(value: Decimal) -> int:
    """Round an exact amount already expressed in minor units to a whole minor unit (half away from zero)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_minor(amount: Decimal | str | int, currency: str) -> int:
    """Major units (as typed by a person: "12.50") to minor units, rounded once."""
    return round_minor(Decimal(str(amount)) * (Decimal(10) ** exponent(currency)))


def to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor) / (Decimal(10) ** exponent(currency))


def format_money(amount_minor: int, currency: str, locale: str = "en") -> str:
    babel_locale = "zh_CN" if locale.startswith("zh") else "en_GB" if currency == "GBP" else "en_US"
    return str(format_currency(to_major(amount_minor, currency), currency.upper(), locale=babel_locale))


def apply_rate(amount_minor: int, rate: Decimal) -> int:
    """amount x rate (a tax or discount rate such as Decimal("0.20")), rounded once."""
    return round_minor(Decimal(amount_minor) * rate)
