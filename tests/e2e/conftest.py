"""Browser journeys: Playwright drives Debian's Chromium against a live server on the test database."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-pass-2026"

# Playwright's sync API keeps an event loop in the test thread; Django would then refuse the test's own
# (synchronous) database calls. The server runs in its own thread, untouched by this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _plain_http_live_server() -> None:
    """The live server is started once per session, with the middleware reading its settings then; it
    speaks plain HTTP on localhost, so HTTPS redirects, HSTS and secure-only cookies are off for it."""
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Browsers refuse the __Host- cookie names of production over plain HTTP.
    settings.SESSION_COOKIE_NAME = "sessionid"
    settings.CSRF_COOKIE_NAME = "csrftoken"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


_plain_http_live_server()


def pytest_collection_modifyitems(config, items):
    missing = [str(path) for path in (CHROMIUM, AXE) if not path.exists()]
    for item in items:
        if "e2e" in item.nodeid:
            item.add_marker(pytest.mark.browser)
            if missing and not os.environ.get("CI"):
                # On a developer machine without the browser; CI installs it and must run these.
                item.add_marker(pytest.mark.skip(reason=f"missing {', '.join(missing)}: run `make e2e-deps`"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db):
    call_command("loaddemo", "--force", "--password", DEMO_PASSWORD, stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def new_page(browser, live_server, demo, request):
    """A factory of pages, each in its own browser context (its own cookies: one user each)."""
    contexts = []

    def make(username: str | None = None):
        # bypass_csp only lets the test inject axe-core; the pages themselves are served with their CSP.
        context = browser.new_context(
            base_url=live_server.url, bypass_csp=True, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        if username:
            login(page, username)
        return page

    yield make
    for context in contexts:
        context.close()


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def serious_accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def check_page(page, name: str) -> None:
    """Every page of a journey: a screenshot as artefact, and no serious accessibility violation."""
    screenshot(page, name)
    assert serious_accessibility_violations(page) == [], name
