import pytest

from tests.e2e.conftest import check_page

pytestmark = pytest.mark.django_db(transaction=True)


def test_official_logs_in_and_reads_the_dashboard_and_fair_shares(new_page):
    page = new_page("be_official")
    assert page.get_by_role("heading", level=1).first.is_visible()
    check_page(page, "dashboard")
    page.get_by_role("link", name="Fair shares").first.click()
    page.wait_for_load_state()
    assert "21." in page.content()  # Germany's share, 21.66 %, is on the table
    check_page(page, "fair-shares")


def test_wrong_password_is_refused_with_a_message(new_page):
    from tests.e2e.conftest import login

    page = new_page()
    login(page, "be_official", "not-the-password")
    assert "/accounts/login/" in page.url
    check_page(page, "login-refused")
