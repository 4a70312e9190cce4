"""If-None-Match against an ETag: weak comparison, `*`, lists; anything malformed matches nothing."""

import pytest

from solidarity.platform.conditional import none_match
from tests.conftest import api_as
from tests.factories import CycleFactory


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"3"', True),
        ('W/"3"', True),
        ('"1", "3"', True),
        ('"1",W/"3"', True),
        ("*", True),
        ('"30"', False),
        ('"1", "2"', False),
        ("3", False),  # not a quoted tag
        ("", False),
        ("garbage, ,", False),
    ],
)
def test_if_none_match_compares_weakly(header, matches):
    assert none_match(header, '"3"') is matches
    assert none_match(header, 'W/"3"') is matches


@pytest.mark.django_db
def test_a_304_has_no_body_but_keeps_the_etag_and_only_a_get_or_head_gets_one(coordinator):
    CycleFactory(year=2027)
    client = api_as(coordinator)
    etag = client.get("/api/v1/cycles/2027/")["ETag"]
    for method in ("get", "head"):
        response = getattr(client, method)("/api/v1/cycles/2027/", HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == etag
        assert not response.has_header("Content-Type")
    # A list sends no ETag, so If-None-Match does not apply to it.
    assert client.get("/api/v1/cycles/", HTTP_IF_NONE_MATCH="*").status_code == 200
    # Once the cycle changed, the old ETag no longer matches.
    changed = client.patch(
        "/api/v1/cycles/2027/", {"notes": "New", "reason": "Edit"}, format="json", HTTP_IF_MATCH=etag
    )
    assert changed.status_code == 200, changed.json()
    assert client.get("/api/v1/cycles/2027/", HTTP_IF_NONE_MATCH=etag).status_code == 200
