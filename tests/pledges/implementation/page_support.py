"""What the page tests of the pool in implementation share: the constants, and reading a response."""

import csv
import io
import re
from decimal import Decimal

import openpyxl

from solidarity.domain.models import SolidarityCycle

REASON = "Agreed at the Technical-Level Forum"
BASE = "/pledges/implementation"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
CENT = Decimal("0.01")


def set_cycle(cycle, **fields):
    # Tests start cycles in any stage; production code moves them only by transitions.
    SolidarityCycle.objects.filter(pk=cycle.pk).update(**fields)
    cycle.refresh_from_db()
    return cycle


def page(response) -> str:
    return response.content.decode()


def as_user(client, user):
    client.force_login(user)
    return client


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def field_error(html: str, field_id: str) -> bool:
    """The field is marked invalid and points at its error message."""
    tag = re.search(rf"<[^>]*\bid=\"{field_id}\"[^>]*>", html)
    return bool(tag) and 'aria-invalid="true"' in tag.group(0)


def history_count(model) -> int:
    return model.history.model.objects.count()
