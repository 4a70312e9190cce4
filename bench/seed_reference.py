"""The benchmark's small tables: users (with their roles and API tokens), cycles, reference figures,
designations, topics and forum meetings, each with its creation in the history."""

import csv
import datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone
from knox.models import get_digest_token

from bench.seed_copy import HistoryWriter, copy_rows, first_free_id
from bench.seed_plan import BENCH_PASSWORD, UTC, Scale, SeededCycle, SeededUsers, moment_on
from pledges.negotiation.models import ForumLevel, ForumMeeting, Topic
from solidarity.accounts.models import ApiToken, Role, User
from solidarity.domain.models import (
    CycleStatus,
    Designation,
    DesignationGround,
    DesignationKind,
    ReferenceFigure,
    SolidarityCycle,
)

REFERENCE_CSV = Path(__file__).resolve().parent.parent / "solidarity" / "domain" / "data" / "reference_data_2026.csv"

TOPIC_TITLES = [
    ("Size of the pool: relocations", "relocations in the pool"),
    ("Size of the pool: financial contributions", "EUR million"),
    ("Euro value of one relocation", "EUR"),
    ("Share for states under pressure after SAR disembarkations", "percent"),
    ("Responsibility offsets", "applications"),
    ("Alternative solidarity measures", ""),
    ("Deductions under Art. 61", ""),
    ("Deductions under Art. 62", ""),
    ("Earmarking of pledges", ""),
    ("Timing of activations", "weeks"),
    ("Operational support through agencies", "experts"),
    ("Capacity-building in third countries", "EUR million"),
]


def _cycle_statuses(count: int) -> list[str]:
    statuses = [CycleStatus.CLOSED] * count
    statuses[-1] = CycleStatus.PLEDGING
    if count >= 2:
        statuses[-2] = CycleStatus.IN_APPLICATION
    return [str(s) for s in statuses]


def _reference_rows() -> dict[str, dict]:
    with REFERENCE_CSV.open(newline="", encoding="utf-8") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


def seed_users(connection, states, rng, summary, *, using: str) -> SeededUsers:
    groups = dict(Group.objects.using(using).values_list("name", "pk"))
    password = make_password(BENCH_PASSWORD)  # one hash for all: hashing 57 passwords would cost a minute
    joined = datetime.datetime(2025, 6, 2, 9, tzinfo=UTC)
    next_id = first_free_id(connection, User)
    people = []  # (id, username, state code or None, role)
    for s in states:
        for role in (Role.OFFICIAL, Role.NEGOTIATOR):
            people.append((next_id, f"{role}_{s.code.lower()}", s.code, str(role)))
            next_id += 1
    eu_level = (("coordinator", Role.COORDINATOR), ("auditor", Role.AUDITOR), ("compliance", Role.COMPLIANCE_OFFICER))
    for username, role in eu_level:
        people.append((next_id, f"bench_{username}", None, str(role)))
        next_id += 1

    def user_values(pk, username, code):
        return {
            "id": pk,
            "username": username,
            "password": password,
            "email": f"{username}@registry.example.eu",
            "first_name": username.split("_")[0].capitalize(),
            "last_name": (code or "EU").upper(),
            "is_active": True,
            "is_staff": False,
            "is_superuser": False,
            "date_joined": joined,
            "member_state_id": code,
        }

    copy_rows(connection, User, (user_values(pk, name, code) for pk, name, code, _ in people), summary)
    history = HistoryWriter(connection, User)
    copy_rows(
        connection,
        history.model,
        (
            history.row(
                user_values(pk, name, code),
                when=joined,
                kind="+",
                user_id=None,
                reason="Account opened for the delegation",
                transition="",
                rng=rng,
            )
            for pk, name, code, _ in people
        ),
        summary,
    )
    through = User.groups.through
    first = first_free_id(connection, through)
    copy_rows(
        connection,
        through,
        ({"id": first + i, "user_id": pk, "group_id": groups[role]} for i, (pk, _, _, role) in enumerate(people)),
        summary,
    )
    expiry = timezone.now() + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    copy_rows(connection, ApiToken, (_token_row(pk, joined, expiry) for pk, _, _, _ in people), summary)
    by_role: dict[str, dict] = {}
    for pk, name, code, role in people:
        by_role.setdefault(role, {})[code or name] = pk
    return SeededUsers(
        official=by_role[Role.OFFICIAL],
        negotiator=by_role[Role.NEGOTIATOR],
        coordinator=by_role[Role.COORDINATOR]["bench_coordinator"],
        auditor=by_role[Role.AUDITOR]["bench_auditor"],
        compliance=by_role[Role.COMPLIANCE_OFFICER]["bench_compliance"],
    )


