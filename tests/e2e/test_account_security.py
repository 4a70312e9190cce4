"""Browser journeys of account security: a second factor set up and used, the API docs under the real CSP."""

import re
import time

import pytest
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from solidarity.accounts.models import User
from tests.e2e.conftest import check_page, login

pytestmark = pytest.mark.django_db(transaction=True)


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step + device.drift
    return str(hotp(device.bin_key, max(now_t, device.last_t + 1), digits=device.digits)).zfill(device.digits)


def test_an_official_sets_up_a_second_factor_and_logs_in_with_it(new_page, live_server):
    page = new_page("be_official")
    page.get_by_role("link", name="Two-factor authentication").click()
    page.wait_for_load_state()
    check_page(page, "two-factor-off")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    page.wait_for_load_state()
    assert page.get_by_role("img", name="QR code to scan with an authenticator app").is_visible()
    check_page(page, "two-factor-set-up")
    secret = re.sub(r"\s", "", page.locator("figcaption code").inner_text())
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    device = TOTPDevice.objects.get(user=User.objects.get(username="be_official"), confirmed=False)
    page.get_by_role("textbox", name="Code").fill(current_code(device))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.wait_for_load_state()
    assert "Two-factor authentication is on" in page.content()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    login(page, "be_official")
    assert "/accounts/two-factor/verify/" in page.url
    check_page(page, "two-factor-code")
    page.get_by_role("textbox", name="Code").fill("000000" if current_code(device) != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    assert "This code is not right" in page.content()
    time.sleep(1.1)  # the throttle after one wrong code
    page.get_by_role("textbox", name="Code").fill(current_code(device))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("link", name="API token").is_visible()


def test_an_official_creates_an_api_token_and_sees_it_once(new_page):
    page = new_page("be_official")
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_load_state()
    page.get_by_role("textbox", name="Name").fill("Nightly export")
    page.get_by_role("button", name="Create a token").click()
    page.wait_for_load_state()
    key = page.locator("#new-token").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert page.get_by_role("cell", name="Nightly export", exact=True).is_visible()
    check_page(page, "api-token-created")
    page.reload()
    assert key not in page.content()


def test_the_api_docs_render_under_the_enforced_csp(browser, live_server, demo):
    """A context without bypass_csp: the page's own CSP applies, and Swagger UI still renders."""
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        violations = []
        page.on(
            "console",
            lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
        )
        login(page, "be_official")
        response = page.goto("/api/docs/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.locator(".swagger-ui .info .title").wait_for(timeout=15000)
        assert "Solidarity registry API" in page.locator(".swagger-ui .info .title").inner_text()
        page.locator(".opblock").first.wait_for(timeout=15000)
        assert page.locator(".opblock").count() > 3  # the operations of the schema, rendered by the script
        assert violations == []
    finally:
        context.close()
