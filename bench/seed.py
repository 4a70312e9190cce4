"""A large, realistic data set for the benchmark, written with PostgreSQL COPY.

Ten annual cycles (all but the last two closed, one in application, the last in its pledging exercise), the
27 EU Member States with an official and a negotiator each, the coordinator, an auditor and a compliance
officer (each with an API token), reference figures and designations, forum meetings and topics, pledges
(one relocation and one financial pledge per state and cycle, the rest alternative measures), negotiation
positions, and the history of all of them: every object's creation, its revisions and its transitions, as
the services would have written them. The number of history rows is exact: the revisions fill what the
creations and transitions leave of it.

Rows go straight to the tables with COPY (no model ``save``, no signal): a million history rows seed in a
minute or two. Values are generated from a fixed random seed, so two runs seed the same data set.
"""

import csv
import datetime
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connections, models, transaction
from psycopg.types.json import Jsonb
from rest_framework.authtoken.models import Token

from pledges.negotiation.models import ForumLevel, ForumMeeting, Position, Stance, Topic
from pledges.pledging.models import Pledge, PledgeKind, PledgeStatus
from solidarity.accounts.models import Role, User
from solidarity.domain.models import (
    CycleStatus,
    Designation,
    DesignationGround,
    DesignationKind,
    MemberState,
    ReferenceFigure,
    SolidarityCycle,
)

REFERENCE_CSV = Path(__file__).resolve().parent.parent / "solidarity" / "domain" / "data" / "reference_data_2026.csv"
BENCH_PASSWORD = "benchmark-password-not-for-production"
RANDOM_SEED = 20261123
UTC = datetime.UTC


@dataclass(frozen=True)
class Scale:
    """How much to seed. ``states``: the first EU Member States in protocol order."""

    name: str = "full"
    cycles: int = 10
    states: int = 27
    pledges: int = 270_000
    positions: int = 270_000
    history: int = 1_000_000
    topics: int = 25  # per cycle
    meetings: int = 8  # per cycle
    first_year: int = 2026

    def describe(self) -> str:
        return (
            f"{self.cycles} cycles, {self.states} states, {self.pledges:,} pledges, {self.positions:,} positions, "
            f"{self.history:,} history rows"
        )


FULL = Scale()
TINY = Scale(name="tiny", cycles=2, states=3, pledges=60, positions=60, history=400, topics=2, meetings=2)


@dataclass
class SeedSummary:
    scale: Scale
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows written
    history_rows: int = 0

    def add(self, model, count: int) -> None:
        label = model._meta.label_lower
        self.rows[label] = self.rows.get(label, 0) + count
        if getattr(model, "instance_type", None) is not None:  # a django-simple-history model
            self.history_rows += count


class SeedError(Exception):
    pass


# --- Writing rows with COPY ---------------------------------------------------------------------------------

_MISSING = object()


def _default(model_field):
    if model_field.has_default():
        return model_field.get_default()
    if model_field.null:
        return None
    if isinstance(model_field, models.CharField | models.TextField) and model_field.blank:
        return ""
    return _MISSING


def copy_rows(connection, model, rows: Iterable[dict], summary: SeedSummary | None = None) -> int:
    """COPY ``rows`` (dicts by attname) into ``model``'s table; columns a row leaves out take the field's default."""
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    defaults = [_default(f) for f in fields]
    json_positions = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = [row.get(name, default) for name, default in zip(names, defaults, strict=True)]
            for i in json_positions:
                values[i] = Jsonb(values[i])
            if _MISSING in values:
                missing = [name for name, value in zip(names, values, strict=True) if value is _MISSING]
                raise SeedError(f"{model._meta.label}: no value for {', '.join(missing)}")
            copy.write_row(values)
            count += 1
    if summary is not None:
        summary.add(model, count)
    return count


def _next_id(connection, model, column: str = "id") -> int:
    return (model._base_manager.using(connection.alias).aggregate(last=models.Max(column))["last"] or 0) + 1


@contextmanager
def _indexes_rebuilt(connection, models_: list) -> Iterator[None]:
    """Drop the secondary indexes of ``models_``' tables for the load and build them again after it: one sort
    per index instead of a million scattered inserts. Indexes behind constraints (primary keys) stay."""
    definitions = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for model in models_:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [model._meta.db_table],
            )
            definitions += cursor.fetchall()
        for name, _definition in definitions:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in definitions:
            cursor.execute(definition)


def _history(model):
    return model.history.model


