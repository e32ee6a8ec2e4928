"""Sign-in against scripts: the captcha is kept on the server and used once; sessions end on the server (logout,
new password, disabling, new role) and are renewed at login; the 安全员 never reads a code and cannot take over an
account through 忘记密码; rate limits per address and per account on the sign-in endpoints."""
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.api.models import ApiToken
from app.auth import services
from app.auth.limits import limiter
from app.auth.models import CaptchaChallenge, User
from app.auth.services import LOGIN_FAILED
from app.events.models import OperationLog
from app.extensions import db
from app.seed import DEMO_PASSWORD
from app.sms.models import SmsMessage
from app.timeutil import utcnow
from conftest import csrf_token, login, sent_sms
from test_auth import attempt_login
from test_auth_activation import NEW_PASSWORD, RESET_SENT, ask_code, error_beside, reset


def session_data(app, client) -> dict:
    """The decoded contents of the client's (signed, not encrypted) session cookie."""
    cookie = client.get_cookie("session")
    interface = getattr(app.session_interface, "inner", app.session_interface)  # the API wraps the cookie one
    return interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}


def post_login(client, token, username, password, answer):
    return client.post("/auth/login", data={"csrf_token": token, "username": username, "password": password,
                                            "captcha": answer})


# --- captcha ----------------------------------------------------------------------------------------------------

def test_the_cookie_holds_no_captcha_answer(app, client):
    client.get("/auth/captcha.png")
    answer = client.get("/auth/captcha/test-answer").get_json()["answer"]
    data = session_data(app, client)
    assert answer not in json.dumps(data) and "captcha" not in data
    assert db.session.get(CaptchaChallenge, data["captcha_id"]).answer == answer


def test_a_used_captcha_cannot_be_replayed_with_its_cookie(app, client, demo):
    user = demo.users["branch_admin"]
    token = csrf_token(client)
    client.get("/auth/captcha.png")
    answer = client.get("/auth/captcha/test-answer").get_json()["answer"]
    replayed = client.get_cookie("session").value
    assert post_login(client, token, user.username, DEMO_PASSWORD, answer).status_code == 302

    # The same cookie and answer again, even with the right password: refused, nothing logged in.
    replay = app.test_client()
    replay.set_cookie("session", replayed)
    response = post_login(replay, token, user.username, DEMO_PASSWORD, answer)
    assert response.status_code == 200 and "验证码错误" in response.get_data(as_text=True)
    assert logged_out(replay)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaptchaChallenge)) == 0


def test_a_wrong_answer_spends_the_captcha_too(client, demo):
    user = demo.users["branch_admin"]
    token = csrf_token(client)
    client.get("/auth/captcha.png")
    answer = client.get("/auth/captcha/test-answer").get_json()["answer"]
    post_login(client, token, user.username, DEMO_PASSWORD, "0000")
    response = post_login(client, token, user.username, DEMO_PASSWORD, answer)
    assert response.status_code == 200 and "验证码错误" in response.get_data(as_text=True)


def test_an_expired_captcha_is_refused(app, client, demo):
    token = csrf_token(client)
    client.get("/auth/captcha.png")
    answer = client.get("/auth/captcha/test-answer").get_json()["answer"]
    challenge = db.session.get(CaptchaChallenge, session_data(app, client)["captcha_id"])
    challenge.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = post_login(client, token, demo.users["branch_admin"].username, DEMO_PASSWORD, answer)
    assert response.status_code == 200 and "验证码错误" in response.get_data(as_text=True)


def test_captchas_expire_after_five_minutes_and_are_swept(app, client):
    client.get("/auth/captcha.png")
    challenge = db.session.scalar(sa.select(CaptchaChallenge))
    assert timedelta(minutes=4, seconds=50) < challenge.expires_at - utcnow() <= timedelta(minutes=5)
    challenge.expires_at = utcnow() - timedelta(seconds=1)
    expired = challenge.id
    db.session.commit()
    app.test_client().get("/auth/captcha.png")
    db.session.expire_all()
    assert db.session.get(CaptchaChallenge, expired) is None


# --- sessions ----------------------------------------------------------------------------------------------------

@pytest.fixture
def two_sessions(app, demo):
    """The branch admin logged in on two clients (two browsers)."""
    user = demo.users["branch_admin"]
    first, second = app.test_client(), app.test_client()
    login(first, user)
    login(second, user)
    assert not logged_out(first) and not logged_out(second)
    return user, first, second


