"""What each role may read and write, stated once, as data, from DESIGN.md ("Roles and what they may do") and
the predicates of each app's ``rules.py``; the matrix applies it to every route it generates. The role
``member`` stands for any logged-in user.

Readers: who reads a row (and so every text of it, in lists, details, exports, history and search). A row is
read by the EU-level readers, by the delegations named by ``states`` (attribute paths on the row or on one of
its history rows), by its author (``users``), and by every logged-in member when ``public`` holds.

Writers: who may ask for a write of a kind on an object of a model: ``(role, scope)`` pairs, where ``scope``
names the attribute paths of the delegations a delegation's role acts for (``None``: any object). Anything
not granted here must be refused, with nothing written.
"""

from collections.abc import Callable
from dataclasses import dataclass

EU_READERS = ("role:coordinator", "role:auditor")  # pledges.pledging.rules.sees_all_pledges
GRANTED = ("granted_full", "granted_partial")


@dataclass(frozen=True)
class Readers:
    states: tuple[str, ...] = ()
    public: Callable | None = None
    users: tuple[str, ...] = ()
    also: tuple[str, ...] = EU_READERS


def _recorded_after_adoption(pledge) -> bool:
    # PledgeQuerySet.visible_to: recorded by the Council act (AMMR Art. 57), in a cycle adopted since.
    return pledge.status == "recorded" and pledge.cycle.pledges_are_public


def _shared_with_every_delegation(position) -> bool:
    # A shared position of its own state (by its delegation or the coordinator: AMMR Arts 13-14).
    speaks = position.recorded_by_state_id in (None, position.member_state_id)
    return position.visibility == "shared" and speaks


READERS = {
    "pledges.pledge": Readers(states=("member_state_id",), public=_recorded_after_adoption),
    "pledges.activation": Readers(states=("pledge.member_state_id", "benefitting_state_id")),
    "pledges.fulfilment": Readers(states=("activation.pledge.member_state_id", "activation.benefitting_state_id")),
    "pledges.deductionrequest": Readers(states=("member_state_id",), public=lambda row: row.status in GRANTED),
    "pledges.responsibilityoffset": Readers(states=("benefitting_state_id", "contributing_state_id")),
    "pledges.position": Readers(states=("recorded_by_state_id",), public=_shared_with_every_delegation),
    "solidarity.scenario": Readers(states=("author_state_id",), public=lambda row: row.shared, users=("author_id",)),
}
EVERY_MEMBER = Readers(public=lambda row: True)  # reference data, negotiation agenda, compliance records


def resolve(row, path: str):
    value = row
    for name in path.split("."):
        value = getattr(value, name, None)
        if value is None:
            return None
    return value


def audience(label: str, row) -> frozenset[str]:
    """The reader tokens that may read ``row`` (an instance or a history row of the model ``label``)."""
    readers = READERS.get(label, EVERY_MEMBER)
    if readers.public is not None and readers.public(row):
        return frozenset({"member"})
    tokens = set(readers.also)
    tokens.update(f"state:{code}" for path in readers.states if (code := resolve(row, path)))
    tokens.update(f"user:{pk}" for path in readers.users if (pk := resolve(row, path)))
    return frozenset(tokens)


# --- Writers ----------------------------------------------------------------------------------------------

COORDINATOR = (("coordinator", None),)
COMPLIANCE = (("compliance_officer", None),)
NOBODY = ()

