"""What the negotiation API tests share that is not a fixture: the reason and secret they write, how they
record a position directly, and the first error of a response."""

from pledges.negotiation.services import position_create
from tests.factories import state

REASON = "Minutes of the High-Level Forum"
SECRET = "Belgium would accept 4 000 relocations in the end"


def first_error(response) -> dict:
    return response.json()["errors"][0]


def record(actor, topic, meeting, code, stance, visibility="shared", **extra):
    return position_create(
        cycle=topic.cycle,
        actor=actor,
        reason=REASON,
        topic=topic,
        member_state=state(code),
        meeting=meeting,
        stance=stance,
        visibility=visibility,
        **extra,
    )
