"""Every error the application gives under /api/ is in the one JSON shape; the error pages need no static files."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import include, path

from solidarity.platform import error_views
from solidarity.urls import handler400, handler403, handler404, handler500  # noqa: F401 (this test's URLconf)
from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def _forbidden_page(request):
    raise PermissionDenied


def _failing_page(request):
    raise RuntimeError("secret-internal-detail")


urlpatterns = [
    path("forbidden/", _forbidden_page),
    path("api/v1/forbidden/", _forbidden_page),
    path("boom/", _failing_page),
    path("", include("solidarity.urls")),
]


def _one_shape(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["type"] == ("server_error" if status >= 500 else "client_error")
    assert [error["code"] for error in body["errors"]] == [code]
    assert set(body["errors"][0]) == {"code", "detail", "attr"}


@pytest.fixture
def anonymous():
    return Client(raise_request_exception=False)


def test_a_bad_host_header_is_a_400_in_the_one_shape_under_the_api(anonymous):
    _one_shape(anonymous.get("/api/v1/pledges/", headers={"host": "evil.example"}), 400, "disallowed_host")


def test_a_bad_host_header_is_the_registry_page_elsewhere(anonymous):
    response = anonymous.get("/accounts/login/", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "The request could not be read" in response.content.decode()


def test_an_over_long_address_is_a_414_in_the_one_shape_under_the_api(anonymous):
    _one_shape(anonymous.get("/api/v1/pledges/?q=" + "a" * 5000), 414, "uri_too_long")


def test_an_over_long_address_is_a_page_elsewhere(anonymous):
    response = anonymous.get("/accounts/login/?next=" + "a" * 5000)
    assert response.status_code == 414
    assert "The address is too long" in response.content.decode()


def test_a_body_larger_than_the_limit_is_a_413(coordinator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(coordinator).post("/api/v1/designations/", {"reason": "r" * 2000})
    _one_shape(response, 413, "too_large")


def test_an_unknown_method_is_a_405_in_the_one_shape(coordinator):
    _one_shape(api_as(coordinator).delete("/api/v1/member-states/"), 405, "method_not_allowed")


def test_an_unknown_address_is_a_404_in_the_one_shape(coordinator):
    _one_shape(api_as(coordinator).get("/api/v1/no-such-thing/"), 404, "not_found")


@pytest.mark.urls(__name__)
def test_django_s_permission_denied_is_a_403_in_the_one_shape_under_the_api(anonymous):
    _one_shape(anonymous.get("/api/v1/forbidden/"), 403, "permission_denied")
    assert "You may not do this" in anonymous.get("/forbidden/").content.decode()


def test_a_failed_csrf_check_is_a_403_in_the_one_shape_under_the_api():
    request = RequestFactory().post("/api/v1/designations/")
    _one_shape(error_views.csrf_failure(request, reason="CSRF cookie not set."), 403, "csrf_failed")


def test_a_failed_csrf_check_on_a_page_is_the_registry_page(coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    response = client.post("/pledges/new/", {"reason": "r"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_the_server_error_handler_answers_the_one_shape_under_the_api():
    _one_shape(error_views.server_error(RequestFactory().get("/api/v1/pledges/")), 500, "error")


# --- Error pages without collected static files ---------------------------------------------------------


@pytest.fixture
def no_collected_static(settings, tmp_path):
    """Production's storage, without a collectstatic run: ``{% static %}`` finds no manifest."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }


def test_without_collected_static_files_an_ordinary_page_would_fail(no_collected_static):
    with pytest.raises(ValueError, match="manifest"):
        render_to_string("base.html")


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "status", "text"),
    [
        ("/no-such-page/", 404, "Page not found"),
        ("/forbidden/", 403, "You may not do this"),
        ("/boom/", 500, "Something went wrong on our side"),
        ("/?cycle=%00", 400, "The request could not be read"),
        ("/?q=" + "a" * 5000, 414, "The address is too long"),
    ],
)
def test_error_pages_render_without_collected_static_files(no_collected_static, be_official, url, status, text):
    client = Client(raise_request_exception=False)
    client.force_login(be_official)
    response = client.get(url)
    assert response.status_code == status
    page = response.content.decode()
    assert text in page
    assert 'href="/static/css/registry.css"' in page
    assert "secret-internal-detail" not in page


def test_the_csrf_page_renders_without_collected_static_files(no_collected_static, coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    response = client.post("/pledges/new/", {"reason": "r"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


@pytest.mark.parametrize("url", ["/api/schema/?format=nope", "/api/v1/member-states/?format=nope"])
def test_an_unknown_format_is_a_404_in_the_one_json_shape(coordinator, url):
    _one_shape(api_as(coordinator).get(url), 404, "not_found")


def test_an_error_of_a_csv_export_is_json(coordinator):
    response = api_as(coordinator).get("/api/v1/pledges/?format=csv&cycle=x")
    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json()["type"] == "validation_error"


@pytest.mark.parametrize(
    "url", ["/accounts/login/?next=" + "a" * 5000, "/accounts/login/?next=%00", "/api/v1/?q=" + "a" * 5000]
)
def test_a_refused_address_carries_the_security_headers(anonymous, url):
    response = anonymous.get(url)
    assert response.status_code in (400, 414)
    assert "Content-Security-Policy" in response.headers
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Request-ID"]
