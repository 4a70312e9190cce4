"""What-if scenarios of a cycle's key: their writes, who sees them, and their fair shares.

A scenario changes the inputs of the key (reference numbers, weights, euro per relocation, rounding,
deductions, the states in the key) and nothing else: its fair shares come from the one engine,
``solidarity.domain.fairshare.compute_fair_shares``, fed with the cycle's reference figures, and are set beside
the cycle's official table (``solidarity.domain.selectors.fair_share_table``). A scenario is private to its
author's delegation unless shared (AMMR Art. 13: the pledging exercise is a negotiation; a delegation's
working figures are its own).
"""

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import rules
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from solidarity.accounts.rules import is_auditor, is_coordinator, is_member, is_negotiator
from solidarity.domain import hooks
from solidarity.domain.fairshare import (
    FairShare,
    FairShareError,
    KeyParameters,
    compute_fair_shares,
    relocation_equivalent,
)
from solidarity.domain.models import MemberState, RelocationRounding, Scenario, SolidarityCycle
from solidarity.domain.selectors import FairShareRow, cycle_key_figures, fair_share_table
from solidarity.platform.errors import NoSuchObject, NotPermitted, ValidationFailed
from solidarity.platform.history import stamp
from solidarity.platform.numbers import read_decimal
from solidarity.platform.workflow import (
    check_version,
    creation_reason,
    lock,
    require_reason,
    save_audited,
    update_fields,
    validate,
)

# --- Who may do what ------------------------------------------------------------------------------------


@rules.predicate
def is_scenario_author(user, scenario) -> bool:
    return scenario is not None and scenario.author_id == user.pk


@rules.predicate
def of_scenario_delegation(user, scenario) -> bool:
    state = getattr(user, "member_state_id", None)  # nobody logged in acts for no delegation
    return scenario is not None and bool(state) and scenario.author_state_id == state


@rules.predicate
def scenario_is_shared(user, scenario) -> bool:
    return scenario is not None and scenario.shared


@rules.predicate
def eu_level_scenario(user, scenario) -> bool:
    """Written by the coordinator's staff, who act for no delegation."""
    return scenario is not None and scenario.author_state_id is None


# set_perm, not add_perm: the permissions may move to solidarity/rules.py without an import-order clash.
rules.set_perm(
    "solidarity.view_scenario",
    is_coordinator | is_auditor | (is_member & (scenario_is_shared | is_scenario_author | of_scenario_delegation)),
)
rules.set_perm("solidarity.add_scenario", is_negotiator | is_coordinator)
# A delegation's negotiators keep its scenarios; the coordinator's staff theirs. Sharing one lets others
# read it, not change it.
rules.set_perm(
    "solidarity.change_scenario",
    is_scenario_author | (is_negotiator & of_scenario_delegation) | (is_coordinator & eu_level_scenario),
)
rules.set_perm(
    "solidarity.delete_scenario",
    is_scenario_author | (is_negotiator & of_scenario_delegation) | (is_coordinator & eu_level_scenario),
)


# --- Reads ----------------------------------------------------------------------------------------------


def scenarios_visible_to(user, queryset=None):
    """Shared scenarios, the user's own and its delegation's; all of them for the coordinator and auditors."""
    queryset = Scenario.objects.all() if queryset is None else queryset
    queryset = queryset.select_related("cycle", "author", "author_state")
    if is_coordinator(user) or is_auditor(user):
        return queryset
    if not is_member(user):
        return queryset.none()
    own = Q(shared=True) | Q(author_id=user.pk)
    if user.member_state_id:
        own |= Q(author_state_id=user.member_state_id)
    return queryset.filter(own)


def scenario_key_parameters(scenario: Scenario) -> KeyParameters:
    """The scenario's key. Its ``deductions_percent`` is reported beside each fair share, not applied to it: a
    deduction is of the state's pledges (AMMR Art. 61(1), 62(1)), never of its fair share."""
    return KeyParameters(
        reference_relocations=scenario.reference_relocations,
        reference_financial_eur=scenario.reference_financial_eur,
        weight_population=scenario.weight_population,
        weight_gdp=scenario.weight_gdp,
        relocation_rounding=scenario.relocation_rounding,
        deductions_percent={code: Decimal(value) for code, value in (scenario.deductions_percent or {}).items()},
    )


def scenario_states_in_key(scenario: Scenario, states) -> list[MemberState]:
    """The key's states in protocol order: those the scenario names, else the cycle's own (Art. 66)."""
    if scenario.states_in_key:
        chosen = set(scenario.states_in_key)
        return [state for state in states if state.code in chosen]
    return [state for state in states if scenario.cycle.counts_in_key(state)]


