"""What the tests of the pledge pages share: their addresses, the form data of a new pledge, and helpers that
read a page. Their fixtures are in ``tests/pledges/pledging/conftest.py``."""

import re

from pledges.pledging import services
from pledges.pledging.models import Pledge

REASON = "Agreed by the minister"
LIST, NEW = "/pledges/", "/pledges/new/"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def html(response) -> str:
    return response.content.decode()


def detail_url(pledge) -> str:
    return f"/pledges/{pledge.pk}/"


def edit_url(pledge) -> str:
    return f"/pledges/{pledge.pk}/edit/"


def transition_url(pledge) -> str:
    return f"/pledges/{pledge.pk}/transition/"


def input_tag(page: str, name: str) -> str:
    match = re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', page)
    assert match, f"no field {name}"
    return match.group(0)


def history_count() -> int:
    return Pledge.history.count()


def pledge_row(response, pledge) -> str:
    match = re.search(rf'<th scope="row"><a href="/pledges/{pledge.pk}/">.*?</tr>', html(response), re.DOTALL)
    assert match, f"no row for pledge {pledge.pk}"
    return match.group(0)


def listed_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'<th scope="row"><a href="/pledges/(\d+)/">', html(response))]


def create_data(cycle, **values) -> dict:
    data = {"member_state": "BE", "cycle": cycle.year, "kind": "financial", "reason": REASON, "action": "draft"}
    data.update(values)
    return data


def financial(cycle, official, amount="1000000.00"):
    return services.pledge_create(cycle=cycle, kind="financial", amount_eur=amount, actor=official, reason=REASON)