# Kinds of write: create, update, transition, delete, fulfil (record fulfilment on an activation), propose
# (an activation on a pledge), post (a form on a page that is not one of these), and the API's own custom
# actions by name (bulk). "*" covers every kind of the model but "post".
WRITERS = {
    ("solidarity.memberstate", "*"): NOBODY,
    # One's own account (password, second factor, API tokens): every logged-in user, for oneself.
    ("solidarity.user", "post"): (("member", None),),
    ("solidarity.apitoken", "post"): (("member", None),),
    ("solidarity.solidaritycycle", "*"): COORDINATOR,
    ("solidarity.referencefigure", "*"): COORDINATOR,
    ("solidarity.designation", "*"): COORDINATOR,
    ("solidarity.scenario", "create"): (("negotiator", None), ("coordinator", None)),
    # Its delegation's negotiators (or its author); the coordinator's staff keep the EU-level ones (no state).
    ("solidarity.scenario", "*"): (("negotiator", ("author_state_id",)), ("coordinator", ("author_state_id",))),
    # The scenario's page carries its edit form.
    ("solidarity.scenario", "post"): (("negotiator", ("author_state_id",)), ("coordinator", ("author_state_id",))),
    ("pledges.pledge", "*"): (("official", ("member_state_id",)),),
    ("pledges.pledge", "propose"): COORDINATOR,
    ("pledges.activation", "create"): COORDINATOR,
    ("pledges.activation", "propose"): COORDINATOR,
    ("pledges.activation", "transition"): (("official", ("pledge.member_state_id",)),),
    ("pledges.activation", "fulfil"): (("official", ("pledge.member_state_id",)),),
    ("pledges.fulfilment", "create"): (("official", ("activation.pledge.member_state_id",)),),
    ("pledges.deductionrequest", "create"): (("official", ("member_state_id",)),),
    ("pledges.deductionrequest", "transition"): COORDINATOR,
    ("pledges.responsibilityoffset", "create"): (("official", ("benefitting_state_id",)), ("coordinator", None)),
    ("pledges.responsibilityoffset", "transition"): (
        ("official", ("contributing_state_id",)),
        ("coordinator", None),
    ),
    ("pledges.forummeeting", "*"): COORDINATOR,
    # The meeting page records its positions. Positions: a delegation's negotiators, and the coordinator from
    # the Forum's minutes (AMMR Arts 13-14); each revises its own (the coordinator's have no delegation).
    ("pledges.forummeeting", "post"): (("negotiator", None), ("coordinator", None)),
    ("pledges.topic", "*"): COORDINATOR,
    ("pledges.position", "create"): (("negotiator", None), ("coordinator", None)),
    ("pledges.position", "bulk"): (("negotiator", None), ("coordinator", None)),
    ("pledges.position", "*"): (("negotiator", ("recorded_by_state_id",)), ("coordinator", ("recorded_by_state_id",))),
    ("compliance.dublinperformance", "*"): COMPLIANCE,
    ("compliance.secondarymovementindicator", "*"): COMPLIANCE,
    ("compliance.actionplan", "*"): COMPLIANCE,
    ("compliance.benchmark", "*"): COMPLIANCE,
    ("compliance.measurement", "*"): COMPLIANCE,
    ("compliance.finding", "*"): COMPLIANCE,
}


def writers(label: str | None, kind: str) -> tuple:
    if (label, kind) in WRITERS:
        return WRITERS[(label, kind)]
    if kind != "post" and (label, "*") in WRITERS:
        return WRITERS[(label, "*")]
    return NOBODY


def may_write(persona, label: str | None, kind: str, subject) -> bool:
    """Whether ``persona`` may ask for this write: if not, it must be refused and nothing written."""
    if persona.anonymous:
        return False
    for role, scope in writers(label, kind):
        if role != "member" and role not in persona.roles:
            continue
        if scope is None or subject is None:
            return True
        if persona.state in {resolve(subject, path) for path in scope}:
            return True
    return False


# --- Statuses -----------------------------------------------------------------------------------------------

# A refused write, through the API or a page (DESIGN: 404 outside one's scope, 403 for a forbidden action, the
# workflow and version refusals of api_support); a create naming an object one may not see reads as 400.
REFUSED = {401, 403, 404, 405, 409, 412, 428}
REFUSED_CREATE = REFUSED | {400}
# A post to a page that declares no write (no action word) may also show the page again, writing nothing; a
# 400 there would be a form processed for someone who may not send it.
REFUSED_POST = REFUSED | {200}


def refused_statuses(kind: str) -> set[int]:
    return {"create": REFUSED_CREATE, "post": REFUSED_POST}.get(kind, REFUSED)
