"""用户激活 (manual §2.1) and 忘记密码: SMS code + authorisation code + name and ID number; reset by SMS code."""
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.auth import services
from app.auth.models import User
from app.auth.passwords import POLICY_MESSAGE, verify_password
from app.events.models import OperationLog
from app.extensions import db
from app.sms.models import SmsCode, SmsMessage
from app.timeutil import utcnow
from conftest import count, sent_sms
from test_auth import attempt_login, valid_id

NEW_PASSWORD = "Newpass123"
ACTIVATION_SENT = "如该手机号码有待激活的账号，短信验证码已发送，5分钟内有效"
RESET_SENT = "如用户名与手机号码相符，短信验证码已发送至该手机，5分钟内有效"


@pytest.fixture
def pending(demo):
    """An account the 安全员 has just opened, with the authorisation code read from the outbox."""
    user = services.create_account(demo.users["security_officer"], name="刘新", id_number=valid_id(7),
                                   phone="13912345678", org=demo.orgs["branch1"], role="branch_admin")
    db.session.commit()
    code = re.search(r"授权码为([A-Z0-9]{8})", last_text(user.phone)).group(1)
    return SimpleNamespace(user=user, auth_code=code, phone=user.phone, name=user.name, id_number=user.username)


# Words that tell the texts of each purpose apart.
_PURPOSE_WORDS = {None: "", "activate": "激活验证码", "reset": "找回登录密码", "auth_code": "授权码为"}


def last_text(phone: str, purpose: str | None = None) -> str | None:
    """The latest SMS text of ``purpose`` delivered to ``phone`` (read where the phone's owner reads it)."""
    return sent_sms(phone, _PURPOSE_WORDS[purpose])


def sms_code(phone: str, purpose: str) -> str:
    """The 6-digit code of the latest message of ``purpose`` sent to ``phone``."""
    text = last_text(phone, purpose)
    assert text is not None, f"no {purpose} SMS to {phone}"
    return re.search(r"验证码为(\d{6})，5分钟内有效", text).group(1)


def ask_code(client, auth, url: str, captcha: str | None = None, **fields):
    """Press 获取验证码 on ``url`` with the image captcha answered (or ``captcha`` given)."""
    client.get("/auth/captcha.png")
    answer = client.get("/auth/captcha/test-answer").get_json()["answer"]
    return auth.post(url, {**fields, "captcha": answer if captcha is None else captcha, "send_code": "获取验证码"})


def activation(p, **overrides) -> dict:
    """The 激活 form filled in rightly for pending account ``p`` (SMS code from the outbox), with ``overrides``."""
    data = {"phone": p.phone, "auth_code": p.auth_code, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
            "name": p.name, "id_number": p.id_number, "submit": "激活"}
    if "sms_code" not in overrides:
        data["sms_code"] = sms_code(p.phone, "activate")
    return {**data, **overrides}


def error_beside(html: str, field: str) -> str:
    """The error messages shown beside ``field``."""
    return " ".join(re.findall(rf'<div class="error" data-field="{field}">([^<]*)</div>', html))


@pytest.fixture
def asked(client, auth, pending):
    """The pending account's holder has pressed 获取验证码."""
    response = ask_code(client, auth, "/auth/activate", phone=pending.phone)
    assert response.status_code == 200
    return pending


# --- activation -----------------------------------------------------------------------------------

def test_activation_page_has_the_manual_fields(client):
    html = client.get("/auth/activate").get_data(as_text=True)
    for label in ("手机号码", "短信验证码", "获取验证码", "授权码", "管理员密码", "确认密码", "姓名", "身份证号",
                  "激活", "已有账号，登录"):
        assert label in html