class _HistoryWriter:
    """Builds history rows for one model: the object's values at that version plus who, when, why."""

    def __init__(self, connection, model):
        self.model = _history(model)
        self.next_id = _next_id(connection, self.model, "history_id")

    def row(self, values: dict, *, when, kind: str, user_id, reason: str, transition: str, rng) -> dict:
        row = dict(values)
        row.update(
            history_id=self.next_id,
            history_date=when,
            history_type=kind,
            history_user_id=user_id,
            history_change_reason=reason,
            history_transition=transition,
            history_ip_address=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            history_request_id=f"{rng.getrandbits(128):032x}",
        )
        self.next_id += 1
        return row


# --- The data set -------------------------------------------------------------------------------------------

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
STATEMENTS = [
    "The delegation supports the Presidency's compromise text.",
    "The delegation maintains a scrutiny reservation pending national consultations.",
    "The delegation asks for a lower figure, in line with the annual report.",
    "The delegation can accept the proposal if the deductions are granted in full.",
    "The delegation recalls that alternative measures must count at their full value.",
    "The delegation opposes any mandatory relocation figure.",
]
MEASURES = [
    "Deployment of asylum caseworkers",
    "Reception capacity: mobile units",
    "Interpretation services",
    "Return counselling support",
    "Border surveillance equipment",
    "Capacity-building for guardianship systems",
    "IT support for registration",
]
REVISION_REASONS = ["Figure revised after national consultation", "Corrected amount", "Aligned with the budget law"]


@dataclass
class _Cycle:
    pk: int
    year: int
    status: str
    pledging_start: datetime.datetime
    council_act: datetime.datetime | None
    topics: list[int] = field(default_factory=list)
    meetings: list[tuple[int, datetime.date]] = field(default_factory=list)


def _cycle_statuses(count: int) -> list[str]:
    statuses = [CycleStatus.CLOSED] * count
    statuses[-1] = CycleStatus.PLEDGING
    if count >= 2:
        statuses[-2] = CycleStatus.IN_APPLICATION
    return [str(s) for s in statuses]


def _spread(total: int, buckets: int) -> list[int]:
    base, extra = divmod(total, buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets)]


def _at(day: datetime.date, rng, start_hour: int = 8, hours: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, start_hour, tzinfo=UTC) + datetime.timedelta(
        seconds=rng.randrange(hours * 3600)
    )


def _reference_rows() -> dict[str, dict]:
    with REFERENCE_CSV.open(newline="", encoding="utf-8") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


def seed(scale: Scale = FULL, *, using: str = "default", bulk: bool = False, log=None) -> SeedSummary:
    """Write the data set of ``scale`` into an empty registry (migrated: roles and Member States present).

    ``bulk``: the large tables' secondary indexes are built after the load, and foreign keys are not checked
    row by row (``session_replication_role = replica``, a superuser's setting): for seeding a benchmark
    database in minutes. Without it every constraint is checked as usual (the test suite seeds that way).
    """
    connection = connections[using]
    rebuild_indexes = bulk
    if Pledge.objects.using(using).exists() or SolidarityCycle.objects.using(using).exists():
        raise SeedError("The database already holds cycles or pledges: seed an empty, migrated database.")
    states = list(MemberState.objects.using(using).filter(eu_member=True).order_by("protocol_order"))[: scale.states]
    if len(states) < scale.states:
        raise SeedError(f"Only {len(states)} EU Member States are recorded, {scale.states} asked.")
    rng = random.Random(RANDOM_SEED)
    summary = SeedSummary(scale)
    say = log or (lambda message: None)
    with transaction.atomic(using=using):
        if bulk:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        users = _seed_users(connection, states, rng, summary, using=using)
        cycles = _seed_cycles(connection, scale, users, rng, summary)
        small_history = summary.history_rows
        pledge_specs = _plan_pledges(scale, cycles, states, rng)
        position_specs = _plan_positions(scale, cycles, states, rng)
        base = small_history + sum(len(spec.events) for spec in pledge_specs) + len(position_specs)
        extra = scale.history - base
        if extra < 0:
            raise SeedError(
                f"{scale.history:,} history rows cannot hold the {base:,} creations and transitions of this data set."
            )
        _allocate_revisions(extra, pledge_specs, position_specs, rng)
        say(f"  users, cycles, figures, topics, meetings: {small_history:,} history rows")
        large = [Pledge, _history(Pledge), Position, _history(Position)]
        with _indexes_rebuilt(connection, large if rebuild_indexes else []):
            _write_pledges(connection, pledge_specs, users, summary)
            say(f"  pledges: {summary.rows.get('pledges.pledge', 0):,}, history so far {summary.history_rows:,}")
            _write_positions(connection, position_specs, users, summary)
            say(f"  positions: {summary.rows.get('pledges.position', 0):,}, history {summary.history_rows:,}")
        say("  indexes built")
        _reset_sequences(connection)
    if summary.history_rows != scale.history:
        raise SeedError(f"Wrote {summary.history_rows:,} history rows instead of {scale.history:,}.")
    return summary


