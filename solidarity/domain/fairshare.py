"""The fair-share key of AMMR Art. 66 and Annex I, as pure Decimal arithmetic.

share(MS) = w_pop x population(MS) / sum(population) + w_gdp x GDP(MS) / sum(GDP), over the states bound by
the solidarity part. Every parameter comes from the caller (a cycle, or a what-if scenario), so there is
one engine and no constant of the mechanism in code.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext

SHARE_PLACES = 4  # percent with four decimals, as printed in the Council act (e.g. 21.6890 %)
_SHARE_UNIT = Decimal(1).scaleb(-SHARE_PLACES)
CENT = Decimal("0.01")


def relocation_equivalent(*, relocations=0, euros=0, eur_per_relocation: Decimal) -> Decimal:
    """Persons and euros in the common unit pledges are compared in, to the cent.

    AMMR Art. 56(2): the types of measure "shall be considered of equal value"; a euro amount counts at the
    cycle's (or a scenario's) euro value of one relocation: EUR 20 000, the ratio of Art. 12(2)'s reference
    numbers (EUR 600 million for 30 000 relocations), a conversion convention rather than a rule of the text.
    The one home of the relocation equivalent: pledges, the pool, the fair-share table and scenarios call it.
    """
    return (Decimal(relocations or 0) + Decimal(euros or 0) / eur_per_relocation).quantize(CENT, ROUND_HALF_UP)


HUNDRED = Decimal(100)


class FairShareError(ValueError):
    """The key cannot be computed from these inputs; the message says which state or parameter is at fault."""

    def __init__(self, message: str, *, code: str = "fair_share_invalid", member_states: Sequence[str] = ()):
        super().__init__(message)
        self.code = code
        self.member_states = tuple(member_states)


@dataclass(frozen=True)
class KeyFigures:
    member_state: str
    population: int | None
    gdp_eur_million: Decimal | None


@dataclass(frozen=True)
class KeyParameters:
    reference_relocations: int
    reference_financial_eur: Decimal
    weight_population: Decimal = Decimal("0.5")
    weight_gdp: Decimal = Decimal("0.5")
    relocation_rounding: str = "up"  # "up" or "half_up"
    # The share of each state's pledges a Council act deducted, in percent (Arts 61-62). Reported beside the fair
    # share, never applied to it: a deduction lowers the state's pledges, not its fair share.
    deductions_percent: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class FairShare:
    member_state: str
    exact_share: Decimal  # a fraction, unrounded
    share_percent: Decimal  # rounded half-up to SHARE_PLACES, each on its own (``round_share``)
    relocations: int  # fair share in relocations, by the cycle's rounding rule
    financial_eur: Decimal  # fair share in euros
    deduction_percent: Decimal  # share of the state's pledges deducted (Arts 61-62); the fair share is unchanged
    obligation_relocations: int  # the fair share itself: a deduction lowers pledges, not the share (Art. 61(1))
    obligation_financial_eur: Decimal


def round_relocations(value: Decimal, rule: str) -> int:
    """A fair share in persons (AMMR Art. 66, Annex I: the share times the reference number), by the cycle's rule:
    up, as the reported 2026 figures are (DE 4 555 and FR 3 361 for 21.6890 % and 16.0021 % of 21 000; half-up
    would give FR 3 360), or half-up.

    Rounded up, the states' fair shares add up to more than the pool (21 014 for 21 000 in 2026): the fair-share
    table shows that total and says why.
    """
    if rule == "up":
        return int(value.to_integral_value(rounding=ROUND_CEILING))
    if rule == "half_up":
        return int(value.to_integral_value(rounding=ROUND_HALF_UP))
    raise FairShareError(f"Unknown rounding rule {rule!r}: use 'up' or 'half_up'.", code="rounding_rule_unknown")


def compute_fair_shares(figures: Sequence[KeyFigures], parameters: KeyParameters) -> list[FairShare]:
    """Fair shares of the states in ``figures`` (the key's states, in the order wanted back).

    AMMR Art. 66 and Annex I: each state's share is 50 % its population and 50 % its GDP over the states in the
    key (the cycle's weights), and its fair share that share of the reference numbers of the pool.

    A deduction does not change them: AMMR Art. 61(1) (and 62(1)) lets a state request "a partial or full
    deduction of its pledged contributions set out in the Council implementing act", so it lowers the state's
    pledges (``pledges.pledging``), and ``deduction_percent`` only reports it; ``obligation_*`` equal the share.
    """
    if not figures:
        raise FairShareError("No state is in the key: there is nothing to share.", code="key_empty")
    missing = [f.member_state for f in figures if f.population is None or f.gdp_eur_million is None]
    if missing:
        raise FairShareError(
            f"Reference figures are missing for {', '.join(missing)}: import population and GDP first.",
            code="reference_figure_missing",
            member_states=missing,
        )
    negative = [f.member_state for f in figures if f.population < 0 or f.gdp_eur_million < 0]
    if negative:
        raise FairShareError(
            f"Reference figures are negative for {', '.join(negative)}.",
            code="reference_figure_negative",
            member_states=negative,
        )
    weights = (parameters.weight_population, parameters.weight_gdp)
    if any(w < 0 for w in weights) or sum(weights) != 1:
        raise FairShareError(
            f"The key's weights must be non-negative and add up to 1, not {weights[0]} + {weights[1]}.",
            code="key_weights_invalid",
        )

    total_population = sum(f.population for f in figures)
    total_gdp = sum(f.gdp_eur_million for f in figures)
    if (parameters.weight_population and not total_population) or (parameters.weight_gdp and not total_gdp):
        raise FairShareError("The key's totals are zero: no state has population or GDP.", code="key_empty")

    with localcontext() as context:
        context.prec = 40
        exact = [
            (parameters.weight_population * f.population / total_population if parameters.weight_population else 0)
            + (parameters.weight_gdp * f.gdp_eur_million / total_gdp if parameters.weight_gdp else 0)
            for f in figures
        ]
        percents = [round_share(share) for share in exact]

    shares = []
    for figure, exact_share, percent in zip(figures, exact, percents, strict=True):
        relocations = round_relocations(
            percent * parameters.reference_relocations / HUNDRED, parameters.relocation_rounding
        )
        financial = (percent * parameters.reference_financial_eur / HUNDRED).quantize(CENT, ROUND_HALF_UP)
        deduction = Decimal(parameters.deductions_percent.get(figure.member_state, 0))
        shares.append(
            FairShare(
                member_state=figure.member_state,
                exact_share=+exact_share,
                share_percent=percent,
                relocations=relocations,
                financial_eur=financial,
                deduction_percent=deduction,
                obligation_relocations=relocations,
                obligation_financial_eur=financial,
            )
        )
    return shares


def round_share(exact: Decimal) -> Decimal:
    """A state's share in percent, rounded half-up to SHARE_PLACES on its own, as the Council act prints it.

    AMMR Art. 66 and Annex I give the key, not a rounding; the act prints each share with four decimals (DE
    21.6890 %).
    No source makes the column add up to exactly 100 (a largest-remainder rounding was dropped for that
    reason), so the rounded shares may add up to 100 plus or minus a few ten-thousandths: the fair-share
    table shows their total. The fair shares in persons are then rounded by ``round_relocations``.
    """
    return (exact * HUNDRED).quantize(_SHARE_UNIT, ROUND_HALF_UP)