def scenario_fair_shares_by_state(scenario: Scenario, *, states=None) -> dict[str, FairShare]:
    """The scenario's fair shares by state code (the states in its key only). Two queries.

    Raises ``FairShareError`` when the key cannot be computed (e.g. a state without reference figures).
    """
    if states is None:
        states = list(MemberState.objects.all())
    in_key = scenario_states_in_key(scenario, states)
    shares = compute_fair_shares(cycle_key_figures(scenario.cycle, in_key), scenario_key_parameters(scenario))
    return {share.member_state: share for share in shares}


class _Public:
    """A viewer with no role and no delegation: sees the pledges the Council act made public, nothing else."""

    is_authenticated = False
    is_active = False
    member_state_id = None
    pk = None

    def has_role(self, role: str) -> bool:
        return False


@dataclass(frozen=True)
class ScenarioRow:
    """One state under a scenario (``scenario``) and under the cycle's official figures (``official``).

    Both are ``solidarity.domain.selectors.FairShareRow``s over the same visible pledges; the scenario's counts
    them at its own euro per relocation. ``scenario.fair_share`` is None for a state outside its key.
    """

    member_state: MemberState
    scenario: object
    official: object

    @property
    def share_difference(self) -> Decimal | None:
        """Scenario share minus official share, in percentage points."""
        if self.scenario.fair_share is None or self.official.fair_share is None:
            return None
        return self.scenario.fair_share.share_percent - self.official.fair_share.share_percent


def scenario_fair_shares(scenario: Scenario, *, viewer=None) -> list[ScenarioRow]:
    """Every state, in protocol order: its share, fair share and pledge coverage under ``scenario`` beside the
    cycle's official figures.

    Pledged totals appear only where ``viewer`` may see that state's pledges (before the Council act: its own
    state, the coordinator, auditors); without a viewer, only public ones. A constant number of queries:
    the official table's (states, figures, deductions, official shares, pledge totals) and the scenario's figures.
    Raises ``FairShareError`` when either key cannot be computed.
    """
    official_rows = _official_rows(scenario.cycle, viewer)
    figures = _figures_by_code(scenario.cycle, official_rows)
    return _rows_under(scenario, official_rows, figures)


@dataclass(frozen=True)
class ScenarioComparison:
    """One scenario's rows beside the official ones, or why its key cannot be computed."""

    scenario: Scenario
    rows: list[ScenarioRow]
    error: str = ""


def scenarios_side_by_side(cycle: SolidarityCycle, scenarios, *, viewer) -> tuple[list, list[ScenarioComparison]]:
    """The cycle's official table and every given scenario's rows, for one page: the same queries however
    many scenarios (the official table's and the reference figures, once)."""
    official_rows = _official_rows(cycle, viewer)
    figures = _figures_by_code(cycle, official_rows)
    comparisons = []
    for scenario in scenarios:
        try:
            comparisons.append(ScenarioComparison(scenario, _rows_under(scenario, official_rows, figures)))
        except FairShareError as error:
            comparisons.append(ScenarioComparison(scenario, [], error=str(error)))
    return official_rows, comparisons


def _official_rows(cycle: SolidarityCycle, viewer) -> list:
    return fair_share_table(cycle, viewer=viewer if viewer is not None else _Public())


def _figures_by_code(cycle: SolidarityCycle, official_rows) -> dict:
    states = [row.member_state for row in official_rows]
    return {figures.member_state: figures for figures in cycle_key_figures(cycle, states)}


def _rows_under(scenario: Scenario, official_rows, figures_by_code: dict) -> list[ScenarioRow]:
    states = [row.member_state for row in official_rows]
    in_key = scenario_states_in_key(scenario, states)
    shares = {
        share.member_state: share
        for share in compute_fair_shares(
            [figures_by_code[state.code] for state in in_key], scenario_key_parameters(scenario)
        )
    }
    rows = []
    for official in official_rows:
        euros = official.pledged_financial_eur + official.pledged_alternative_eur
        under_scenario = FairShareRow(
            member_state=official.member_state,
            fair_share=shares.get(official.member_state.code),
            official_share_percent=official.official_share_percent,
            pledges_visible=official.pledges_visible,
            pledged_relocations=official.pledged_relocations,
            pledged_financial_eur=official.pledged_financial_eur,
            pledged_alternative_eur=official.pledged_alternative_eur,
            pledged_relocation_equivalent=relocation_equivalent(
                relocations=official.pledged_relocations, euros=euros, eur_per_relocation=scenario.eur_per_relocation
            ),
        )
        rows.append(ScenarioRow(member_state=official.member_state, scenario=under_scenario, official=official))
    return rows


# --- Writes ---------------------------------------------------------------------------------------------