def test_activation_succeeds(client, auth, pending):
    response = ask_code(client, auth, "/auth/activate", phone=pending.phone)
    html = response.get_data(as_text=True)
    assert ACTIVATION_SENT in html and f'value="{pending.phone}"' in html
    assert "激活验证码为" in last_text(pending.phone, "activate")

    response = auth.post("/auth/activate", activation(pending, auth_code=pending.auth_code.lower()))
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert "账号激活成功" in client.get("/auth/login").get_data(as_text=True)

    user = db.session.get(User, pending.user.id)
    db.session.refresh(user)
    assert user.activated and verify_password(user.password_hash, NEW_PASSWORD)
    assert user.auth_code_hash is None and user.auth_code_expires is None
    assert db.session.scalar(sa.select(SmsCode.used_at).where(SmsCode.phone == pending.phone)) is not None
    assert count(OperationLog, OperationLog.action == "account.activate", OperationLog.target == user.username) == 1
    assert attempt_login(client, user.username, NEW_PASSWORD).status_code == 302


def test_code_request_answers_alike_whether_or_not_an_account_waits(client, auth, demo, pending):
    for phone in ("13700000000", demo.users["branch_admin"].phone):  # no account; an activated account
        html = ask_code(client, auth, "/auth/activate", phone=phone).get_data(as_text=True)
        assert ACTIVATION_SENT in html
        assert last_text(phone) is None
        # The throttle row exists all the same, so a second request is refused alike too.
        assert count(SmsCode, SmsCode.phone == phone) == 1


def test_code_request_needs_the_image_captcha(client, auth, pending):
    html = ask_code(client, auth, "/auth/activate", captcha="0000", phone=pending.phone).get_data(as_text=True)
    assert "验证码错误，请重新输入" in error_beside(html, "captcha")
    html = ask_code(client, auth, "/auth/activate", captcha="", phone=pending.phone).get_data(as_text=True)
    assert "请输入图片中的验证码" in error_beside(html, "captcha")
    assert count(SmsCode) == 0


def test_code_request_needs_a_valid_phone(client, auth, pending):
    response = ask_code(client, auth, "/auth/activate", phone="1391234")
    assert response.status_code == 422
    assert "请输入11位手机号码" in error_beside(response.get_data(as_text=True), "phone")
    assert count(SmsCode) == 0


def test_codes_cannot_be_resent_within_a_minute(client, auth, asked):
    html = ask_code(client, auth, "/auth/activate", phone=asked.phone).get_data(as_text=True)
    assert re.search(r"验证码发送过于频繁，请\d+秒后再试", error_beside(html, "sms_code"))
    assert count(SmsMessage, SmsMessage.purpose == "activate") == 1
    # A minute later another code is sent, and the first one no longer counts.
    first = sms_code(asked.phone, "activate")
    db.session.execute(sa.update(SmsCode).values(created_at=utcnow() - timedelta(seconds=61)))
    db.session.commit()
    assert ACTIVATION_SENT in ask_code(client, auth, "/auth/activate", phone=asked.phone).get_data(as_text=True)
    second = sms_code(asked.phone, "activate")
    if first != second:
        html = auth.post("/auth/activate", activation(asked, sms_code=first)).get_data(as_text=True)
        assert "短信验证码错误" in error_beside(html, "sms_code")


def test_wrong_sms_code(client, auth, asked):
    right = sms_code(asked.phone, "activate")
    wrong = "000000" if right != "000000" else "111111"
    response = auth.post("/auth/activate", activation(asked, sms_code=wrong))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "短信验证码错误（还可尝试4次）" in error_beside(html, "sms_code")
    # The input is kept (passwords excepted, as browsers expect).
    assert f'value="{asked.name}"' in html and f'value="{asked.id_number}"' in html
    assert f'value="{asked.auth_code}"' in html
    assert not db.session.get(User, asked.user.id).activated


def test_sms_code_is_void_after_five_wrong_entries(client, auth, asked):
    right = sms_code(asked.phone, "activate")
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        auth.post("/auth/activate", activation(asked, sms_code=wrong))
    html = auth.post("/auth/activate", activation(asked)).get_data(as_text=True)
    assert "短信验证码错误次数过多，请重新获取" in error_beside(html, "sms_code")


