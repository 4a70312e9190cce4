"""Who may activate, answer, fulfil and offset (AMMR Arts 60, 63, 69)."""

import rules

from pledges.pledging.models import sees_implementation
from pledges.pledging.rules import own_state_official, sees_all_pledges
from solidarity.accounts.rules import (
    acts_for_object_state,
    delegation_of,
    is_coordinator,
    is_official,
)


@rules.predicate
def acts_for_benefitting_state(user, obj) -> bool:
    return bool(delegation_of(user)) and delegation_of(user) == getattr(obj, "benefitting_state_id", None)


rules.add_perm("pledges.propose_activation", is_coordinator)
rules.add_perm("pledges.answer_activation", own_state_official)
rules.add_perm("pledges.record_fulfilment", own_state_official)
# Asked before the body is read (403 before 400): the roles that may record a fulfilment or request an offset
# for some object; which one is decided against the object by the permissions above, in the services.
rules.add_perm("pledges.add_fulfilment", is_official)


@rules.predicate
def is_implementation_party(user, activation) -> bool:
    # The one rule of who reads a pledge's implementation (AMMR Arts 57, 60): its contributing and its
    # benefitting state (with the coordinator and auditors, in ``sees_all_pledges``).
    return activation is not None and sees_implementation(
        user, pledging_state_id=activation.member_state_id, benefitting_state_id=activation.benefitting_state_id
    )


rules.add_perm("pledges.view_activation", sees_all_pledges | is_implementation_party)

rules.add_perm("pledges.request_offset", (is_official & acts_for_benefitting_state) | is_coordinator)
rules.add_perm("pledges.add_responsibilityoffset", is_official | is_coordinator)
rules.add_perm("pledges.answer_offset", own_state_official | is_coordinator)
rules.add_perm(
    "pledges.view_responsibilityoffset", sees_all_pledges | acts_for_object_state | acts_for_benefitting_state
)