# --- Cycles and what hangs on them --------------------------------------------------------------------------


def seed_cycles(connection, scale: Scale, users: SeededUsers, rng, summary) -> list[SeededCycle]:
    cycle_history = HistoryWriter(connection, SolidarityCycle)
    next_cycle = first_free_id(connection, SolidarityCycle)
    cycles, cycle_rows, cycle_history_rows = [], [], []
    for index, status in enumerate(_cycle_statuses(scale.cycles)):
        year = scale.first_year + index
        adopted = status != CycleStatus.PLEDGING
        council_act = datetime.date(year - 1, 12, 15)
        values = {
            "id": next_cycle + index,
            "year": year,
            "status": status,
            "reference_relocations": 30000 + 1000 * index,
            "reference_financial_eur": Decimal(600_000_000 + 20_000_000 * index),
            "proposal_relocations": 30000 + 1000 * index,
            "proposal_financial_eur": Decimal(600_000_000 + 20_000_000 * index),
            "legal_basis": "Regulation (EU) 2024/1351, Arts 56-60",
            "report_reference": f"COM({year - 1}) {500 + index}",
            "report_date": datetime.date(year - 1, 10, 15),
            "pressure_decision_reference": f"Commission Implementing Decision (EU) {year - 1}/{2300 + index}",
            "pressure_decision_date": datetime.date(year - 1, 10, 15),
            "proposal_date": datetime.date(year - 1, 10, 15),
            "forum_dates": [f"{year - 1}-11-0{3 + (index % 5)}", f"{year - 1}-12-0{1 + (index % 5)}"],
            "political_agreement_date": datetime.date(year - 1, 12, 8) if adopted else None,
            "council_act_reference": f"Council Implementing Decision (EU) {year - 1}/{2600 + index}" if adopted else "",
            "council_act_date": council_act if adopted else None,
            "applies_from": datetime.date(year, 1, 1) if adopted else None,
            "implementation_deadline": datetime.date(year, 12, 31),
            "notes": "",
            "version": 1,
        }
        cycle_rows.append(values)
        cycle_history_rows.append(
            cycle_history.row(
                values,
                when=moment_on(datetime.date(year - 1, 10, 15), rng),
                kind="+",
                user_id=users.coordinator,
                reason="Cycle recorded from the annual report",
                transition="",
                rng=rng,
            )
        )
        cycles.append(
            SeededCycle(
                pk=values["id"],
                year=year,
                status=status,
                pledging_start=datetime.datetime(year - 1, 10, 20, tzinfo=UTC),
                council_act=datetime.datetime(year - 1, 12, 15, 10, tzinfo=UTC) if adopted else None,
            )
        )
    copy_rows(connection, SolidarityCycle, cycle_rows, summary)
    copy_rows(connection, cycle_history.model, cycle_history_rows, summary)

    _seed_small(connection, ReferenceFigure, _figure_rows(connection, cycles), users, rng, summary)
    _seed_small(connection, Designation, _designation_rows(connection, cycles), users, rng, summary)
    _seed_small(connection, Topic, _topic_rows(connection, scale, cycles), users, rng, summary)
    _seed_small(connection, ForumMeeting, _meeting_rows(connection, scale, cycles), users, rng, summary)
    return cycles


def _seed_small(
    connection, model, rows: list[tuple[dict, datetime.datetime]], users: SeededUsers, rng, summary
) -> None:
    history = HistoryWriter(connection, model)
    copy_rows(connection, model, (values for values, _ in rows), summary)
    copy_rows(
        connection,
        history.model,
        (
            history.row(
                values, when=when, kind="+", user_id=users.coordinator, reason="Recorded", transition="", rng=rng
            )
            for values, when in rows
        ),
        summary,
    )


