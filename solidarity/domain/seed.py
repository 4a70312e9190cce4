"""The rows every installation has from its first migration: the role groups and the Member States.

Run by the data migration and again after every ``migrate`` or ``flush`` (post_migrate), so that an
emptied database (a transactional test, a flushed staging copy) still knows its roles and states.
Only missing rows are added; nothing existing is changed, so the history stays as it is.
"""

import csv
from pathlib import Path

# The group names are a contract with API clients and acceptance tests.
ROLES = ["official", "negotiator", "coordinator", "compliance_officer", "auditor"]
MEMBER_STATES_CSV = Path(__file__).resolve().parent / "data" / "member_states.csv"


def _flag(value: str) -> bool:
    return value.strip().lower() == "true"


def seed_roles_and_member_states(apps, using: str = "default") -> None:
    Group = apps.get_model("auth", "Group")
    MemberState = apps.get_model("solidarity", "MemberState")
    Group.objects.using(using).bulk_create([Group(name=role) for role in ROLES], ignore_conflicts=True)
    with MEMBER_STATES_CSV.open(newline="", encoding="utf-8") as handle:
        states = [
            MemberState(
                code=row["code"],
                name=row["name"],
                protocol_order=int(row["protocol_order"]),
                eu_member=_flag(row["eu_member"]),
                bound_by_solidarity=_flag(row["bound_by_solidarity"]),
                dublin_associated=_flag(row["dublin_associated"]),
                note=row["note"],
            )
            for row in csv.DictReader(handle)
        ]
    MemberState.objects.using(using).bulk_create(states, ignore_conflicts=True)
