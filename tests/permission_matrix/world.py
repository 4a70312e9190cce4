"""The fixture world of the permission matrix: two cycles, two delegations (BE and NL) mirrored, and a third
state (IT) to be the other party of what BE or NL may not see.

Every row private to some readers carries a marker (``ZQ<nnn><state>``) in a text field; the matrix then
looks for the markers in everything a user reads. Rows are written through the services, as the users who
write them in production, so the history tables hold what they would hold.
"""

import csv
import datetime
import functools
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from compliance.models import ActionPlan, Benchmark, DublinPerformance, Finding, SecondaryMovementIndicator
from compliance.services import compliance_record_create, finding_transition
from pledges.implementation.services import (
    activation_propose,
    activation_transition,
    fulfilment_record,
    offset_answer,
    offset_request,
)
from pledges.negotiation import services as negotiation_services
from pledges.negotiation.services import position_create, position_update
from pledges.pledging.models import Pledge
from pledges.pledging.services import (
    deduction_decide,
    deduction_request,
    pledge_create,
    pledge_transition,
    pledge_update,
)
from solidarity.domain.models import (
    DesignationKind,
    MemberState,
    OfficialShare,
    ReferenceFigure,
    Scenario,
    SolidarityCycle,
)
from solidarity.domain.scenarios import scenario_create, scenario_delete
from solidarity.domain.services import cycle_transition, designation_set
from tests.factories import COMMISSION_REPORT, CycleFactory, UserFactory, state

DATA = Path(__file__).resolve().parents[2] / "solidarity" / "domain" / "data" / "reference_data_2026.csv"
REASON = "Permission matrix world"
STATES = ("BE", "NL")
OTHER = {"BE": "NL", "NL": "BE"}
MARKER_PATTERN = r"ZQ\d{3}[A-Z]{2}"

# Financial pledges counted before adoption, unique enough to be found again in any rendering of a total.
COUNTED_AMOUNTS = {"BE": Decimal("6543217.00"), "NL": Decimal("7312459.00")}


@dataclass(frozen=True)
class Persona:
    name: str
    roles: tuple[str, ...] = ()
    state: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.name == "anonymous"

    @property
    def tokens(self) -> frozenset[str]:
        """What a reader's audience is matched against: its delegation and roles (nothing when anonymous)."""
        if self.anonymous:
            return frozenset()
        found = {"member", *(f"role:{role}" for role in self.roles)}
        if self.state:
            found.add(f"state:{self.state}")
        return frozenset(found)


# Every role x (BE, NL) for the roles acting for a delegation, the EU-level roles, a user with no role (with
# and without a delegation), and nobody logged in.
PERSONAS = (
    Persona("be_official", ("official",), "BE"),
    Persona("nl_official", ("official",), "NL"),
    Persona("be_negotiator", ("negotiator",), "BE"),
    Persona("nl_negotiator", ("negotiator",), "NL"),
    Persona("be_norole", (), "BE"),
    Persona("nl_norole", (), "NL"),
    Persona("norole", ()),
    Persona("coordinator", ("coordinator",)),
    Persona("compliance_officer", ("compliance_officer",)),
    Persona("auditor", ("auditor",)),
    Persona("anonymous"),
)


@dataclass
class World:
    users: dict = field(default_factory=dict)  # persona name -> User (anonymous: None)
    cycles: dict = field(default_factory=dict)  # year -> SolidarityCycle
    objects: dict = field(default_factory=dict)  # model -> [instances worth a URL]
    numbers: dict = field(default_factory=dict)  # digits -> the pledge whose counted amount they are

    def add(self, instance):
        self.objects.setdefault(type(instance), []).append(instance)
        return instance


class _Markers:
    def __init__(self):
        self._counter = itertools.count(1)

    def __call__(self, code: str) -> str:
        return f"ZQ{next(self._counter):03d}{code}"


def _pledge(actor, cycle, kind, **values):
    return pledge_create(cycle=cycle, kind=kind, actor=actor, reason=REASON, **values)


def _move(actor, pledge, name):
    return pledge_transition(pledge=pledge, transition=name, actor=actor, reason=REASON)