def _figure_rows(connection, cycles: list[SeededCycle]) -> list[tuple[dict, datetime.datetime]]:
    reference = _reference_rows()
    next_id = first_free_id(connection, ReferenceFigure)
    rows = []
    for index, cycle in enumerate(cycles):
        growth = Decimal("1.02") ** index
        for code, ref in sorted(reference.items()):
            rows.append(
                (
                    {
                        "id": next_id + len(rows),
                        "cycle_id": cycle.pk,
                        "member_state_id": code,
                        "population": int(int(ref["population"]) * (1 + 0.002 * index)),
                        "population_reference_date": datetime.date(cycle.year - 1, 1, 1),
                        "population_source": ref["population_source"],
                        "gdp_eur_million": (Decimal(ref["gdp_eur_million"]) * growth).quantize(Decimal("0.01")),
                        "gdp_reference_year": cycle.year - 2,
                        "gdp_source": ref["gdp_source"],
                        "verified": True,
                        "version": 1,
                    },
                    datetime.datetime(cycle.year - 1, 10, 1, 9, tzinfo=UTC),
                )
            )
    return rows


def _designation_rows(connection, cycles: list[SeededCycle]) -> list[tuple[dict, datetime.datetime]]:
    next_id = first_free_id(connection, Designation)
    designations = [
        ("IT", DesignationKind.UNDER_PRESSURE, DesignationGround.SAR),
        ("EL", DesignationKind.UNDER_PRESSURE, DesignationGround.ARRIVALS),
        ("ES", DesignationKind.UNDER_PRESSURE, DesignationGround.ARRIVALS),
        ("CY", DesignationKind.UNDER_PRESSURE, DesignationGround.ARRIVALS),
        ("BE", DesignationKind.SIGNIFICANT_SITUATION, ""),
        ("PL", DesignationKind.AT_RISK, ""),
    ]
    rows = []
    for cycle in cycles:
        for code, kind, ground in designations:
            values = {
                "id": next_id + len(rows),
                "cycle_id": cycle.pk,
                "member_state_id": code,
                "kind": str(kind),
                "ground": str(ground),
                "source": f"Commission Implementing Decision ({cycle.year - 1})",
                "version": 1,
            }
            rows.append((values, datetime.datetime(cycle.year - 1, 10, 15, 12, tzinfo=UTC)))
    return rows


def _topic_rows(connection, scale: Scale, cycles: list[SeededCycle]) -> list[tuple[dict, datetime.datetime]]:
    next_id = first_free_id(connection, Topic)
    rows = []
    for cycle in cycles:
        for order in range(scale.topics):
            title, unit = TOPIC_TITLES[order % len(TOPIC_TITLES)]
            if order >= len(TOPIC_TITLES):
                title = f"{title} ({order // len(TOPIC_TITLES) + 1})"
            values = {
                "id": next_id + len(rows),
                "cycle_id": cycle.pk,
                "title": title,
                "description": f"Negotiated in the {cycle.year} cycle.",
                "unit": unit,
                "order": order,
                "version": 1,
            }
            cycle.topics.append(values["id"])
            rows.append((values, datetime.datetime(cycle.year - 1, 3, 1, 9, tzinfo=UTC)))
    return rows


def _meeting_rows(connection, scale: Scale, cycles: list[SeededCycle]) -> list[tuple[dict, datetime.datetime]]:
    next_id = first_free_id(connection, ForumMeeting)
    rows = []
    for cycle in cycles:
        start = datetime.date(cycle.year - 1, 3, 10)
        for index in range(scale.meetings):
            day = start + datetime.timedelta(days=index * (260 // max(scale.meetings, 1)))
            level = ForumLevel.HIGH if index % 2 else ForumLevel.TECHNICAL
            values = {
                "id": next_id + len(rows),
                "cycle_id": cycle.pk,
                "level": str(level),
                "date": day,
                "title": f"{'High-Level' if index % 2 else 'Technical-Level'} Forum, meeting {index + 1}",
                "location": "Brussels",
                "documents": f"ST {10000 + index}/{cycle.year - 1}",
                "version": 1,
            }
            cycle.meetings.append((values["id"], day))
            rows.append((values, datetime.datetime(cycle.year - 1, 3, 1, 10, tzinfo=UTC)))
    return rows


def _token_row(user_id: int, created, expiry) -> dict:
    """A token as users hold them (stored as a digest: its key is thrown away; the runner makes its own)."""
    digest, key = get_digest_token()
    return {
        "digest": digest,
        "token_key": key[:15],
        "user_id": user_id,
        "created": created,
        "expiry": expiry,
        "name": "Delegation tool",
    }
