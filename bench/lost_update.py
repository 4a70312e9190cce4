"""The lost-update check: many clients update the same pledges at once, with If-Match, retrying on 412.

Each client reads a pledge (its ETag and amount), then sends the amount plus one with that ETag in If-Match
and its own reason; on 412 it reads again and retries. Afterwards every pledge must show each accepted
update exactly once: its amount and its version went up by the number of accepted updates, and its history
holds one row per accepted update, with that update's reason, and amounts that step by one.
"""

import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from pledges.pledging.models import Pledge

REASON_PREFIX = "Lost-update check"


@dataclass
class ClientTally:
    accepted: list[tuple[int, str]] = field(default_factory=list)  # (pledge id, reason)
    stale: int = 0  # 412 answers, each followed by a retry
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LostUpdateResult:
    clients: int
    pledges: int
    accepted: int
    retries_on_412: int
    applied: int  # history rows of the check found in the database
    lost: int  # accepted but not applied
    duplicated: int  # applied more than once
    amount_mismatches: int
    version_mismatches: int
    errors: tuple[str, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return (
            self.accepted > 0
            and self.lost == 0
            and self.duplicated == 0
            and not self.amount_mismatches
            and not self.version_mismatches
            and not self.errors
            and self.applied == self.accepted
        )


def _request(port: int, method: str, path: str, token: str, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            method,
            path,
            body=json.dumps(body) if body is not None else None,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        return response.status, response.getheader("ETag"), response.read()
    finally:
        connection.close()


def _client(index: int, port: int, targets, updates: int, deadline: float, tally: ClientTally) -> None:
    pledge_id, token = targets[index % len(targets)]
    path = f"/api/v1/pledges/{pledge_id}/"
    done = 0
    while done < updates and time.monotonic() < deadline:
        status, etag, body = _request(port, "GET", path, token)
        if status != 200:
            tally.errors.append(f"GET {path}: {status}")
            return
        amount = Decimal(json.loads(body)["amount_eur"])
        reason = f"{REASON_PREFIX}: client {index}, update {done + 1}"
        status, _etag, body = _request(
            port, "PATCH", path, token, {"If-Match": etag}, {"amount_eur": str(amount + 1), "reason": reason}
        )
        if status == 200:
            tally.accepted.append((pledge_id, reason))
            done += 1
        elif status == 412:
            tally.stale += 1
        else:
            tally.errors.append(f"PATCH {path}: {status} {body[:200]!r}")
            return


def run(port: int, targets: list[tuple[int, str]], *, clients: int = 16, updates: int = 20, seconds: float = 60):
    """``targets``: (pledge id, token of an official of its state); clients share them round-robin."""
    before = {p.pk: (p.amount_eur, p.version) for p in Pledge.objects.filter(pk__in=[pk for pk, _ in targets])}
    history_before = {
        pk: Pledge.history.filter(id=pk).count() for pk, _ in targets
    }  # rows already there, for the count of new ones
    tallies = [ClientTally() for _ in range(clients)]
    started = time.monotonic()
    deadline = started + seconds
    workers = [
        threading.Thread(target=_client, args=(i, port, targets, updates, deadline, tallies[i]), daemon=True)
        for i in range(clients)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 120)
    elapsed = time.monotonic() - started

    accepted = [item for tally in tallies for item in tally.accepted]
    accepted_by_pledge = Counter(pk for pk, _ in accepted)
    rows = list(
        Pledge.history.filter(id__in=list(before), history_change_reason__startswith=REASON_PREFIX)
        .order_by("history_date", "history_id")
        .values_list("id", "history_change_reason", "amount_eur")
    )
    applied = Counter(reason for _, reason, _ in rows)
    accepted_reasons = Counter(reason for _, reason in accepted)
    lost = sum(1 for reason in accepted_reasons if reason not in applied)
    duplicated = sum(count - 1 for count in applied.values() if count > 1)
    amount_mismatches, version_mismatches = [], []
    for pk, (amount, version) in before.items():
        pledge = Pledge.objects.get(pk=pk)
        n = accepted_by_pledge[pk]
        if pledge.amount_eur != amount + n:
            amount_mismatches.append(pk)
        if pledge.version != version + n:
            version_mismatches.append(pk)
        # Each applied update read the amount the previous one wrote: the amounts step by one.
        steps = [value for row_pk, _, value in rows if row_pk == pk]
        if steps != [amount + i for i in range(1, len(steps) + 1)]:
            amount_mismatches.append(pk)
        if Pledge.history.filter(id=pk).count() - history_before[pk] != n:
            version_mismatches.append(pk)
    return LostUpdateResult(
        clients=clients,
        pledges=len(targets),
        accepted=len(accepted),
        retries_on_412=sum(t.stale for t in tallies),
        applied=len(rows),
        lost=lost,
        duplicated=duplicated,
        amount_mismatches=len(set(amount_mismatches)),
        version_mismatches=len(set(version_mismatches)),
        errors=tuple(error for tally in tallies for error in tally.errors),
        seconds=elapsed,
    )