SCENARIO_FIELDS = (
    "title",
    "description",
    "shared",
    "reference_relocations",
    "reference_financial_eur",
    "eur_per_relocation",
    "weight_population",
    "weight_gdp",
    "relocation_rounding",
    "deductions_percent",
    "states_in_key",
)
# What a new scenario copies from its cycle unless given: it starts as the official key.
FROM_CYCLE = (
    "reference_relocations",
    "reference_financial_eur",
    "eur_per_relocation",
    "weight_population",
    "weight_gdp",
    "relocation_rounding",
)


def _check_fields(values: Mapping, *, allowed=SCENARIO_FIELDS) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        name = min(unknown)
        raise ValidationFailed(f"{name} cannot be set on a scenario.", code="read_only", field=name)


def _percent(value, *, code: str) -> Decimal:
    try:
        number = read_decimal(str(value), field="deductions_percent")
    except ValidationFailed:
        number = None  # refused below, with the state it concerns
    if number is None or not 0 <= number <= 100:
        raise ValidationFailed(
            f"The deduction of {code} must be a percentage from 0 to 100, not {value!r}.",
            code="invalid",
            field="deductions_percent",
        )
    return number


def _normalise(scenario: Scenario) -> None:
    """Codes upper-case and known, each once; the key's states in protocol order; deductions as decimal strings."""
    states = {state.code: state for state in MemberState.objects.all()}
    scenario.states_in_key = MemberState.objects.codes_in_protocol_order(scenario.states_in_key, field="states_in_key")

    deductions = {}
    for code, value in (scenario.deductions_percent or {}).items():
        code = str(code).strip().upper()
        if code not in states:
            raise NoSuchObject(
                _("Unknown Member State code: %(code)s.") % {"code": code},
                code="unknown_member_state",
                field="deductions_percent",
            )
        percent = _percent(value, code=code)
        if percent:
            deductions[code] = str(percent)
    scenario.deductions_percent = dict(sorted(deductions.items(), key=lambda item: states[item[0]].protocol_order))

    if scenario.relocation_rounding not in RelocationRounding.values:
        raise ValidationFailed(
            f"Rounding is one of {', '.join(RelocationRounding.values)}.",
            code="invalid_choice",
            field="relocation_rounding",
        )
    # Annex I: the two criteria make up the whole key. The engine refuses other weights too; saying so here
    # names the field before a scenario that can never be computed is stored.
    if scenario.weight_population + scenario.weight_gdp != 1:
        raise ValidationFailed(
            f"The key's weights must add up to 1, not {scenario.weight_population} + {scenario.weight_gdp}.",
            code="key_weights_invalid",
            field="weight_population",
        )


def _validated(scenario: Scenario) -> None:
    _normalise(scenario)
    validate(scenario)


def scenario_create(*, cycle: SolidarityCycle, actor, reason: str, **values) -> Scenario:
    """A negotiator or the coordinator builds a scenario from ``cycle``; what is not given is the cycle's."""
    reason = creation_reason(reason)
    if not actor.has_perm("solidarity.add_scenario"):
        raise NotPermitted("Only negotiators and the coordinator build scenarios.")
    _check_fields(values)
    if "deductions_percent" not in values:
        values["deductions_percent"] = hooks.granted_deductions_percent(cycle)
    defaults = {name: getattr(cycle, name) for name in FROM_CYCLE}
    scenario = Scenario(cycle=cycle, author=actor, author_state_id=actor.member_state_id, **{**defaults, **values})
    _validated(scenario)
    with transaction.atomic():
        save_audited(scenario, actor=actor, reason=reason, bump_version=False)
    return scenario


def scenario_update(*, scenario: Scenario, changes: dict, expected_version, actor, reason: str) -> Scenario:
    if not actor.has_perm("solidarity.change_scenario", scenario):
        raise NotPermitted("Only the delegation that built a scenario changes it.")
    _check_fields(changes)
    with transaction.atomic():
        locked = lock(Scenario, scenario.pk)
        check_version(locked, expected_version)
        # Normalise on a copy, then change the stored row only where the normalised value differs: a code
        # sent in lower case, or the key's states in another order, is no change and writes no history.
        draft = copy.copy(locked)
        for name, value in changes.items():
            setattr(draft, name, value)
        _normalise(draft)
        normalised = {name: getattr(draft, name) for name in changes}
        update_fields(locked, changes=normalised, expected_version=expected_version, actor=actor, reason=reason)
    return locked


def scenario_delete(*, scenario: Scenario, expected_version, actor, reason: str) -> None:
    """Delete a scenario; its history keeps every version and a last row saying who deleted it and why."""
    if not actor.has_perm("solidarity.delete_scenario", scenario):
        raise NotPermitted("Only the delegation that built a scenario deletes it.")
    with transaction.atomic():
        locked = lock(Scenario, scenario.pk)
        check_version(locked, expected_version)
        reason = require_reason(reason)
        stamp(locked, actor=actor, reason=reason)
        locked.delete()
