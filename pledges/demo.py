"""Illustrative pledges, activations and negotiation positions for the demo (called by solidarity.demo).

Every pledge and activation here is marked illustrative: the 2026 Council act's annex is not in the
shipped facts. Where a demo official of the state exists, the pledge goes through that official's
services (create, submit, accept, fulfil), as in real use; for the other states it is the system's.
"""

import datetime
import json
from decimal import Decimal
from pathlib import Path

from pledges.implementation.models import Activation
from pledges.implementation.services import activation_propose, activation_transition, fulfilment_record
from pledges.negotiation.models import ForumMeeting, Position, Topic
from pledges.negotiation.services import position_create
from pledges.pledging.models import Pledge, PledgeStatus
from pledges.pledging.services import pledge_create, pledge_transition
from solidarity.accounts.models import User
from solidarity.domain.models import MemberState, SolidarityCycle
from solidarity.platform.workflow import save_audited

DATA = Path(__file__).resolve().parent / "data" / "demo_2026.json"
REASON = "Demo data (illustrative)"


def demo_facts() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _officials() -> dict[str, User]:
    return {
        user.member_state_id: user
        for user in User.objects.filter(groups__name="official", member_state__isnull=False).order_by("username")
    }


def add_pledges(cycle: SolidarityCycle, specs: list[dict], *, summary) -> None:
    """The states' pledges of a cycle in its pledging exercise; only those not there yet."""
    officials = _officials()
    present = set(Pledge.objects.filter(cycle=cycle).values_list("member_state_id", "kind"))
    for spec in specs:
        if (spec["state"], spec["kind"]) in present:
            continue
        values = {
            "quantity": spec.get("quantity"),
            "amount_eur": Decimal(spec["amount_eur"]) if spec.get("amount_eur") else None,
            "description": spec.get("description", ""),
        }
        official = officials.get(spec["state"])
        if official is not None:
            pledge = pledge_create(
                cycle=cycle, kind=spec["kind"], actor=official, reason=REASON, illustrative=True, **values
            )
            if spec.get("submit", True):
                pledge_transition(pledge=pledge, transition="submit", actor=official, reason=REASON)
        else:
            # No demo official of this state: the system records its illustrative pledge as submitted.
            pledge = Pledge(
                cycle=cycle,
                member_state_id=spec["state"],
                kind=spec["kind"],
                illustrative=True,
                status=PledgeStatus.SUBMITTED if spec.get("submit", True) else PledgeStatus.DRAFT,
                **values,
            )
            save_audited(pledge, actor=None, reason=REASON, bump_version=False)
        summary.created["pledges (illustrative)"] += 1


def add_activations(cycle: SolidarityCycle, specs: list[dict], *, coordinator: User, summary) -> None:
    """Activations of recorded pledges towards benefitting states, answered and fulfilled (Art. 60)."""
    if Activation.objects.filter(pledge__cycle=cycle).exists():
        return
    officials = _officials()
    for spec in specs:
        pledge = Pledge.objects.get(cycle=cycle, member_state_id=spec["state"], kind=spec["kind"], status="recorded")
        activation = activation_propose(
            pledge=pledge,
            benefitting_state=MemberState.objects.get(code=spec["benefitting_state"]),
            amount=Decimal(spec["amount"]),
            actor=coordinator,
            reason=f"{REASON}: distribution among the benefitting states (Art. 60(2))",
        )
        summary.created["activations (illustrative)"] += 1
        official = officials.get(spec["state"])
        if not spec.get("accept") or official is None:
            continue
        activation = activation_transition(activation=activation, transition="accept", actor=official, reason=REASON)
        for fulfilment in spec.get("fulfilments", []):
            fulfilment_record(
                activation=activation,
                date=datetime.date.fromisoformat(fulfilment["date"]),
                amount=Decimal(fulfilment["amount"]),
                evidence_reference=fulfilment["evidence_reference"],
                actor=official,
                reason=REASON,
            )
            summary.created["fulfilments (illustrative)"] += 1


def add_negotiation(cycle: SolidarityCycle, data: dict, *, coordinator: User, summary) -> None:
    """The High-Level Forum's meetings, the topics debated and the positions known from the seeds."""
    meetings = {}
    for spec in data["meetings"]:
        meeting = ForumMeeting.objects.filter(cycle=cycle, level=spec["level"], date=spec["date"]).first()
        if meeting is None:
            meeting = ForumMeeting(cycle=cycle, **spec)
            save_audited(meeting, actor=coordinator, reason=REASON, bump_version=False)
            summary.created["forum meetings"] += 1
        meetings[spec["date"]] = meeting
    topics = {}
    for order, spec in enumerate(data["topics"]):
        topic = Topic.objects.filter(cycle=cycle, title=spec["title"]).first()
        if topic is None:
            topic = Topic(cycle=cycle, order=order, **spec)
            save_audited(topic, actor=coordinator, reason=REASON, bump_version=False)
            summary.created["topics"] += 1
        topics[spec["title"]] = topic
    if Position.objects.filter(cycle=cycle).exists():
        return
    # A state's shared position is recorded by its own negotiators or by the coordinator from the Forum's
    # minutes (AMMR Arts 13-14): "coordinator" in the data.
    negotiators = {user.username: user for user in User.objects.filter(groups__name="negotiator")}
    negotiators["coordinator"] = coordinator
    for spec in data["positions"]:
        meeting = meetings.get(spec.get("meeting"))
        position_create(
            cycle=cycle,
            actor=negotiators[spec["recorded_by"]],
            reason=f"Demo data: {spec['source']}",
            topic=topics[spec["topic"]],
            member_state=MemberState.objects.get(code=spec["state"]),
            meeting=meeting,
            date=meeting.date if meeting else datetime.date.fromisoformat(spec["date"]),
            stance=spec["stance"],
            proposed_value=Decimal(spec["proposed_value"]) if spec.get("proposed_value") else None,
            statement=spec["statement"],
            source=spec["source"],
            visibility=spec.get("visibility", "shared"),
        )
        summary.created["positions"] += 1