def _reset_sequences(connection) -> None:
    seeded = [User, SolidarityCycle, ReferenceFigure, Designation, ForumMeeting, Topic, Pledge, Position]
    seeded_models = [*seeded, *(_history(m) for m in seeded), User.groups.through]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), seeded_models):
            cursor.execute(statement)


# --- Users --------------------------------------------------------------------------------------------------


@dataclass
class _Users:
    official: dict[str, int]  # state code -> user id
    negotiator: dict[str, int]
    coordinator: int
    auditor: int
    compliance: int


def _seed_users(connection, states, rng, summary, *, using: str) -> _Users:
    groups = dict(Group.objects.using(using).values_list("name", "pk"))
    password = make_password(BENCH_PASSWORD)  # one hash for all: hashing 57 passwords would cost a minute
    joined = datetime.datetime(2025, 6, 2, 9, tzinfo=UTC)
    next_id = _next_id(connection, User)
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
    history = _HistoryWriter(connection, User)
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
    first = _next_id(connection, through)
    copy_rows(
        connection,
        through,
        ({"id": first + i, "user_id": pk, "group_id": groups[role]} for i, (pk, _, _, role) in enumerate(people)),
        summary,
    )
    copy_rows(
        connection,
        Token,
        ({"key": Token.generate_key(), "user_id": pk, "created": joined} for pk, _, _, _ in people),
        summary,
    )
    by_role: dict[str, dict] = {}
    for pk, name, code, role in people:
        by_role.setdefault(role, {})[code or name] = pk
    return _Users(
        official=by_role[Role.OFFICIAL],
        negotiator=by_role[Role.NEGOTIATOR],
        coordinator=by_role[Role.COORDINATOR]["bench_coordinator"],
        auditor=by_role[Role.AUDITOR]["bench_auditor"],
        compliance=by_role[Role.COMPLIANCE_OFFICER]["bench_compliance"],
    )


# --- Cycles and what hangs on them --------------------------------------------------------------------------


