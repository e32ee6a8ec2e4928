"""Logging in through the real login page in headless Chromium: captcha, CSRF, and the role's sidebar menu."""
import os
import shutil

import pytest

from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def menu_labels(page) -> list[str]:
    return [label.strip() for label in page.locator("nav.sidebar a[data-menu]").all_inner_texts()]


def test_branch_admin_sees_own_menu(live_server, browser_page, tmp_path):
    page = browser_page
    browser_login(page, live_server, live_server.accounts["branch_admin"])

    assert "/auth/login" not in page.url
    labels = menu_labels(page)
    assert "待办事项" in labels and "发展流程" in labels, labels
    assert "流程设计" not in labels and "账号管理" not in labels and "组织管理" not in labels, labels
    assert page.locator("header .who").inner_text().count("党支部管理员") == 1

    # A screenshot for a human check that Chinese renders (fonts-noto-cjk); BROWSER_SCREENSHOTS=dir keeps a copy.
    shot = tmp_path / "branch_admin_menu.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5000
    if os.environ.get("BROWSER_SCREENSHOTS"):
        os.makedirs(os.environ["BROWSER_SCREENSHOTS"], exist_ok=True)
        shutil.copy(shot, os.environ["BROWSER_SCREENSHOTS"])
    assert page.js_errors == []


def test_designer_sees_process_designer(live_server, browser_page):
    page = browser_page
    browser_login(page, live_server, live_server.accounts["designer"])

    labels = menu_labels(page)
    assert "流程设计" in labels, labels
    assert "待办事项" not in labels, labels


def test_wrong_captcha_is_refused(live_server, browser_page):
    page = browser_page
    # "0" is not in the captcha alphabet, so this answer is always wrong.
    browser_login(page, live_server, live_server.accounts["branch_admin"], captcha="0000")

    assert "/auth/login" in page.url
    assert page.get_by_text("验证码错误").is_visible()
    assert page.locator("nav.sidebar").count() == 0
    # The refused attempt did not log in: a protected page still sends the browser to the login form.
    page.goto(live_server("/"))
    assert "/auth/login" in page.url


def test_wrong_password_is_refused(live_server, browser_page):
    page = browser_page
    browser_login(page, live_server, live_server.accounts["branch_admin"], password="Wrong-password1")

    assert "/auth/login" in page.url
    assert page.locator("nav.sidebar").count() == 0
    assert page.locator(".field .error").count() >= 1
