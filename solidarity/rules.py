"""Who may do what with Member States, cycles and reference data. Views, API and admin all ask these."""

import rules

from solidarity.models import Role


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

rules.add_perm("solidarity.view_reference_data", is_member)
rules.add_perm("solidarity.manage_cycle", is_coordinator)
rules.add_perm("solidarity.change_solidaritycycle", is_coordinator)
rules.add_perm("solidarity.change_referencefigure", is_coordinator)
rules.add_perm("solidarity.add_referencefigure", is_coordinator)
rules.add_perm("solidarity.change_designation", is_coordinator)
rules.add_perm("solidarity.add_designation", is_coordinator)
rules.add_perm("solidarity.view_history", is_auditor)