def test_expired_sms_code(client, auth, asked):
    db.session.execute(sa.update(SmsCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    html = auth.post("/auth/activate", activation(asked)).get_data(as_text=True)
    assert "短信验证码已过期，请重新获取" in error_beside(html, "sms_code")


def test_sms_code_without_asking(client, auth, pending):
    html = auth.post("/auth/activate", activation(pending, sms_code="123456")).get_data(as_text=True)
    assert "请先获取短信验证码" in error_beside(html, "sms_code")


def test_expired_authorisation_code(client, auth, asked):
    asked.user.auth_code_expires = utcnow() - timedelta(minutes=1)
    db.session.commit()
    html = auth.post("/auth/activate", activation(asked)).get_data(as_text=True)
    assert "授权码已过期，请联系安全员重新发放" in error_beside(html, "auth_code")
    assert not db.session.get(User, asked.user.id).activated


def test_wrong_authorisation_code_five_times_voids_it(client, auth, asked):
    for left in (4, 3, 2, 1):
        html = auth.post("/auth/activate", activation(asked, auth_code="ABCDEFGH")).get_data(as_text=True)
        assert f"授权码错误（还可尝试{left}次）" in error_beside(html, "auth_code")
    html = auth.post("/auth/activate", activation(asked, auth_code="ABCDEFGH")).get_data(as_text=True)
    assert "授权码已作废，请联系安全员重新发放" in error_beside(html, "auth_code")
    # Even the right code no longer opens the account.
    html = auth.post("/auth/activate", activation(asked)).get_data(as_text=True)
    assert "授权码已作废，请联系安全员重新发放" in error_beside(html, "auth_code")
    user = db.session.get(User, asked.user.id)
    db.session.refresh(user)
    assert not user.activated and user.auth_code_hash is None
    assert count(OperationLog, OperationLog.action == "activation.failed", OperationLog.target == user.username) == 4
    assert count(OperationLog, OperationLog.action == "activation.code_voided",
                 OperationLog.target == user.username) == 1


def test_mismatched_name(client, auth, asked):
    html = auth.post("/auth/activate", activation(asked, name="刘旧")).get_data(as_text=True)
    assert "姓名与安全员开通的账号信息不符（还可尝试4次）" in error_beside(html, "name")
    assert 'value="刘旧"' in html


def test_mismatched_id_number(client, auth, asked):
    html = auth.post("/auth/activate", activation(asked, id_number=valid_id(8))).get_data(as_text=True)
    assert "身份证号与安全员开通的账号信息不符" in error_beside(html, "id_number")


def test_invalid_id_number_is_refused_by_the_form(client, auth, asked):
    html = auth.post("/auth/activate", activation(asked, id_number="110101198501010")).get_data(as_text=True)
    assert "18位" in error_beside(html, "id_number")


def test_already_activated_account(client, auth, demo):
    # An activated account gets no activation SMS, so a code for its phone never matches.
    user = demo.users["branch_admin"]
    ask_code(client, auth, "/auth/activate", phone=user.phone)
    html = auth.post("/auth/activate", {"phone": user.phone, "sms_code": "123456", "auth_code": "ABCDEFGH",
                                        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "name": user.name,
                                        "id_number": user.username, "submit": "激活"}).get_data(as_text=True)
    assert "短信验证码错误" in error_beside(html, "sms_code")


@pytest.mark.parametrize("password, confirm, field, message", [
    ("abc", "abc", "password", POLICY_MESSAGE),
    ("abcdefgh1", "abcdefgh1", "password", POLICY_MESSAGE),
    (NEW_PASSWORD, NEW_PASSWORD + "x", "confirm", "两次输入的密码不一致"),
    ("", "", "password", "请输入密码"),
])
def test_password_rules_on_activation(client, auth, asked, password, confirm, field, message):
    response = auth.post("/auth/activate", activation(asked, password=password, confirm=confirm))
    assert response.status_code == 422
    assert message in error_beside(response.get_data(as_text=True), field)
    assert not db.session.get(User, asked.user.id).activated


def test_activated_account_cannot_be_activated_again(client, auth, asked):
    assert auth.post("/auth/activate", activation(asked)).status_code == 302
    db.session.execute(sa.update(SmsCode).values(created_at=utcnow() - timedelta(seconds=61)))
    db.session.commit()
    # No new activation SMS goes to the phone of an account already active.
    ask_code(client, auth, "/auth/activate", phone=asked.phone)
    assert count(SmsMessage, SmsMessage.purpose == "activate") == 1


# --- forgotten password ---------------------------------------------------------------------------

def reset(user, **overrides) -> dict:
    data = {"username": user.username, "phone": user.phone, "sms_code": sms_code(user.phone, "reset"),
            "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "submit": "重置密码"}
    return {**data, **overrides}


def test_forgot_password_page(client):
    html = client.get("/auth/forgot").get_data(as_text=True)
    for label in ("用户名", "手机号码", "短信验证码", "获取验证码", "新密码", "确认密码", "重置密码"):
        assert label in html


def test_forgot_password_resets_and_lifts_the_lock(client, auth, demo):
    user = demo.users["branch_admin"]
    user.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    html = ask_code(client, auth, "/auth/forgot", username=user.username, phone=user.phone).get_data(as_text=True)
    assert RESET_SENT in html
    assert "找回登录密码" in last_text(user.phone, "reset")

    response = auth.post("/auth/forgot", reset(user))
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert "密码已重置" in client.get("/auth/login").get_data(as_text=True)
    assert count(OperationLog, OperationLog.action == "account.password_reset",
                 OperationLog.target == user.username) == 1
    assert attempt_login(client, user.username, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("case", ["wrong phone", "unknown user", "not activated"])
def test_forgot_password_answers_alike_and_sends_nothing(client, auth, demo, pending, case):
    user = demo.users["branch_admin"]
    username, phone = {
        "wrong phone": (user.username, "13711112222"),
        "unknown user": (valid_id(9), user.phone),
        "not activated": (pending.id_number, pending.phone),  # reset must not bypass the authorisation code
    }[case]
    html = ask_code(client, auth, "/auth/forgot", username=username, phone=phone).get_data(as_text=True)
    assert RESET_SENT in html
    assert last_text(phone, "reset") is None


def test_forgot_password_wrong_sms_code(client, auth, demo):
    user = demo.users["branch_admin"]
    ask_code(client, auth, "/auth/forgot", username=user.username, phone=user.phone)
    right = sms_code(user.phone, "reset")
    response = auth.post("/auth/forgot", reset(user, sms_code="000000" if right != "000000" else "111111"))
    assert response.status_code == 422
    assert "短信验证码错误" in error_beside(response.get_data(as_text=True), "sms_code")
    assert f'value="{user.username}"' in response.get_data(as_text=True)


def test_forgot_password_code_is_bound_to_the_account(client, auth, demo):
    # A code sent for one account does not reset another account with a different phone.
    user, other = demo.users["branch_admin"], demo.users["county_admin"]
    ask_code(client, auth, "/auth/forgot", username=user.username, phone=user.phone)
    html = auth.post("/auth/forgot", reset(user, username=other.username)).get_data(as_text=True)
    assert "用户名与手机号码不匹配" in error_beside(html, "username")


def test_forgot_password_policy(client, auth, demo):
    user = demo.users["branch_admin"]
    ask_code(client, auth, "/auth/forgot", username=user.username, phone=user.phone)
    html = auth.post("/auth/forgot", reset(user, password="weak", confirm="weak")).get_data(as_text=True)
    assert POLICY_MESSAGE in error_beside(html, "password")
