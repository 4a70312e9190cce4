"""Every paged list: one shape, a Link header (RFC 8288), and 400 for a page or page size out of range."""

import pytest

from solidarity.domain.models import MemberState
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

STATES = "/api/v1/member-states/"


def _links(response) -> dict[str, str]:
    links = {}
    for part in response["Link"].split(", "):
        url, rel = part.split("; ")
        links[rel.removeprefix('rel="').removesuffix('"')] = url.strip("<>")
    return links


def test_a_middle_page_has_the_one_shape_and_links_to_its_neighbours(outsider):
    client = api_as(outsider)
    total = MemberState.objects.count()
    response = client.get(STATES, {"page": 2, "page_size": 10})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert body["count"] == total
    assert len(body["results"]) == 10
    links = _links(response)
    assert set(links) == {"first", "prev", "next", "last"}
    assert links["next"] == body["next"] and links["prev"] == body["previous"]
    assert "page=" not in links["first"]
    last_page = -(-total // 10)
    assert f"page={last_page}" in links["last"]
    assert client.get(links["last"]).status_code == 200


def test_the_first_and_only_page_links_to_itself_as_first_and_last(outsider):
    response = api_as(outsider).get(STATES, {"page_size": 500})
    assert set(_links(response)) == {"first", "last"}
    assert response.json()["next"] is None and response.json()["previous"] is None


def test_an_empty_list_has_its_first_page(outsider):
    response = api_as(outsider).get("/api/v1/cycles/")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ({"page": "0"}, "page", "invalid_page"),
        ({"page": "-1"}, "page", "invalid_page"),
        ({"page": "x"}, "page", "invalid_page"),
        ({"page": "last"}, "page", "invalid_page"),
        ({"page": "+2"}, "page", "invalid_page"),
        ({"page": "\uff12"}, "page", "invalid_page"),
        ({"page": "1e1"}, "page", "invalid_page"),
        ({"page": ""}, "page", "invalid_page"),
        ({"page": "2147483648"}, "page", "invalid_page"),
        ({"page_size": "0"}, "page_size", "invalid_page_size"),
        ({"page_size": "-1"}, "page_size", "invalid_page_size"),
        ({"page_size": "x"}, "page_size", "invalid_page_size"),
        ({"page_size": "501"}, "page_size", "invalid_page_size"),
        ({"page_size": "\u0665"}, "page_size", "invalid_page_size"),
    ],
)
def test_a_page_or_page_size_out_of_range_is_a_400_naming_it(outsider, query, attr, code):
    response = api_as(outsider).get(STATES, query)
    assert response.status_code == 400, response.content
    assert response.json() == {
        "type": "validation_error",
        "errors": [{"code": code, "detail": response.json()["errors"][0]["detail"], "attr": attr}],
    }


@pytest.mark.parametrize("page", ["99", "2147483647"])
def test_a_page_beyond_the_last_names_nothing_a_404_naming_the_page(outsider, page):
    response = api_as(outsider).get(STATES, {"page": page})
    assert response.status_code == 404, response.content
    assert [(error["code"], error["attr"]) for error in response.json()["errors"]] == [("invalid_page", "page")]


def test_a_csv_export_checks_its_page_parameters_but_is_the_whole_list(outsider):
    client = api_as(outsider)
    assert client.get(STATES, {"format": "csv", "page_size": "0"}).status_code == 400
    whole = client.get(STATES, {"format": "csv", "page": "9", "page_size": "5"})
    assert whole.status_code == 200
    assert len(whole.content.decode().strip().splitlines()) == MemberState.objects.count() + 1


def test_the_audit_log_pages_refuse_a_bad_size_and_link_their_pages(auditor, coordinator):
    client = api_as(auditor)
    api_as(coordinator).post(
        "/api/v1/cycles/", {"year": 2031, "reference_relocations": 1, "reference_financial_eur": "1", "reason": "T"}
    )
    for size in ("0", "201", "\uff15", "x"):
        refused = client.get("/api/v1/history/", {"page_size": size})
        assert refused.status_code == 400
        assert refused.json()["errors"][0] == {
            "code": "invalid_page_size",
            "detail": refused.json()["errors"][0]["detail"],
            "attr": "page_size",
        }
    page = client.get("/api/v1/history/", {"page_size": 1})
    assert page.status_code == 200
    assert 'rel="next"' in page["Link"] and page.json()["next"] in page["Link"]