def logged_out(client) -> bool:
    """True if the client's session no longer opens a page that needs a login."""
    response = client.get("/inbox/")
    assert response.status_code in (200, 302)
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_logout_ends_every_session_of_the_account(app, two_sessions):
    user, first, second = two_sessions
    kept = first.get_cookie("session").value
    first.post("/auth/logout", data={"csrf_token": csrf_token(first, "/inbox/")})
    assert logged_out(first) and logged_out(second)
    replay = app.test_client()
    replay.set_cookie("session", kept)
    assert logged_out(replay)


def test_password_reset_ends_sessions_and_api_tokens(app, client, auth, two_sessions):
    user, first, second = two_sessions
    token = client.post("/api/v1/auth/token", json={"username": user.username, "password": DEMO_PASSWORD})
    bearer = {"Authorization": "Bearer " + token.get_json()["token"]}
    ask_code(client, auth, "/auth/forgot", username=user.username, phone=user.phone)
    assert auth.post("/auth/forgot", reset(user)).status_code == 302
    assert logged_out(first) and logged_out(second)
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_a_password_set_by_the_operator_ends_sessions(app, two_sessions):
    user, first, second = two_sessions
    services.set_password(db.session.get(User, user.id), "Other12345")
    db.session.commit()
    assert logged_out(first) and logged_out(second)


def test_disabling_ends_sessions_and_enabling_does_not_revive_them(app, auth, demo, two_sessions):
    user, first, second = two_sessions
    kept = first.get_cookie("session").value
    auth.login(demo.users["security_officer"])
    auth.post(f"/auth/accounts/{user.id}/disable")
    assert logged_out(first) and logged_out(second)
    auth.post(f"/auth/accounts/{user.id}/enable")
    assert db.session.get(User, user.id).is_active
    replay = app.test_client()
    replay.set_cookie("session", kept)
    assert logged_out(replay)


@pytest.mark.parametrize("change", ["role", "org"])
def test_a_new_role_or_organisation_ends_sessions(app, demo, two_sessions, change):
    user, first, second = two_sessions
    account = db.session.get(User, user.id)
    if change == "role":
        account.role = "committee_admin"
    else:
        account.org_id = demo.orgs["branch2"].id
    db.session.commit()
    assert logged_out(first) and logged_out(second)
    login(first, account)  # a fresh login works with the new rights
    assert not logged_out(first)


def test_login_renews_the_session_and_its_csrf_token(app, client, demo):
    before = csrf_token(client)
    pre_login = session_data(app, client)
    assert pre_login["csrf_token"]
    login(client, demo.users["branch_admin"])
    after = session_data(app, client)
    assert after["_user_id"].startswith(f"{demo.users['branch_admin'].id}:")
    assert after.get("csrf_token") != pre_login["csrf_token"]
    assert csrf_token(client, "/inbox/") != before
    # The token of the pre-login page no longer passes.
    response = client.post("/auth/logout", data={"csrf_token": before})
    assert response.status_code == 400


# --- SMS: no code for the 安全员 ------------------------------------------------------------------------------

def test_the_security_officer_cannot_take_over_the_county_admin_through_forgot_password(app, client, auth, demo):
    victim = demo.users["county_admin"]
    auth.login(demo.users["security_officer"])
    accounts = client.get("/auth/accounts").get_data(as_text=True)
    assert victim.phone in accounts  # the officer knows the victim's login name and phone

    html = ask_code(client, auth, "/auth/forgot", username=victim.username, phone=victim.phone).get_data(as_text=True)
    assert RESET_SENT in html
    code = re.search(r"验证码为(\d{6})", sent_sms(victim.phone)).group(1)  # on the victim's phone only

    outbox = client.get("/sms/outbox").get_data(as_text=True)
    assert victim.phone in outbox and "找回密码验证码" in outbox
    operations = client.get("/audit/operations").get_data(as_text=True)
    for page in (outbox, operations):
        assert code not in page
    for text in db.session.scalars(sa.select(SmsMessage.text)):
        assert code not in text
    for detail in db.session.scalars(sa.select(OperationLog.detail)):
        assert code not in json.dumps(detail)

    # Guessing is over after five tries; the victim's password still works and nothing was reset.
    for guess in range(6):
        wrong = f"{(int(code) + 1 + guess) % 10 ** 6:06d}"
        response = auth.post("/auth/forgot", reset(victim, sms_code=wrong))
        assert response.status_code == 422
    assert "错误次数过多" in error_beside(auth.post("/auth/forgot", reset(victim, sms_code=code)).get_data(
        as_text=True), "sms_code")
    assert attempt_login(app.test_client(), victim.username, DEMO_PASSWORD).status_code == 302
    assert attempt_login(app.test_client(), victim.username, NEW_PASSWORD).status_code == 200


