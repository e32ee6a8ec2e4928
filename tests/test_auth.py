"""Login: password policy, the login page, lockout after five failures and its expiry, CSRF."""
import re
from datetime import timedelta

import pytest

from app.auth.models import User
from app.auth.passwords import POLICY_MESSAGE, password_problem
from app.auth.services import LOGIN_FAILED
from app.events.models import OperationLog
from app.extensions import db
from app.seed import DEMO_PASSWORD
from app.timeutil import utcnow
from conftest import count, csrf_token


def valid_id(serial: int, birth: str = "19850101") -> str:
    """A GB 11643-valid ID number (Beijing Dongcheng, the given birth date and serial)."""
    body = f"110101{birth}{serial:03d}"
    total = sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    return body + "10X98765432"[total % 11]


def attempt_login(client, username, password):
    """Post the login form once, answering the captcha; returns the response."""
    token = csrf_token(client)
    client.get("/auth/captcha.png")
    answer = client.get("/auth/captcha/test-answer").get_json()["answer"]
    return client.post("/auth/login", data={"csrf_token": token, "username": username,
                                            "password": password, "captcha": answer})


@pytest.mark.parametrize("password", ["Abcdefg1", "Demo12345", "aB3" + "x" * 15, "Pass_word9!"])
def test_password_policy_accepts(password):
    assert password_problem(password) is None


@pytest.mark.parametrize("password", [
    "Abcde1",            # too short
    "Abcdefg",           # 7 characters, no digit
    "aB3" + "x" * 16,    # 19 characters
    "abcdefg1",          # no upper case
    "ABCDEFG1",          # no lower case
    "Abcdefgh",          # no digit
    "Abcdef 12",         # a blank is not allowed
    "Abcdef12密码",       # non-ASCII
    "",
])
def test_password_policy_refuses(password):
    assert password_problem(password) == POLICY_MESSAGE


def test_login_page_links_to_activation_and_forgotten_password(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/activate"' in html and "立即激活" in html
    assert 'href="/auth/forgot"' in html and "忘记密码?" in html


def test_login_succeeds_and_is_logged(client, demo):
    user = demo.users["branch_admin"]
    response = attempt_login(client, user.username, DEMO_PASSWORD)
    assert response.status_code == 302
    assert count(OperationLog, OperationLog.action == "login", OperationLog.target == user.username) == 1


def test_wrong_captcha_is_refused(client, demo):
    token = csrf_token(client)
    client.get("/auth/captcha.png")
    response = client.post("/auth/login", data={"csrf_token": token, "username": demo.users["branch_admin"].username,
                                                "password": DEMO_PASSWORD, "captcha": "0000"})
    assert response.status_code == 200
    assert "验证码错误" in response.get_data(as_text=True)


def test_five_failures_lock_the_account_until_the_lock_expires(client, demo):
    user = demo.users["branch_admin"]
    for attempt in range(1, 6):
        html = attempt_login(client, user.username, "Wrong12345").get_data(as_text=True)
        assert LOGIN_FAILED in html
        db.session.refresh(user)
        assert user.failed_logins == attempt
    assert user.locked_until is not None and user.locked_until > utcnow()

    # Locked: even the right password is refused, with the same words.
    html = attempt_login(client, user.username, DEMO_PASSWORD).get_data(as_text=True)
    assert LOGIN_FAILED in html
    assert count(OperationLog, OperationLog.action == "login.locked", OperationLog.target == user.username) == 1

    # Fifteen minutes later (moved into the past) the right password works again.
    db.session.get(User, user.id).locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert attempt_login(client, user.username, DEMO_PASSWORD).status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_unknown_account_and_wrong_password_get_the_same_answer(client, demo):
    unknown = attempt_login(client, "110101199001011237", "Wrong12345")
    wrong = attempt_login(client, demo.users["branch_admin"].username, "Wrong12345")
    assert unknown.status_code == wrong.status_code == 200

    def errors(response):
        return re.findall(r'<div class="error"[^>]*>([^<]*)</div>', response.get_data(as_text=True))
    assert errors(unknown) == errors(wrong) == [LOGIN_FAILED]


@pytest.mark.parametrize("url", ["/auth/login", "/auth/activate", "/auth/forgot"])
def test_post_without_csrf_token_is_refused(client, demo, url):
    response = client.post(url, data={"username": demo.users["branch_admin"].username, "password": DEMO_PASSWORD,
                                      "phone": "13800000005", "send_code": "获取验证码"})
    assert response.status_code == 400
