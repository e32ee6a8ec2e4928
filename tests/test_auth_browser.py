"""In headless Chromium: the 安全员 opens an account, and its holder activates it on the real 用户激活 page."""
import os
import re
import shutil

import pytest

from conftest import browser_login, sent_sms
from test_auth import valid_id

pytestmark = pytest.mark.browser

PHONE = "13912345678"


_PURPOSE_WORDS = {"auth_code": "授权码为", "activate": "激活验证码", "reset": "找回登录密码"}


def last_text(server, purpose: str) -> str:
    """The latest SMS of ``purpose`` delivered to PHONE (the live server runs in this process, with the tests'
    capturing sender)."""
    text = sent_sms(PHONE, _PURPOSE_WORDS[purpose])
    assert text, f"no {purpose} message"
    return text


def captcha_answer(page, server) -> str:
    page.wait_for_function("() => { const i = document.getElementById('captcha-img');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    return page.request.get(server("/auth/captcha/test-answer")).json()["answer"]


def test_open_an_account_and_activate_it(live_server, browser_page, tmp_path):
    page, server = browser_page, live_server
    browser_login(page, server, server.accounts["security_officer"])
    page.click("nav.sidebar a[data-menu=accounts]")
    page.click("text=开通账号")
    page.fill("#name", "刘新")
    page.fill("#id_number", valid_id(3))
    page.fill("#phone", PHONE)
    branch = page.eval_on_selector("#org_id", "s => [...s.options].find(o => o.textContent.includes('前村支部')).value")
    page.select_option("#org_id", branch)
    # Only the roles that fit a 党支部 are offered.
    offered = page.eval_on_selector_all("#role option:not([hidden])", "os => os.map(o => o.textContent)")
    assert "党支部管理员" in offered and "县级组织部门管理员" not in offered
    page.select_option("#role", "branch_admin")
    with page.expect_navigation():
        page.click("#submit")
    assert "授权码已通过短信发送" in page.inner_text("main")
    auth_code = re.search(r"授权码为([A-Z0-9]{8})", last_text(server, "auth_code")).group(1)
    with page.expect_navigation():
        page.click("header button:has-text('退出')")

    page.click("text=立即激活")
    assert page.url.endswith("/auth/activate")
    page.fill("#phone", PHONE)
    page.fill("#captcha", captcha_answer(page, server))
    with page.expect_navigation():
        page.click("#send_code")
    assert "短信验证码已发送" in page.inner_text("main")
    # The button counts down before another code may be asked for.
    assert page.is_disabled("#send_code") and "秒后重新获取" in page.input_value("#send_code")
    sms_code = re.search(r"验证码为(\d{6})", last_text(server, "activate")).group(1)
    page.fill("#sms_code", sms_code)
    page.fill("#auth_code", auth_code)
    page.fill("#password", "Newpass123")
    page.fill("#confirm", "Newpass123")
    page.fill("#name", "刘新")
    page.fill("#id_number", valid_id(3))
    with page.expect_navigation():
        page.press("#id_number", "Enter")  # Enter activates; it must not ask for another SMS code
    assert page.url.endswith("/auth/login")
    assert "账号激活成功" in page.inner_text("main")

    shot = tmp_path / "activated.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("BROWSER_SCREENSHOTS"):
        os.makedirs(os.environ["BROWSER_SCREENSHOTS"], exist_ok=True)
        shutil.copy(shot, os.environ["BROWSER_SCREENSHOTS"])
    browser_login(page, server, valid_id(3), password="Newpass123")
    assert "/auth/login" not in page.url
    assert page.js_errors == []
