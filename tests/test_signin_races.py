"""Sign-in under concurrency, with real threads on SQLite and PostgreSQL: parallel guesses of a password, an SMS
code or an authorisation code get at most five evaluations and then the account or code is locked; concurrent
failed logins leave the operations-log hash chain linear (``flask audit verify`` exits 0)."""
import sqlalchemy as sa

from app.auth.models import User
from app.auth.services import LOGIN_FAILED, MAX_FAILED_LOGINS
from app.events.models import OperationLog
from app.extensions import db
from app.seed import DEMO_PASSWORD
from app.sms.models import SmsCode
from conftest import csrf_token, run_together
from test_auth import attempt_login
from test_auth_activation import NEW_PASSWORD, activation, ask_code, error_beside, pending, reset  # noqa: F401

GUESSES = 20


def in_parallel(app, prepare, fire, n=GUESSES):
    """Run ``prepare(client, i)`` for n fresh clients one by one, then ``fire(client, i, prepared)`` in n threads
    released together; returns the responses in order."""
    clients = [app.test_client() for _ in range(n)]
    prepared = [prepare(client, i) for i, client in enumerate(clients)]
    db.session.commit()  # the test's own session holds nothing while the threads run
    results = run_together(n, lambda i: fire(clients[i], i, prepared[i]))
    assert not any(isinstance(r, Exception) or r is None for r in results), results
    return results


def login_form(client, i):
    """CSRF token and captcha answer of a fresh client, ready to post the login form."""
    token = csrf_token(client)
    client.get("/auth/captcha.png")
    return token, client.get("/auth/captcha/test-answer").get_json()["answer"]


def test_parallel_wrong_passwords_get_five_evaluations_then_the_account_is_locked(app, client, demo):
    user_id, username = demo.users["branch_admin"].id, demo.users["branch_admin"].username

    def fire(c, i, prepared):
        token, answer = prepared
        return c.post("/auth/login", data={"csrf_token": token, "username": username,
                                           "password": f"Wrong{i:05d}", "captcha": answer})
    responses = in_parallel(app, login_form, fire)

    assert all(r.status_code == 200 and LOGIN_FAILED in r.get_data(as_text=True) for r in responses)
    rows = db.session.scalars(sa.select(OperationLog).where(OperationLog.target == username,
                                                            OperationLog.action.in_(["login.failed", "login.locked"])))
    reasons = [row.detail["reason"] for row in rows]
    assert reasons.count("password") == MAX_FAILED_LOGINS
    assert reasons.count("locked") == GUESSES - MAX_FAILED_LOGINS
    user = db.session.get(User, user_id)
    assert user.failed_logins == MAX_FAILED_LOGINS and user.locked_until is not None
    # The right password after the lockout is refused too, with the same words.
    response = attempt_login(client, username, DEMO_PASSWORD)
    assert response.status_code == 200 and LOGIN_FAILED in response.get_data(as_text=True)


def test_parallel_wrong_passwords_on_the_api_lock_the_account_too(app, client, demo):
    username = demo.users["county_admin"].username
    responses = in_parallel(app, lambda c, i: None, lambda c, i, _: c.post(
        "/api/v1/auth/token", json={"username": username, "password": f"Wrong{i:05d}"}))
    assert [r.status_code for r in responses] == [401] * GUESSES
    assert {r.get_json()["error"] for r in responses} == {LOGIN_FAILED}
    evaluated = db.session.scalars(sa.select(OperationLog.detail).where(
        OperationLog.target == username, OperationLog.action.in_(["login.failed", "login.locked"]))).all()
    assert sum(d["reason"] == "password" for d in evaluated) == MAX_FAILED_LOGINS
    right = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
    assert right.status_code == 401


def test_parallel_wrong_sms_codes_get_five_evaluations_then_the_code_is_void(app, client, auth, demo):
    user = demo.users["branch_admin"]
    ask_code(client, auth, "/auth/forgot", username=user.username, phone=user.phone)
    right = reset(user)
    wrong_codes = [f"{(int(right['sms_code']) + 1 + i) % 10 ** 6:06d}" for i in range(GUESSES)]

    def fire(c, i, token):
        return c.post("/auth/forgot", data={**right, "sms_code": wrong_codes[i], "csrf_token": token})
    responses = in_parallel(app, lambda c, i: csrf_token(c, "/auth/forgot"), fire)

    messages = [error_beside(r.get_data(as_text=True), "sms_code") for r in responses]
    assert sum("还可尝试" in m for m in messages) == 4  # the fifth evaluated wrong code voids it
    assert all("短信验证码错误" in m for m in messages)
    assert db.session.scalar(sa.select(SmsCode.attempts).where(SmsCode.phone == user.phone)) == 5
    # The right code is refused now; the password is unchanged.
    html = auth.post("/auth/forgot", right).get_data(as_text=True)
    assert "错误次数过多" in error_beside(html, "sms_code")
    assert attempt_login(app.test_client(), user.username, NEW_PASSWORD).status_code == 200


def test_parallel_wrong_authorisation_codes_get_five_evaluations_then_the_code_is_void(app, client, auth, pending):
    ask_code(client, auth, "/auth/activate", phone=pending.phone)
    # The right SMS code each time: only the authorisation-code counter stands in the way.
    form = activation(pending, auth_code="ABCDEFGH")

    def fire(c, i, token):
        return c.post("/auth/activate", data={**form, "csrf_token": token})
    responses = in_parallel(app, lambda c, i: csrf_token(c, "/auth/activate"), fire)

    messages = [error_beside(r.get_data(as_text=True), "auth_code") for r in responses]
    assert sum("授权码错误（还可尝试" in m for m in messages) == 4
    assert all("授权码" in m for m in messages), messages
    user = db.session.get(User, pending.user.id)
    db.session.refresh(user)
    assert user.auth_code_failures == 5 and user.auth_code_hash is None and not user.activated
    html = auth.post("/auth/activate", activation(pending)).get_data(as_text=True)
    assert "作废" in error_beside(html, "auth_code")


def test_concurrent_failed_logins_keep_the_operations_log_chain_linear(app, demo):
    # Known and unknown accounts: an unknown one writes nothing before its log row.
    usernames = [u.username for u in demo.users.values()] + [f"1101011990010{i:05d}" for i in range(10)]

    def fire(c, i, prepared):
        if i % 3:  # two thirds through the API token endpoint, the rest through the login page
            return c.post("/api/v1/auth/token", json={"username": usernames[i % len(usernames)],
                                                       "password": f"Wrong{i:05d}"})
        token, answer = prepared
        return c.post("/auth/login", data={"csrf_token": token, "username": usernames[i % len(usernames)],
                                           "password": f"Wrong{i:05d}", "captcha": answer})
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OperationLog))
    responses = in_parallel(app, login_form, fire, n=30)
    assert {r.status_code for r in responses} <= {200, 401}

    rows = db.session.execute(sa.select(OperationLog.id, OperationLog.prev_hash, OperationLog.hash)
                              .order_by(OperationLog.id)).all()
    assert len(rows) == before + 30
    assert all(row.prev_hash == previous.hash for previous, row in zip(rows, rows[1:]))
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "未发现问题" in result.output
