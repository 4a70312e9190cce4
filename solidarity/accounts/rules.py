"""Who may do what with Member States, cycles and reference data. Views, API and admin all ask these."""

import rules

from solidarity.accounts.models import Role


def _role(name: str):
    @rules.predicate(name=f"is_{name}")
    def has_role(user) -> bool:
        return bool(user and getattr(user, "is_authenticated", False) and user.has_role(name))

    return has_role


is_official = _role(Role.OFFICIAL)
is_negotiator = _role(Role.NEGOTIATOR)
is_coordinator = _role(Role.COORDINATOR)
is_compliance_officer = _role(Role.COMPLIANCE_OFFICER)
is_auditor = _role(Role.AUDITOR)
is_member = rules.is_authenticated & rules.is_active


def delegation_of(user) -> str | None:
    """The code of the delegation ``user`` acts for; None for EU-level roles and for nobody logged in."""
    return getattr(user, "member_state_id", None)


@rules.predicate
def has_member_state(user) -> bool:
    return bool(delegation_of(user))


@rules.predicate
def acts_for_object_state(user, obj) -> bool:
    """The object belongs to the delegation the user acts for."""
    if obj is None:
        return False
    return bool(delegation_of(user)) and delegation_of(user) == getattr(obj, "member_state_id", None)


sees_everything = is_coordinator | is_auditor | is_compliance_officer
# The EU-level roles that read every delegation's records, before they are public: the coordinator and
# auditors (compliance officers read compliance records, not the states' pledges or positions).
reads_every_delegation = is_coordinator | is_auditor