def _seed_cycles(connection, scale: Scale, users: _Users, rng, summary) -> list[_Cycle]:
    cycle_history = _HistoryWriter(connection, SolidarityCycle)
    next_cycle = _next_id(connection, SolidarityCycle)
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
                when=_at(datetime.date(year - 1, 10, 15), rng),
                kind="+",
                user_id=users.coordinator,
                reason="Cycle recorded from the annual report",
                transition="",
                rng=rng,
            )
        )
        cycles.append(
            _Cycle(
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


def _seed_small(connection, model, rows: list[tuple[dict, datetime.datetime]], users: _Users, rng, summary) -> None:
    history = _HistoryWriter(connection, model)
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


def _figure_rows(connection, cycles: list[_Cycle]) -> list[tuple[dict, datetime.datetime]]:
    reference = _reference_rows()
    next_id = _next_id(connection, ReferenceFigure)
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


def _designation_rows(connection, cycles: list[_Cycle]) -> list[tuple[dict, datetime.datetime]]:
    next_id = _next_id(connection, Designation)
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


def _topic_rows(connection, scale: Scale, cycles: list[_Cycle]) -> list[tuple[dict, datetime.datetime]]:
    next_id = _next_id(connection, Topic)
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


def _meeting_rows(connection, scale: Scale, cycles: list[_Cycle]) -> list[tuple[dict, datetime.datetime]]:
    next_id = _next_id(connection, ForumMeeting)
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


# --- Pledges ------------------------------------------------------------------------------------------------


@dataclass
class _PledgeSpec:
    cycle: _Cycle
    state: str
    kind: str
    status: str
    events: list[str]  # "+", "revise", then the transitions in order
    earmark: str | None


MANDATORY = {
    PledgeStatus.DRAFT: [],
    PledgeStatus.SUBMITTED: ["submit"],
    PledgeStatus.RECORDED: ["submit", "record"],
    PledgeStatus.WITHDRAWN: ["withdraw"],
}


def _plan_pledges(scale: Scale, cycles: list[_Cycle], states, rng) -> list[_PledgeSpec]:
    codes = [s.code for s in states]
    counts = _spread(scale.pledges, len(cycles) * len(states))
    specs = []
    for ci, cycle in enumerate(cycles):
        pledging = cycle.status == CycleStatus.PLEDGING
        for si, code in enumerate(codes):
            for j in range(counts[ci * len(codes) + si]):
                kind = (PledgeKind.RELOCATION, PledgeKind.FINANCIAL)[j] if j < 2 else PledgeKind.ALTERNATIVE
                draw = rng.random()
                if pledging:
                    if kind != PledgeKind.ALTERNATIVE or 0.4 <= draw < 0.9:
                        status = PledgeStatus.SUBMITTED
                    else:
                        status = PledgeStatus.DRAFT if draw < 0.4 else PledgeStatus.WITHDRAWN
                elif kind != PledgeKind.ALTERNATIVE or draw < 0.85:
                    status = PledgeStatus.RECORDED
                else:
                    status = PledgeStatus.DRAFT if draw < 0.95 else PledgeStatus.WITHDRAWN
                others = [c for c in codes if c != code]
                earmark = rng.choice(others) if others and rng.random() < 0.1 else None
                specs.append(_PledgeSpec(cycle, code, str(kind), str(status), ["+", *MANDATORY[status]], earmark))
    return specs


@dataclass
class _PositionSpec:
    cycle: _Cycle
    state: str
    topic: int
    index: int  # its place in the cell's sequence
    of: int  # positions in the cell
    revisions: int = 0


def _plan_positions(scale: Scale, cycles: list[_Cycle], states, rng) -> list[_PositionSpec]:
    codes = [s.code for s in states]
    cells = [(cycle, code, topic) for cycle in cycles for code in codes for topic in cycle.topics]
    if not cells:
        return []
    specs = []
    for (cycle, code, topic), count in zip(cells, _spread(scale.positions, len(cells)), strict=True):
        specs.extend(_PositionSpec(cycle, code, topic, i, count) for i in range(count))
    return specs


def _allocate_revisions(extra: int, pledges: list[_PledgeSpec], positions: list[_PositionSpec], rng) -> None:
    """Spread ``extra`` history rows as revisions: about 60 % on pledges, the rest on positions."""
    to_pledges = extra if not positions else (0 if not pledges else extra * 6 // 10)
    for _ in range(to_pledges):
        spec = pledges[rng.randrange(len(pledges))]
        spec.events.insert(1, "revise")
    for _ in range(extra - to_pledges):
        positions[rng.randrange(len(positions))].revisions += 1


def _object_rng(kind: int, pk: int) -> random.Random:
    """A generator per object: its rows come out the same in the pass over objects and the one over history."""
    return random.Random(RANDOM_SEED * 1_000_003 + kind * 100_000_007 + pk)


def _pledge_timeline(spec: _PledgeSpec, pk: int, users: _Users) -> Iterator[tuple[dict, dict]]:
    """(the pledge's values after each change, who/when/why of that change), oldest first."""
    rng = _object_rng(1, pk)
    official = users.official[spec.state]
    values = {
        "id": pk,
        "cycle_id": spec.cycle.pk,
        "member_state_id": spec.state,
        "kind": spec.kind,
        **_measure(spec.kind, rng),
        "earmark_id": spec.earmark,
        "illustrative": False,
        "status": PledgeStatus.DRAFT.value,
        "activated": Decimal("0.00"),
        "version": 1,
        "recorded_by_id": official,
    }
    when = spec.cycle.pledging_start + datetime.timedelta(seconds=rng.randrange(35 * 86400))
    values["created_at"] = when
    for event in spec.events:
        actor = official
        if event == "+":
            kind, reason, transition = "+", "Pledge recorded by the delegation", ""
        else:
            kind = "~"
            values["version"] += 1
            if event == "revise":
                reason, transition = rng.choice(REVISION_REASONS), ""
                values.update(_measure(spec.kind, rng, description=values["description"]))
            else:
                reason, transition = f"Pledge {event} ({spec.cycle.year})", event
                values["status"] = TRANSITION_TARGETS[event]
                if event == "record":
                    actor, reason = users.coordinator, f"Council implementing act of {spec.cycle.year}"
            if event == "record":
                when = spec.cycle.council_act
            else:
                when += datetime.timedelta(seconds=rng.randrange(3600, 6 * 86400))
                if spec.cycle.council_act:
                    when = min(when, spec.cycle.council_act - datetime.timedelta(hours=1))
        values["updated_at"] = when
        yield dict(values), {"when": when, "kind": kind, "user_id": actor, "reason": reason, "transition": transition}


TRANSITION_TARGETS = {
    "submit": PledgeStatus.SUBMITTED.value,
    "record": PledgeStatus.RECORDED.value,
    "withdraw": PledgeStatus.WITHDRAWN.value,
}


def _write_pledges(connection, specs: list[_PledgeSpec], users: _Users, summary) -> None:
    first_id = _next_id(connection, Pledge)

    def objects() -> Iterator[dict]:
        for offset, spec in enumerate(specs):
            *_, (values, _meta) = _pledge_timeline(spec, first_id + offset, users)
            yield values

    def history_rows(writer: _HistoryWriter) -> Iterator[dict]:
        for offset, spec in enumerate(specs):
            pk = first_id + offset
            rng = _object_rng(2, pk)
            for values, meta in _pledge_timeline(spec, pk, users):
                yield writer.row(values, rng=rng, **meta)

    copy_rows(connection, Pledge, objects(), summary)
    writer = _HistoryWriter(connection, Pledge)
    copy_rows(connection, writer.model, history_rows(writer), summary)


def _measure(kind: str, rng, *, description: str | None = None) -> dict:
    if kind == PledgeKind.RELOCATION:
        return {"quantity": rng.randrange(20, 2500), "amount_eur": None, "description": ""}
    if kind == PledgeKind.FINANCIAL:
        return {"quantity": None, "amount_eur": Decimal(rng.randrange(1_000_000, 90_000_000)), "description": ""}
    return {
        "quantity": None,
        "amount_eur": Decimal(rng.randrange(50_000, 5_000_000)),
        "description": description or f"{rng.choice(MEASURES)}: {rng.randrange(2, 60)} units for 12 months",
    }


# --- Positions ----------------------------------------------------------------------------------------------

STANCES = [stance.value for stance in Stance]


def _position_timeline(spec: _PositionSpec, pk: int, rank: int, users: _Users) -> Iterator[tuple[dict, dict]]:
    rng = _object_rng(3, pk)
    start = datetime.date(spec.cycle.year - 1, 3, 10)
    day = start + datetime.timedelta(days=(spec.index * 260) // max(spec.of, 1))
    negotiator = users.negotiator[spec.state]
    values = {
        "id": pk,
        "cycle_id": spec.cycle.pk,
        "topic_id": spec.topic,
        "member_state_id": spec.state,
        "meeting_id": next((meeting for meeting, date in spec.cycle.meetings if date == day), None),
        "date": day,
        "stance": STANCES[rank],
        "stance_rank": rank,
        "proposed_value": Decimal(rng.randrange(5000, 40000)) if rng.random() < 0.3 else None,
        "conditions": "",
        "statement": rng.choice(STATEMENTS),
        "source": f"Delegation note {spec.state}/{spec.cycle.year - 1}/{spec.index + 1}",
        "visibility": "restricted" if rng.random() < 0.15 else "shared",
        "recorded_by_id": negotiator,
        "recorded_by_state_id": spec.state,
        "version": 1,
    }
    when = _at(day, rng)
    values["created_at"] = when
    meta = {"when": when, "kind": "+", "user_id": negotiator, "reason": "Position recorded", "transition": ""}
    yield dict(values), meta
    for _ in range(spec.revisions):
        values["version"] += 1
        values["statement"] = rng.choice(STATEMENTS)
        values["conditions"] = "Subject to parliamentary scrutiny." if rng.random() < 0.5 else ""
        when += datetime.timedelta(seconds=rng.randrange(600, 86400))
        reason = "Statement corrected after the meeting"
        yield dict(values), {"when": when, "kind": "~", "user_id": negotiator, "reason": reason, "transition": ""}


def _position_ranks(specs: list[_PositionSpec]) -> list[int]:
    """Each cell's stances as a random walk along the scale, one step at most between positions."""
    rng = random.Random(RANDOM_SEED + 3)
    ranks, rank = [], 0
    for spec in specs:
        if spec.index == 0:
            rank = rng.randrange(len(STANCES))
        rank = max(0, min(len(STANCES) - 1, rank + rng.choice((-1, 0, 0, 1))))
        ranks.append(rank)
    return ranks


def _write_positions(connection, specs: list[_PositionSpec], users: _Users, summary) -> None:
    first_id = _next_id(connection, Position)
    ranks = _position_ranks(specs)

    def objects() -> Iterator[dict]:
        for offset, spec in enumerate(specs):
            *_, (values, _meta) = _position_timeline(spec, first_id + offset, ranks[offset], users)
            yield values

    def history_rows(writer: _HistoryWriter) -> Iterator[dict]:
        for offset, spec in enumerate(specs):
            pk = first_id + offset
            rng = _object_rng(4, pk)
            for values, meta in _position_timeline(spec, pk, ranks[offset], users):
                yield writer.row(values, rng=rng, **meta)

    copy_rows(connection, Position, objects(), summary)
    writer = _HistoryWriter(connection, Position)
    copy_rows(connection, writer.model, history_rows(writer), summary)
