"""What the negotiation page tests share that is not a fixture: the reason and secret they write, recording a
position directly, and reading a page (its rows and cells) or a CSV export as a person does."""

import csv
import io
import re

from pledges.negotiation import services
from tests.factories import state

REASON = "Minutes of the forum"
SECRET = "BE-ONLY: would accept 25 000 if Dublin conditionality holds"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
BASE = "/pledges/negotiation"


def record(actor, topic, meeting, code, stance, visibility="shared", **extra):
    return services.position_create(
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


def html(response) -> str:
    return response.content.decode()


def row_of(page: str, code: str) -> str:
    """The table row whose header names the state ``code``."""
    match = re.search(rf'<th scope="row"><a href="[^"]*/states/{code}/">.*?</tr>', page, re.DOTALL)
    assert match, f"no row for {code}"
    return match.group(0)


def cells_of(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>.*?</td>", row, re.DOTALL)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def matrix_url(cycle, **query) -> str:
    url = f"{BASE}/{cycle.year}/matrix/"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
