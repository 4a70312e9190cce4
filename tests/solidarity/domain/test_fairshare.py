import dataclasses
from decimal import Decimal

import pytest

from solidarity.domain.fairshare import (
    FairShareError,
    KeyFigures,
    KeyParameters,
    compute_fair_shares,
    round_relocations,
)
from solidarity.domain.selectors import cycle_fair_shares

PARAMS = KeyParameters(reference_relocations=1000, reference_financial_eur=Decimal("20000000.00"))


def test_one_state_carries_the_whole_pool():
    (share,) = compute_fair_shares([KeyFigures("BE", 100, Decimal(5))], PARAMS)
    assert share.share_percent == Decimal("100.0000")
    assert share.relocations == 1000
    assert share.financial_eur == Decimal("20000000.00")


def test_equal_states_share_equally_each_rounded_on_its_own():
    figures = [KeyFigures(code, 10, Decimal(7)) for code in ("BE", "NL", "LU")]
    shares = compute_fair_shares(figures, PARAMS)
    # 100 / 3 = 33.33333...: each share is rounded half-up on its own, so the column adds up to 99.9999, not
    # to 100 (no source asks for a largest-remainder rounding).
    assert [s.share_percent for s in shares] == [Decimal("33.3333")] * 3
    assert sum(s.share_percent for s in shares) == Decimal("99.9999")
    # 33.3333 % of 1 000 = 333.333, rounded up: the fair shares add up to 1 002, more than the pool.
    assert [s.relocations for s in shares] == [334, 334, 334]


def test_a_share_is_rounded_half_up_to_four_places():
    # 2/3 = 66.66666...% -> 66.6667 and 1/3 -> 33.3333: the column adds up to 100.
    figures = [KeyFigures("AT", 2, Decimal(2)), KeyFigures("BE", 1, Decimal(1))]
    assert [s.share_percent for s in compute_fair_shares(figures, PARAMS)] == [Decimal("66.6667"), Decimal("33.3333")]
    # 1 in 2 000 000 = 0.00005 %, half a unit, goes up to 0.0001; 99.99995 % goes up to 100.0000: the column adds
    # up to 100.0001.
    halves = [KeyFigures("AT", 1_999_999, Decimal(1_999_999)), KeyFigures("BE", 1, Decimal(1))]
    shares = compute_fair_shares(halves, PARAMS)
    assert [s.share_percent for s in shares] == [Decimal("100.0000"), Decimal("0.0001")]
    assert sum(s.share_percent for s in shares) == Decimal("100.0001")


def test_hand_computed_two_state_key():
    # A: population 3/4, GDP 1/4 -> 0.5 * 0.75 + 0.5 * 0.25 = 50 %. Weighted 0.8 / 0.2: 0.6 + 0.05 = 65 %.
    figures = [KeyFigures("AT", 300, Decimal(100)), KeyFigures("BE", 100, Decimal(300))]
    half = compute_fair_shares(figures, PARAMS)
    assert [s.share_percent for s in half] == [Decimal("50.0000"), Decimal("50.0000")]
    weighted = compute_fair_shares(
        figures, KeyParameters(1000, Decimal("20000000"), weight_population=Decimal("0.8"), weight_gdp=Decimal("0.2"))
    )
    assert [s.share_percent for s in weighted] == [Decimal("65.0000"), Decimal("35.0000")]
    assert [s.relocations for s in weighted] == [650, 350]
    assert [s.financial_eur for s in weighted] == [Decimal("13000000.00"), Decimal("7000000.00")]


def test_rounding_rule_is_cycle_data():
    assert round_relocations(Decimal("4554.69"), "up") == 4555
    assert round_relocations(Decimal("4554.01"), "up") == 4555
    assert round_relocations(Decimal("4554.49"), "half_up") == 4554
    assert round_relocations(Decimal("4554.50"), "half_up") == 4555
    with pytest.raises(FairShareError):
        round_relocations(Decimal(1), "sideways")


def test_missing_figure_names_the_state():
    with pytest.raises(FairShareError, match="FR") as error:
        compute_fair_shares([KeyFigures("BE", 10, Decimal(1)), KeyFigures("FR", None, Decimal(1))], PARAMS)
    assert error.value.code == "reference_figure_missing"
    assert error.value.member_states == ("FR",)


def test_weights_must_add_up_to_one():
    with pytest.raises(FairShareError, match="add up to 1"):
        compute_fair_shares(
            [KeyFigures("BE", 1, Decimal(1))],
            KeyParameters(1, Decimal(1), weight_population=Decimal("0.6"), weight_gdp=Decimal("0.6")),
        )


def test_a_deduction_is_reported_but_leaves_the_fair_share_as_computed():
    # AMMR Art. 61(1), 62(1): a deduction is of the state's "pledged contributions set out in the Council
    # implementing act", not of its fair share: the obligation columns equal the fair share.
    figures = [KeyFigures("AT", 1, Decimal(1)), KeyFigures("BE", 1, Decimal(1))]
    params = KeyParameters(1000, Decimal("1000.00"), deductions_percent={"AT": Decimal(100), "BE": Decimal(25)})
    at, be = compute_fair_shares(figures, params)
    assert (at.share_percent, at.relocations, at.obligation_relocations) == (Decimal("50.0000"), 500, 500)
    assert at.obligation_financial_eur == at.financial_eur == Decimal("500.00")
    assert (be.deduction_percent, be.obligation_relocations, be.obligation_financial_eur) == (
        Decimal(25),
        500,
        Decimal("500.00"),
    )
    assert compute_fair_shares(figures, KeyParameters(1000, Decimal("1000.00"))) == [
        dataclasses.replace(share, deduction_percent=Decimal(0)) for share in (at, be)
    ]


def test_shipped_2026_figures_reproduce_the_published_shares_of_germany_and_france(cycle_with_figures):
    shares = cycle_fair_shares(cycle_with_figures)
    assert "DK" not in shares and "NO" not in shares
    assert len(shares) == 26
    assert sum(s.share_percent for s in shares.values()) == Decimal("100.0001")  # each share rounded half-up on its own
    # Published in the Council act: DE 21.6890 %, FR 16.0021 % (within 0.05 percentage points).
    assert abs(shares["DE"].share_percent - Decimal("21.6890")) < Decimal("0.05")
    assert abs(shares["FR"].share_percent - Decimal("16.0021")) < Decimal("0.05")
    assert shares["DE"].relocations == 4549  # 21.6606 % of 21 000 = 4 548.73, rounded up


def test_selector_reports_a_state_without_figures(cycle_with_figures):
    cycle_with_figures.reference_figures.filter(member_state="EL").delete()
    with pytest.raises(FairShareError, match="EL"):
        cycle_fair_shares(cycle_with_figures)
