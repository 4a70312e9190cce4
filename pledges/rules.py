"""Who may see and change pledges and what hangs on them."""

import rules

from solidarity.rules import (
    acts_for_object_state,
    delegation_of,
    is_auditor,
    is_coordinator,
    is_member,
    is_negotiator,
    is_official,
)

sees_all_pledges = is_coordinator | is_auditor


@rules.predicate
def pledge_is_public(user, pledge) -> bool:
    # Pledges become public with the Council act (AMMR Art. 57); until then only the state sees its own.
    return pledge is not None and pledge.status == "recorded" and pledge.cycle.pledges_are_public


@rules.predicate
def acts_for_benefitting_state(user, obj) -> bool:
    return bool(delegation_of(user)) and delegation_of(user) == getattr(obj, "benefitting_state_id", None)


own_state_official = is_official & acts_for_object_state

# Public means every logged-in member: nobody reads the registry without logging in.
rules.add_perm("pledges.view_pledge", sees_all_pledges | acts_for_object_state | (is_member & pledge_is_public))
rules.add_perm("pledges.add_pledge", is_official)
# Whether the cycle is still in its pledging exercise is a state of the workflow (409), not a permission.
rules.add_perm("pledges.change_pledge", own_state_official)

rules.add_perm("pledges.propose_activation", is_coordinator)
rules.add_perm("pledges.answer_activation", own_state_official)
rules.add_perm("pledges.record_fulfilment", own_state_official)
rules.add_perm("pledges.view_activation", sees_all_pledges | acts_for_object_state | acts_for_benefitting_state)

rules.add_perm("pledges.request_deduction", own_state_official)
rules.add_perm("pledges.decide_deduction", is_coordinator)


@rules.predicate
def deduction_is_granted(user, deduction) -> bool:
    # A granted deduction is in a Council implementing act (AMMR Art. 62(4)), and so public.
    return deduction is not None and deduction.status in ("granted_full", "granted_partial")


rules.add_perm(
    "pledges.view_deductionrequest", sees_all_pledges | acts_for_object_state | (is_member & deduction_is_granted)
)

rules.add_perm("pledges.request_offset", (is_official & acts_for_benefitting_state) | is_coordinator)
rules.add_perm("pledges.answer_offset", own_state_official | is_coordinator)
rules.add_perm(
    "pledges.view_responsibilityoffset", sees_all_pledges | acts_for_object_state | acts_for_benefitting_state
)


@rules.predicate
def position_is_visible(user, position) -> bool:
    # A restricted position is read only by the delegation that recorded it (and the coordinator, auditors).
    return position is not None and (
        position.visibility == "shared" or position.recorded_by_state_id == delegation_of(user)
    )


@rules.predicate
def recorded_by_own_delegation(user, position) -> bool:
    return position is not None and bool(delegation_of(user)) and position.recorded_by_state_id == delegation_of(user)


rules.add_perm("pledges.view_position", sees_all_pledges | (is_member & position_is_visible))
rules.add_perm("pledges.add_position", is_negotiator)
rules.add_perm("pledges.change_position", is_negotiator & recorded_by_own_delegation)
rules.add_perm("pledges.manage_negotiation", is_coordinator)