def test_a_locked_owner_unlocks_through_forgot_password(app, client, auth, demo):
    user = demo.users["branch_admin"]
    for _ in range(5):
        attempt_login(app.test_client(), user.username, "Wrong12345")
    assert LOGIN_FAILED in attempt_login(app.test_client(), user.username, DEMO_PASSWORD).get_data(as_text=True)
    ask_code(client, auth, "/auth/forgot", username=user.username, phone=user.phone)
    assert auth.post("/auth/forgot", reset(user)).status_code == 302
    assert attempt_login(app.test_client(), user.username, NEW_PASSWORD).status_code == 302


# --- rate limits ----------------------------------------------------------------------------------------------

@pytest.fixture
def limits(app, monkeypatch):
    """The rate limits switched on for this app (fresh in-memory counters), with small numbers."""
    for key, value in {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT_PER_IP": "6 per minute",
                       "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute", "CODE_LIMIT_PER_IP": "4 per minute",
                       "CODE_LIMIT_PER_ACCOUNT": "2 per minute", "CAPTCHA_LIMIT_PER_IP": "100 per minute"}.items():
        monkeypatch.setitem(app.config, key, value)
    limiter.init_app(app)
    yield app.config
    limiter.enabled = False


def token_request(client, username, address="10.0.0.1"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": "Wrong12345"},
                       environ_base={"REMOTE_ADDR": address})


def test_one_account_is_limited_across_addresses_and_across_page_and_api(app, client, demo, limits):
    user = demo.users["branch_admin"]
    assert attempt_login(client, user.username, "Wrong12345").status_code == 200
    assert token_request(client, user.username, "10.0.0.2").status_code == 401
    assert token_request(client, user.username, "10.0.0.3").status_code == 401
    refused = token_request(client, user.username, "10.0.0.4")
    assert refused.status_code == 429 and refused.get_json() == {"error": "操作过于频繁，请稍后再试"}
    assert attempt_login(client, user.username, DEMO_PASSWORD).status_code == 429
    # Another account from the same addresses is not held up by this one.
    assert token_request(client, demo.users["county_admin"].username, "10.0.0.4").status_code == 401


def test_one_address_is_limited_across_accounts(app, client, demo, limits):
    names = [u.username for u in demo.users.values()][:7]
    answers = [token_request(client, name).status_code for name in names]
    assert answers == [401] * 6 + [429]
    assert token_request(client, names[0], "10.0.0.9").status_code == 401


def test_an_address_cannot_lock_many_accounts(app, client, demo, monkeypatch):
    # Defaults: 20 attempts a minute per address, so one address locks at most four accounts a minute.
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    try:
        names = sorted({u.username for u in demo.users.values()})
        answers = [token_request(client, name).status_code for name in names for _ in range(5)]
    finally:
        limiter.enabled = False
    assert answers[:20] == [401] * 20 and set(answers[20:]) == {429}
    locked = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.locked_until.is_not(None)))
    assert locked == 4


def test_sms_code_requests_are_limited_per_phone_and_per_address(app, client, auth, demo, limits):
    user = demo.users["branch_admin"]
    statuses = [ask_code(client, auth, "/auth/forgot", username=user.username, phone=user.phone).status_code
                for _ in range(3)]
    assert statuses[2] == 429
    other = demo.users["county_admin"]
    assert ask_code(client, auth, "/auth/forgot", username=other.username, phone=other.phone).status_code == 200
    # Four a minute per address (the refusal above counted only against the phone).
    assert [ask_code(client, auth, "/auth/activate", phone="13700000000").status_code for _ in range(2)] == [200, 429]
    assert client.get("/auth/forgot").status_code == 200  # pages themselves are not limited


def test_the_api_token_endpoint_documents_429(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "429" in spec["paths"]["/auth/token"]["post"]["responses"]


def test_tokens_issued_count_nothing_against_other_users(app, client, demo, limits):
    response = client.post("/api/v1/auth/token", json={"username": demo.users["branch_admin"].username,
                                                       "password": DEMO_PASSWORD})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1
