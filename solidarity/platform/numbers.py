"""The one reader of the numbers people and tools send (persons, euros, percentages): the services of every
domain read their input through it, so the API, the pages and the admin refuse the same input with the same
code and words."""

import re
from decimal import Decimal, InvalidOperation

from solidarity.platform.errors import ValidationFailed

CENT = Decimal("0.01")
# Plain decimal notation, the only one a string may use: ASCII digits, an optional minus sign and decimal point.
# Python's Decimal also reads "1e5", "1_000", "+5", full-width or Arabic-Indic digits: none is what a person
# typing an amount means to send, so each is refused rather than guessed at.
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# The largest whole number the database's integer columns hold (PostgreSQL integer).
MAX_WHOLE = 2**31 - 1


def read_decimal(value, *, field: str) -> Decimal:
    """``value`` as a finite Decimal, or a ``not_a_number`` refusal naming ``field``.

    A JSON number arrives as an int or a float and is read as it is; a string must be in plain decimal notation.
    """
    if isinstance(value, bool):
        raise ValidationFailed(f"{value!r} is not a number.", code="not_a_number", field=field)
    if isinstance(value, float):
        value = repr(value)
    elif isinstance(value, str) and (not PLAIN_DECIMAL.fullmatch(value) or _is_negative_zero(value)):
        raise ValidationFailed(
            f"{value!r} is not a number in plain decimal notation (digits, an optional minus sign and decimal "
            "point, e.g. 1250000.50).",
            code="not_a_number",
            field=field,
        )
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed(f"{value!r} is not a number.", code="not_a_number", field=field) from None
    if not number.is_finite():
        raise ValidationFailed("Give a finite number.", code="not_a_number", field=field)
    return number


def read_whole(value, *, field: str) -> int:
    """A count of persons or applications: a whole number."""
    number = read_decimal(value, field=field)
    if number != number.to_integral_value():
        raise ValidationFailed("Persons are counted in whole numbers.", code="not_whole", field=field)
    if abs(number) > MAX_WHOLE:
        raise ValidationFailed(f"The number is above {MAX_WHOLE:,}, beyond any count.", code="too_large", field=field)
    return int(number)


def read_euros(value, *, field: str) -> Decimal:
    """Euros to the cent: more decimals are refused, not rounded away."""
    number = read_decimal(value, field=field)
    if number.adjusted() >= 15:
        return number  # far beyond any bound: the caller's range check names it
    if number != number.quantize(CENT):
        raise ValidationFailed("Euros have at most two decimal places.", code="too_many_decimals", field=field)
    return number.quantize(CENT)


def _is_negative_zero(text: str) -> bool:
    return text.startswith("-") and not text.strip("-0.")
