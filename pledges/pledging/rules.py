"""Who may see and change pledges and the deductions of them (AMMR Arts 57, 61-62)."""

import rules

from solidarity.accounts.rules import (
    acts_for_object_state,
    is_coordinator,
    is_member,
    is_official,
    reads_every_delegation,
)

sees_all_pledges = reads_every_delegation


@rules.predicate
def pledge_is_visible(user, pledge) -> bool:
    # Who reads a pledge is written once, in Pledge.is_visible_to: public from the Council act (AMMR Art. 57),
    # until then its state's own.
    return pledge is not None and pledge.is_visible_to(user)


own_state_official = is_official & acts_for_object_state

# Public means every logged-in member: nobody reads the registry without logging in (the pledge's own state
# reads it in any case). The coordinator and auditors also hold the permission without a pledge.
rules.add_perm("pledges.view_pledge", sees_all_pledges | (pledge_is_visible & (is_member | acts_for_object_state)))
rules.add_perm("pledges.add_pledge", is_official)
# Whether the cycle is still in its pledging exercise is a state of the workflow (409), not a permission.
rules.add_perm("pledges.change_pledge", own_state_official)

rules.add_perm("pledges.request_deduction", own_state_official)
# Asked before the body is read (403 before 400): officials, of whichever state the request then names.
rules.add_perm("pledges.add_deductionrequest", is_official)
rules.add_perm("pledges.decide_deduction", is_coordinator)


@rules.predicate
def deduction_is_granted(user, deduction) -> bool:
    # A granted deduction is in a Council implementing act (AMMR Art. 62(4)), and so public.
    return deduction is not None and deduction.is_granted


rules.add_perm(
    "pledges.view_deductionrequest", sees_all_pledges | acts_for_object_state | (is_member & deduction_is_granted)
)
