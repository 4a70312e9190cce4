"""The shape of the benchmark's data set: how much to seed (``Scale``), the seeded cycles and users that the
other tables point at, and the fixed randomness that makes two runs seed the same rows.
"""

import datetime
import random
from dataclasses import dataclass, field

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
class SeededCycle:
    pk: int
    year: int
    status: str
    pledging_start: datetime.datetime
    council_act: datetime.datetime | None
    topics: list[int] = field(default_factory=list)
    meetings: list[tuple[int, datetime.date]] = field(default_factory=list)


@dataclass
class SeededUsers:
    official: dict[str, int]  # state code -> user id
    negotiator: dict[str, int]
    coordinator: int
    auditor: int
    compliance: int


def spread(total: int, buckets: int) -> list[int]:
    """``total`` in ``buckets`` parts that differ by one at most."""
    base, extra = divmod(total, buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets)]


def moment_on(day: datetime.date, rng, start_hour: int = 8, hours: int = 10) -> datetime.datetime:
    """A random moment of ``day``'s working hours."""
    return datetime.datetime(day.year, day.month, day.day, start_hour, tzinfo=UTC) + datetime.timedelta(
        seconds=rng.randrange(hours * 3600)
    )


def object_rng(kind: int, pk: int) -> random.Random:
    """A generator per object: its rows come out the same in the pass over objects and the one over history."""
    return random.Random(RANDOM_SEED * 1_000_003 + kind * 100_000_007 + pk)
