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
    elif isinstance(value, str) and not is_plain_decimal(value):
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


def is_plain_decimal(text: str) -> bool:
    """Whether ``text`` is a number in plain decimal notation: what the schema's decimal patterns allow."""
    return PLAIN_DECIMAL.fullmatch(text) is not None and not _is_negative_zero(text)


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


def plain_decimal_pattern(
    *,
    whole_digits: int,
    places: int,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    above_minimum: bool = False,
    below_maximum: bool = False,
    trailing_zeros: bool = False,
) -> str:
    """The schema's pattern for a decimal sent as text: plain decimal notation within the field's bounds.

    A string has no ``minimum`` or ``maximum`` in JSON Schema, so the bounds a field enforces are stated in the
    pattern: no minus sign from a minimum of zero, no zero above it (``above_minimum``, or a minimum of one
    unit of the last place), and the whole digits a maximum of a power of ten allows. Leading zeros are read as
    nothing; ``trailing_zeros`` says whether zeros beyond ``places`` are (a figure the service rounds to the cent
    takes "1.500", a column's field does not). Negative zero is never a number a person means.
    """
    zeros_after = "0*" if trailing_zeros else ""
    fraction = f"(\\.[0-9]{{1,{places}}}{zeros_after})?"
    whole_zero_fraction = "(\\.0+)?" if trailing_zeros else f"(\\.0{{1,{places}}})?"
    if maximum is None or Decimal(maximum) >= Decimal(10) ** whole_digits:
        number = f"0*[0-9]{{1,{whole_digits}}}{fraction}"
    else:
        power = Decimal(maximum).log10()
        if power != power.to_integral_value() or power < 0:
            raise ValueError(f"A maximum of {maximum} has no plain decimal pattern: give a power of ten.")
        power = int(power)
        below = f"0*[0-9]{{1,{power}}}{fraction}" if power else f"0*0{fraction}"
        number = below if below_maximum else f"(0*1{'0' * power}{whole_zero_fraction}|{below})"
    smallest_unit = Decimal(1).scaleb(-places)
    if minimum is None:
        return f"^(?!-0*(\\.0*)?$)-?{number}$"
    if Decimal(minimum) == 0 and not above_minimum:
        return f"^{number}$"
    if (Decimal(minimum) == 0 and above_minimum) or Decimal(minimum) == smallest_unit:
        return f"^(?!0*(\\.0*)?$){number}$"
    raise ValueError(f"A minimum of {minimum} has no plain decimal pattern: give zero or one unit of the last place.")
