"""Who may read and record delegations' positions (AMMR Arts 13-14)."""

import rules

from solidarity.accounts.rules import (
    delegation_of,
    has_member_state,
    is_coordinator,
    is_member,
    is_negotiator,
    reads_every_delegation,
)


@rules.predicate
def position_is_visible(user, position) -> bool:
    # A restricted position, and a delegation's note about another state (AMMR Arts 13-14), is read only by the
    # delegation that recorded it (and the coordinator, auditors).
    own_state = delegation_of(user)
    return position is not None and (
        position.is_shared_with_every_delegation or (bool(own_state) and position.recorded_by_state_id == own_state)
    )


@rules.predicate
def recorded_by_own_delegation(user, position) -> bool:
    return position is not None and bool(delegation_of(user)) and position.recorded_by_state_id == delegation_of(user)


@rules.predicate
def recorded_by_coordinator(user, position) -> bool:
    # Recorded for no delegation: by the coordinator, from the Forum's minutes (AMMR Arts 13-14).
    return position is not None and position.recorded_by_state_id is None


# The versions a position had while it was restricted stay with the readers of a restricted position: the
# delegation that recorded it, the coordinator and auditors, even once the position is shared.
reads_restricted_versions = reads_every_delegation | recorded_by_own_delegation

rules.add_perm("pledges.view_position", reads_every_delegation | (is_member & position_is_visible))
# Who records positions (AMMR Arts 13-14): a delegation's negotiators, and the coordinator from the Forum's
# minutes. Which position may be a state's shared, current one is ``models.speaks_for_its_state``.
rules.add_perm("pledges.add_position", (is_negotiator & has_member_state) | is_coordinator)
rules.add_perm(
    "pledges.change_position",
    (is_negotiator & recorded_by_own_delegation) | (is_coordinator & recorded_by_coordinator),
)
rules.add_perm("pledges.manage_negotiation", is_coordinator)
