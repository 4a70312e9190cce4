"""Reusable reads of Member States, cycles and reference data."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from solidarity.domain import hooks
from solidarity.domain.fairshare import CENT, FairShare, KeyFigures, KeyParameters, compute_fair_shares
from solidarity.domain.models import (
    IndicativeAdjustment,
    MemberState,
    OfficialShare,
    ReferenceFigure,
    SolidarityCycle,
)


def cycle_key_parameters(cycle: SolidarityCycle, *, deductions_percent: Mapping[str, Decimal] | None = None):
    return KeyParameters(
        reference_relocations=cycle.reference_relocations,
        reference_financial_eur=cycle.reference_financial_eur,
        weight_population=cycle.weight_population,
        weight_gdp=cycle.weight_gdp,
        relocation_rounding=cycle.relocation_rounding,
        deductions_percent=deductions_percent or {},
    )


def cycle_key_figures(cycle: SolidarityCycle, states_in_key) -> list[KeyFigures]:
    """The key's inputs, one per state in ``states_in_key``; a state without figures gets None values."""
    figures = {
        f.member_state_id: f
        for f in ReferenceFigure.objects.filter(cycle=cycle).only("member_state_id", "population", "gdp_eur_million")
    }
    return [
        KeyFigures(
            member_state=state.code,
            population=figures[state.code].population if state.code in figures else None,
            gdp_eur_million=figures[state.code].gdp_eur_million if state.code in figures else None,
        )
        for state in states_in_key
    ]


def cycle_fair_shares(
    cycle: SolidarityCycle, *, deductions_percent: Mapping[str, Decimal] | None = None, states=None
) -> dict[str, FairShare]:
    """Fair shares of the states in the cycle's key, by code, in protocol order. Two queries."""
    if states is None:
        states = list(MemberState.objects.all())
    in_key = [state for state in states if cycle.counts_in_key(state)]
    shares = compute_fair_shares(
        cycle_key_figures(cycle, in_key), cycle_key_parameters(cycle, deductions_percent=deductions_percent)
    )
    return {share.member_state: share for share in shares}


def current_cycle() -> SolidarityCycle | None:
    return SolidarityCycle.objects.current()


@dataclass(frozen=True)
class PledgedTotals:
    """A state's counted pledges of a cycle, by type, and their relocation equivalent."""

    relocations: int = 0
    financial_eur: Decimal = Decimal("0.00")
    alternative_eur: Decimal = Decimal("0.00")
    relocation_equivalent: Decimal = Decimal("0.00")


NOTHING_PLEDGED = PledgedTotals()


@dataclass(frozen=True)
class FairShareRow:
    member_state: MemberState
    fair_share: FairShare | None  # None for a state outside the key
    official_share_percent: Decimal | None
    pledges_visible: bool
    pledged_relocations: int = 0
    pledged_financial_eur: Decimal = Decimal("0.00")
    pledged_alternative_eur: Decimal = Decimal("0.00")
    pledged_relocation_equivalent: Decimal = Decimal("0.00")
    # Figures of the Commission proposal or the Council act's annex that differ from the key, with their source
    # (``IndicativeAdjustment``): shown beside the fair share, never applied to it.
    indicative_adjustments: tuple[IndicativeAdjustment, ...] = ()

    @property
    def in_key(self) -> bool:
        return self.fair_share is not None

    @property
    def official_difference(self) -> Decimal | None:
        if self.fair_share is None or self.official_share_percent is None:
            return None
        return self.fair_share.share_percent - self.official_share_percent

    @property
    def coverage_percent(self) -> Decimal | None:
        """Coverage: binding pledges, in relocation equivalents, as a percentage of the fair share.

        The one home of coverage (AMMR Art. 66: the fair share is what a state's pledges are measured against).
        A granted deduction lowers the pledges (Art. 61(1), 62(1): "its pledged contributions set out in the
        Council implementing act"), so it lowers coverage; the fair share stays as computed.
        """
        if not self.pledges_visible or self.fair_share is None or not self.fair_share.relocations:
            return None
        return (self.pledged_relocation_equivalent * 100 / self.fair_share.relocations).quantize(CENT, ROUND_HALF_UP)


def fair_share_table(cycle: SolidarityCycle, *, viewer) -> list[FairShareRow]:
    """One row per state, in protocol order: the key, the official figures and the counted pledges.

    The pledges come from the layer that holds them (``hooks.pledged_totals``), only for the states whose
    pledges ``viewer`` may see. A constant number of queries: states, figures, deductions, official shares,
    indicative adjustments, pledge totals.
    """
    states = list(MemberState.objects.all())
    shares = cycle_fair_shares(cycle, deductions_percent=hooks.granted_deductions_percent(cycle), states=states)
    official = dict(OfficialShare.objects.filter(cycle=cycle).values_list("member_state_id", "share_percent"))
    adjustments = {}
    for adjustment in IndicativeAdjustment.objects.filter(cycle=cycle):
        adjustments.setdefault(adjustment.member_state_id, []).append(adjustment)
    pledged = hooks.pledged_totals(cycle, viewer=viewer, states=states)
    rows = []
    for state in states:
        totals = pledged.get(state.code)
        shown = totals or NOTHING_PLEDGED
        rows.append(
            FairShareRow(
                member_state=state,
                fair_share=shares.get(state.code),
                official_share_percent=official.get(state.code),
                pledges_visible=totals is not None,
                pledged_relocations=shown.relocations,
                pledged_financial_eur=shown.financial_eur,
                pledged_alternative_eur=shown.alternative_eur,
                pledged_relocation_equivalent=shown.relocation_equivalent,
                indicative_adjustments=tuple(adjustments.get(state.code, ())),
            )
        )
    return rows
