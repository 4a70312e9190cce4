"""SQL queries per request: each endpoint's request run through Django's test client in this process, against
the benchmark database, twice on objects or pages of different sizes. Equal counts: constant per request."""

from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


@dataclass(frozen=True)
class Probe:
    """A request as the test client makes it: a token (API) or a logged-in user (pages)."""

    method: str
    path: str
    token: str = ""
    user: object = None
    body: str | None = None
    if_match: str = ""
    expect: int = 200


@dataclass(frozen=True)
class QueryCount:
    counts: tuple[int, ...]
    problems: tuple[str, ...] = ()

    @property
    def constant(self) -> bool:
        return len(set(self.counts)) == 1 and not self.problems

    def __str__(self) -> str:
        if not self.counts:
            return "-"
        return str(self.counts[0]) if len(set(self.counts)) == 1 else "/".join(str(c) for c in self.counts)


def count_queries(probe: Probe) -> tuple[int, int]:
    """(queries, status) of one request."""
    client = Client()
    extra = {}
    if probe.token:
        extra["HTTP_AUTHORIZATION"] = f"Token {probe.token}"
    if probe.if_match:
        extra["HTTP_IF_MATCH"] = probe.if_match
    if probe.user is not None:
        client.force_login(probe.user)
    with CaptureQueriesContext(connection) as captured:
        if probe.method == "GET":
            response = client.get(probe.path, **extra)
        else:
            response = client.generic(
                probe.method, probe.path, probe.body or "", content_type="application/json", **extra
            )
    return len(captured.captured_queries), response.status_code


def measure(probes: list[Probe]) -> QueryCount:
    counts, problems = [], []
    for probe in probes:
        queries, status = count_queries(probe)
        counts.append(queries)
        if status != probe.expect:
            problems.append(f"{probe.method} {probe.path}: {status}, expected {probe.expect}")
    return QueryCount(tuple(counts), tuple(problems))