def _activate(actor, pledge, towards: str, amount):
    return activation_propose(
        pledge=pledge, benefitting_state=state(towards), amount=amount, actor=actor, reason=REASON
    )


def _answer(actor, activation, name, **extra):
    return activation_transition(activation=activation, transition=name, actor=actor, reason=REASON, **extra)


def _position(actor, topic, meeting, about: str, visibility: str, statement: str, **values):
    return position_create(
        cycle=topic.cycle,
        actor=actor,
        reason=REASON,
        topic=topic,
        member_state=state(about),
        meeting=meeting,
        stance=values.pop("stance", "reserve"),
        statement=statement,
        visibility=visibility,
        **values,
    )


def build_world() -> World:
    world = World()
    mark = _Markers()
    users = world.users
    for persona in PERSONAS:
        if persona.anonymous:
            users[persona.name] = None
            continue
        users[persona.name] = UserFactory(
            username=f"pm_{persona.name}",
            member_state=state(persona.state) if persona.state else None,
            roles=list(persona.roles),
        )
    users["it_official"] = UserFactory(username="pm_it_official", member_state=state("IT"), roles=["official"])
    coordinator, compliance = users["coordinator"], users["compliance_officer"]
    today = timezone.localdate()

    # Cycles: 2026 adopted and in application, 2027 in its pledging exercise; both with the shipped figures.
    adopted = CycleFactory(
        year=2026,
        status="pledging",
        reference_relocations=21000,
        reference_financial_eur=Decimal("420000000.00"),
        proposal_relocations=100,  # low, so that responsibility offsets are open (Art. 63(1))
        applies_from=today - datetime.timedelta(days=100),
        implementation_deadline=today + datetime.timedelta(days=100),
    )
    pledging = CycleFactory(year=2027, status="pledging", proposal_relocations=30000)
    world.cycles = {2026: adopted, 2027: pledging}
    with DATA.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    ReferenceFigure.objects.bulk_create(
        ReferenceFigure(
            cycle=cycle,
            member_state=state(row["code"]),
            population=int(row["population"]),
            gdp_eur_million=Decimal(row["gdp_eur_million"]),
        )
        for cycle in (adopted, pledging)
        for row in rows
    )
    world.objects[ReferenceFigure] = list(ReferenceFigure.objects.filter(member_state__in=STATES).order_by("pk"))
    world.objects[SolidarityCycle] = [adopted, pledging]
    world.objects[MemberState] = [state(code) for code in STATES]
    for code, percent in (("BE", "2.5000"), ("NL", "3.7500")):
        world.add(
            OfficialShare.objects.create(
                cycle=adopted, member_state=state(code), share_percent=Decimal(percent), source="Council act"
            )
        )

    for code in STATES:
        for cycle in (adopted, pledging):
            world.add(
                designation_set(
                    cycle=cycle,
                    member_state=state(code),
                    kind=DesignationKind.UNDER_PRESSURE,
                    ground="arrivals",
                    actor=coordinator,
                    reason=REASON,
                )
            )

    # 2026, before adoption: what becomes recorded, what is withdrawn and what is left a draft.
    for code in STATES:
        official = users[f"{code.lower()}_official"]
        withdrawn = _pledge(official, adopted, "financial", amount_eur="250000", description=mark(code))
        world.add(_move(official, withdrawn, "withdraw"))
        # Public once recorded, but its first versions (with the marker) were the delegation's own.
        financial = _pledge(official, adopted, "financial", amount_eur="500000", description=mark(code))
        financial = pledge_update(
            pledge=financial,
            changes={"amount_eur": "600000", "description": mark(code)},
            expected_version=financial.version,
            actor=official,
            reason=REASON,
        )
        _move(official, financial, "submit")
        relocation = _pledge(official, adopted, "relocation", quantity=1000, description=mark(code))
        _move(official, relocation, "submit")
        _pledge(official, adopted, "alternative", amount_eur="40000", description=mark(code))  # a draft left behind
    outcome = cycle_transition(
        cycle=adopted,
        transition="adopt",
        actor=coordinator,
        reason=REASON,
        council_act_reference="Council Implementing Decision (EU) 2026/1",
        council_act_date=today - datetime.timedelta(days=120),
    )
    assert outcome.recorded_pledges == 4, outcome
    cycle_transition(cycle=adopted, transition="start_application", actor=coordinator, reason=REASON)
    adopted.refresh_from_db()
    for item in Pledge.objects.filter(cycle=adopted).exclude(status="withdrawn").order_by("pk"):
        world.add(item)

    # Compliance: a confirmed finding on IT (the ground of a decline), a draft one on each delegation.
    finding_it = compliance_record_create(
        model=Finding,
        actor=compliance,
        reason=REASON,
        member_state=state("IT"),
        cycle=adopted,
        scope="Transfers",
        description="Systemic shortcomings in transfers",
        **COMMISSION_REPORT,
    )
    for name in ("assess", "confirm"):
        finding_it = finding_transition(finding=finding_it, transition=name, actor=compliance, reason=REASON)
    world.add(finding_it)

    # 2026, in application: activations, fulfilment, deductions and offsets of each delegation.
    for code in STATES:
        official = users[f"{code.lower()}_official"]
        relocation = Pledge.objects.get(cycle=adopted, member_state=code, kind="relocation")
        world.add(_activate(coordinator, relocation, "IT", 10))  # proposed: seen by the two states concerned only
        declined = _activate(coordinator, relocation, "IT", 20)
        world.add(_answer(official, declined, "decline", decline_ground="other", explanation=mark(code)))
        accepted = _answer(official, _activate(coordinator, relocation, "IT", 30), "accept")
        world.add(
            fulfilment_record(
                activation=accepted,
                date=today,
                amount=5,
                evidence_reference=mark(code),
                actor=official,
                reason=REASON,
            )
        )
        world.add(accepted)
        # Between the two delegations.
        world.add(_answer(official, _activate(coordinator, relocation, OTHER[code], 40), "accept"))

        refused = deduction_request(
            cycle=adopted,
            article="61",
            scope="partial",
            requested_percent="10",
            grounds=mark(code),
            actor=official,
            reason=REASON,
        )
        world.add(deduction_decide(deduction=refused, transition="refuse", actor=coordinator, reason=REASON))
        world.add(
            deduction_request(
                cycle=adopted, article="61", scope="full", grounds=mark(code), actor=official, reason=REASON
            )
        )
        granted = deduction_request(
            cycle=pledging,
            article="61",
            scope="partial",
            requested_percent="20",
            grounds=mark(code),
            actor=official,
            reason=REASON,
        )
        world.add(
            deduction_decide(
                deduction=granted,
                transition="grant_partial",
                granted_percent="5",
                council_act_reference="Council Implementing Decision (EU) 2027/9",
                council_act_date=today,
                actor=coordinator,
                reason=REASON,
            )
        )

        requested = offset_request(
            cycle=adopted,
            benefitting_state=state("IT"),
            contributing_state=state(code),
            applications_requested=50,
            actor=coordinator,
            reason=REASON,
        )
        world.add(
            offset_answer(offset=requested, transition="refuse", actor=official, reason=REASON, explanation=mark(code))
        )
        world.add(
            offset_request(
                cycle=adopted,
                benefitting_state=state("IT"),
                contributing_state=state(code),
                applications_requested=60,
                actor=coordinator,
                reason=REASON,
            )
        )
        world.add(
            offset_request(
                cycle=adopted,
                benefitting_state=state(code),
                contributing_state=state(OTHER[code]),
                applications_requested=70,
                actor=official,
                reason=REASON,
            )
        )

        world.add(
            compliance_record_create(
                model=Finding,
                actor=compliance,
                reason=REASON,
                member_state=state(code),
                cycle=adopted,
                scope="Reception",
                description=mark(code),
            )
        )
        world.add(
            compliance_record_create(
                model=DublinPerformance,
                actor=compliance,
                reason=REASON,
                member_state=state(code),
                period_kind="quarter",
                period_start=datetime.date(2026, 1, 1),
                period_end=datetime.date(2026, 3, 31),
                take_charge_received=100,
                take_charge_accepted=50,
                source="Eurostat migr_dubri",
            )
        )
        world.add(
            compliance_record_create(
                model=SecondaryMovementIndicator,
                actor=compliance,
                reason=REASON,
                member_state=state(code),
                period_kind="quarter",
                period_start=datetime.date(2026, 1, 1),
                period_end=datetime.date(2026, 3, 31),
                applications_lodged=1000,
                source="EUAA",
            )
        )
        plan = world.add(
            compliance_record_create(
                model=ActionPlan,
                actor=compliance,
                reason=REASON,
                member_state=state(code),
                cycle=adopted,
                title=mark(code),
            )
        )
        benchmark = world.add(
            compliance_record_create(
                model=Benchmark,
                actor=compliance,
                reason=REASON,
                action_plan=plan,
                indicator="Transfers carried out",
                baseline=Decimal("10"),
                baseline_date=datetime.date(2026, 1, 1),
                target=Decimal("50"),
                due_date=datetime.date(2026, 12, 31),
                direction="higher",
            )
        )
        from compliance.models import Measurement

        world.add(
            compliance_record_create(
                model=Measurement,
                actor=compliance,
                reason=REASON,
                benchmark=benchmark,
                date=datetime.date(2026, 6, 30),
                value=Decimal("20"),
                source="Quarterly report",
            )
        )

    # 2027, the pledging exercise: each delegation's pledges in every status, none of them public yet.
    for code in STATES:
        official = users[f"{code.lower()}_official"]
        world.add(_pledge(official, pledging, "relocation", quantity=300, description=mark(code)))  # draft
        amount = str(COUNTED_AMOUNTS[code])
        submitted = _pledge(official, pledging, "financial", amount_eur=amount, description=mark(code))
        world.add(_move(official, submitted, "submit"))
        world.numbers[amount.split(".")[0]] = submitted
        withdrawn = _pledge(official, pledging, "alternative", amount_eur="10000", description=mark(code))
        world.add(_move(official, withdrawn, "withdraw"))
        reopened = _pledge(official, pledging, "alternative", amount_eur="20000", description=mark(code))
        world.add(_move(official, _move(official, reopened, "submit"), "reopen"))

    # Negotiation (2027): meetings and topics of the coordinator, positions of each delegation.
    meeting = world.add(
        negotiation_services.forum_meeting_create(
            cycle=pledging,
            actor=coordinator,
            reason=REASON,
            level="high",
            date=datetime.date(2026, 11, 18),
            title="High-Level EU Solidarity Forum",
        )
    )
    topic = world.add(
        negotiation_services.topic_create(
            cycle=pledging, actor=coordinator, reason=REASON, title="Size of the pool", unit="relocations", order=1
        )
    )
    for code in STATES:
        negotiator = users[f"{code.lower()}_negotiator"]
        position = functools.partial(_position, negotiator, topic, meeting)
        world.add(position(code, "restricted", mark(code), conditions=mark(code)))
        # Restricted positions on another delegation stay with the delegation that recorded them.
        world.add(position(OTHER[code], "restricted", mark(code), stance="oppose"))
        world.add(position(code, "shared", mark(code), stance="support"))
        # The delegation's own position, restricted at first, then shared (its first version stays restricted).
        opened = position(code, "restricted", mark(code), stance="neutral", date=datetime.date(2026, 11, 20))
        world.add(
            position_update(
                position=opened,
                changes={"visibility": "shared", "statement": mark(code)},
                expected_version=opened.version,
                actor=negotiator,
                reason=REASON,
            )
        )

        # Scenarios: the delegation's private one, a shared one, and one deleted (its history remains).
        world.add(scenario_create(cycle=adopted, actor=negotiator, reason=REASON, title=mark(code)))
        world.add(scenario_create(cycle=adopted, actor=negotiator, reason=REASON, title=mark(code), shared=True))
        gone = scenario_create(cycle=adopted, actor=negotiator, reason=REASON, title=mark(code))
        scenario_delete(scenario=gone, expected_version=gone.version, actor=negotiator, reason=REASON)
    world.add(scenario_create(cycle=adopted, actor=coordinator, reason=REASON, title=mark("EU")))
    # A third state's position, shared as the coordinator records it from the Forum's minutes.
    world.add(_position(coordinator, topic, meeting, "IT", "shared", mark("EU"), stance="support"))

    for model in list(world.objects):
        world.objects[model] = [model.objects.get(pk=item.pk) for item in world.objects[model]]
    world.objects.setdefault(Scenario, [])
    return world
