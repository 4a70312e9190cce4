"""The one reader of the numbers people and tools send (persons, euros, percentages): the services of every
domain read their input through it, so the API, the pages and the admin refuse the same input with the same
code and words."""

from decimal import Decimal, InvalidOperation

from solidarity.platform.errors import ValidationFailed

CENT = Decimal("0.01")


def read_decimal(value, *, field: str) -> Decimal:
    """``value`` as a finite Decimal, or a ``not_a_number`` refusal naming ``field``."""
    if isinstance(value, float):
        value = str(value)
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
    return int(number)


def read_euros(value, *, field: str) -> Decimal:
    """Euros to the cent: more decimals are refused, not rounded away."""
    number = read_decimal(value, field=field)
    if number.adjusted() >= 15:
        return number  # far beyond any bound: the caller's range check names it
    if number != number.quantize(CENT):
        raise ValidationFailed("Euros have at most two decimal places.", code="too_many_decimals", field=field)
    return number.quantize(CENT)
