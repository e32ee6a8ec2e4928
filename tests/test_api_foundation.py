"""The /api/v1 foundation: bearer tokens, /me, cookie refusal and JSON errors."""
import hashlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from flask_login import current_user

from app.api.errors import ApiError, api_error, normalise_fields
from app.api.models import ApiToken
from app.auth.services import LOGIN_FAILED
from app.events.models import OperationLog
from app.extensions import db
from app.seed import DEMO_PASSWORD
from app.timeutil import utcnow
from tests.conftest import count


def issue(client, user, password=DEMO_PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": user.username, "password": password})


def token_for(client, user) -> str:
    response = issue(client, user)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def web_logged_in(client) -> bool:
    """The home page sends anonymous visitors to the login page and others to their work."""
    response = client.get("/")
    return not (response.status_code == 302 and "/auth/login" in response.headers["Location"])


# --- token issue ---------------------------------------------------------------------------------

def test_issue_token_stores_only_its_hash(client, demo):
    user = demo.users["branch_admin"]
    response = issue(client, user)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["token_type"] == "Bearer" and len(body["token"]) >= 40
    assert body["expires_at"].endswith("Z")
    row = db.session.scalar(sa.select(ApiToken))
    assert row.user_id == user.id
    assert row.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in json.dumps([row.token_hash])
    assert timedelta(hours=11, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=12)
    assert body["expires_at"] == row.expires_at.isoformat(timespec="seconds") + "Z"
    # authenticate() logged the login, the API logged the issue.
    assert count(OperationLog, OperationLog.action == "login", OperationLog.actor_id == user.id) == 1
    assert count(OperationLog, OperationLog.action == "api.token.issue") == 1


def test_token_response_sets_no_cookie(client, demo):
    response = issue(client, demo.users["branch_admin"])
    assert "Set-Cookie" not in response.headers


def test_wrong_password_is_401_in_chinese(client, demo):
    response = issue(client, demo.users["branch_admin"], "Wrong12345")
    assert response.status_code == 401
    assert response.get_json() == {"error": LOGIN_FAILED}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(ApiToken) == 0


def test_unknown_user_is_401(client, demo):
    response = client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"})
    assert response.status_code == 401
    # The same status and words as a wrong password: the endpoint does not tell which accounts exist.
    assert response.get_json()["error"] == LOGIN_FAILED


def test_lockout_after_five_failures_applies_to_the_api(client, demo):
    user = demo.users["branch_admin"]
    for _ in range(4):
        assert issue(client, user, "Wrong12345").status_code == 401
    fifth = issue(client, user, "Wrong12345")
    assert fifth.status_code == 401
    assert fifth.get_json()["error"] == LOGIN_FAILED
    db.session.refresh(user)
    assert user.locked_until is not None and user.locked_until > utcnow()
    # Even the right password is refused while locked.
    response = issue(client, user)
    assert response.status_code == 401
    assert response.get_json()["error"] == LOGIN_FAILED
    assert count(ApiToken) == 0


def test_missing_fields_are_422_with_field_messages(client, demo):
    response = client.post("/api/v1/auth/token", json={"username": " "})
    assert response.status_code == 422
    assert response.get_json() == {"error": "请填写用户名和密码",
                                   "fields": {"username": ["请填写用户名"], "password": ["请填写密码"]}}


def test_inactive_account_gets_no_token(client, demo):
    user = demo.users["auditor"]
    user.disabled = True
    db.session.commit()
    response = issue(client, user)
    assert response.status_code == 401
    assert response.get_json()["error"] == "账号已停用"


# --- /me and token checks --------------------------------------------------------------------------

def test_me_with_token(client, demo):
    user = demo.users["branch1:branch_admin"]
    response = client.get("/api/v1/me", headers=bearer(token_for(client, user)))
    assert response.status_code == 200
    org = demo.orgs["branch1"]
    assert response.get_json() == {
        "id": user.id, "username": user.username, "name": "孙支部", "role": "branch_admin",
        "role_label": "党支部管理员",
        "organisation": {"id": org.id, "name": org.name, "level": "branch", "level_label": "党支部",
                         "path": org.path, "parent_id": org.parent_id}}


def test_me_without_token_is_401_json(client, demo):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.is_json and "令牌" in response.get_json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer nope"])
def test_malformed_or_unknown_authorization_is_401(client, demo, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.is_json


def test_expired_token_is_401(client, demo):
    token = token_for(client, demo.users["county_admin"])
    row = db.session.scalar(sa.select(ApiToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"] == "访问令牌已过期，请重新获取"


def test_revoked_token_is_401(client, demo):
    token = token_for(client, demo.users["county_admin"])
    other = token_for(client, demo.users["county_admin"])
    response = client.delete("/api/v1/auth/token", headers=bearer(token))
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=bearer(token)).status_code == 401
    # Only the presented token is revoked.
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200
    assert count(OperationLog, OperationLog.action == "api.token.revoke") == 1


def test_revoke_requires_a_token(client, demo):
    assert client.delete("/api/v1/auth/token").status_code == 401


def test_disabling_an_account_cuts_off_its_tokens(client, demo):
    user = demo.users["county_admin"]
    token = token_for(client, user)
    user.disabled = True
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_last_used_at_is_recorded(client, demo):
    token = token_for(client, demo.users["county_admin"])
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is None
    client.get("/api/v1/me", headers=bearer(token))
    db.session.expire_all()
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None


def test_current_user_and_scope_resolve_to_the_token_user(app, client, demo):
    from app.orgs.models import Organisation
    from app.scope import select_in_scope
    user = demo.users["committee1:committee_admin"]
    token = token_for(client, user)
    with app.test_request_context("/api/v1/me", headers=bearer(token)):
        assert app.preprocess_request() is None
        assert g.api_user.id == user.id
        assert current_user.is_authenticated and current_user.id == user.id
        orgs = db.session.scalars(select_in_scope(Organisation, current_user)).all()
        assert orgs and all(o.path.startswith(demo.orgs["committee1"].path) for o in orgs)


# --- cookies are never accepted --------------------------------------------------------------------

def test_cookie_session_is_not_accepted_by_the_api(client, demo, auth):
    user = demo.users["county_admin"]
    auth.login(user)
    assert web_logged_in(client)
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.is_json
    # A state-changing call with only the cookie (what a CSRF attack would send) is refused too.
    assert client.delete("/api/v1/auth/token").status_code == 401
    # The API neither read nor rewrote the session: the web login is still intact.
    assert web_logged_in(client)


def test_bearer_token_wins_over_a_cookie_session(client, demo, auth):
    auth.login(demo.users["county_admin"])
    other = demo.users["branch1:branch_admin"]
    response = client.get("/api/v1/me", headers=bearer(token_for(client, other)))
    assert response.status_code == 200
    assert response.get_json()["id"] == other.id
    assert "Set-Cookie" not in response.headers


def test_bearer_token_does_not_log_into_web_pages(client, demo):
    token = token_for(client, demo.users["county_admin"])
    response = client.get("/", headers=bearer(token))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- JSON errors -----------------------------------------------------------------------------------

def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json() == {"error": "页面或数据不存在"}


def test_wrong_method_is_json_405(client):
    response = client.get("/api/v1/auth/token")
    assert response.status_code == 405
    assert response.get_json() == {"error": "不支持的请求方式"}


@pytest.mark.parametrize("data,content_type", [
    ('{"username": ', "application/json"),
    ("\xff\xfe", "application/json"),
    ("username=a&password=b", "application/x-www-form-urlencoded"),
    ("", "application/json"),
    ('["a", "b"]', "application/json"),
])
def test_bad_json_body_is_400(client, data, content_type):
    response = client.post("/api/v1/auth/token", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json() == {"error": "请求体须为JSON"}


def test_direct_get_json_failure_is_400_too(app, client, demo, monkeypatch):
    # Endpoints that call request.get_json() themselves get the same answer through app.errors.
    from flask import request

    from app.access.routes import PUBLIC, ROUTES
    from app.extensions import csrf

    monkeypatch.setitem(ROUTES, "echo_test", PUBLIC)  # a route the access policy names, open to anyone

    def echo():
        return {"got": request.get_json()}
    # Registered on the app (the blueprint is already registered), so exempt it like the blueprint.
    csrf.exempt(echo)
    app.add_url_rule("/api/v1/_echo", "echo_test", echo, methods=["POST"])
    assert client.post("/api/v1/_echo", data="{oops", content_type="application/json").get_json() == {
        "error": "请求体须为JSON"}
    response = client.post("/api/v1/_echo", data="a=b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response.get_json() == {"error": "请求体须为JSON"}


def test_too_large_body_is_json_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/api/v1/auth/token", json={"username": "x" * 500, "password": "y"})
    assert response.status_code == 413
    assert response.get_json() == {"error": "上传的文件过大"}


def test_unhandled_exception_is_json_500(app, client, monkeypatch):
    from app.access.routes import PUBLIC, ROUTES
    monkeypatch.setitem(ROUTES, "boom_test", PUBLIC)

    def boom():
        raise RuntimeError("boom")
    app.add_url_rule("/api/v1/_boom", "boom_test", boom)
    response = client.get("/api/v1/_boom")
    assert response.status_code == 500
    assert response.get_json() == {"error": "服务器内部错误"}


@pytest.mark.parametrize("status,message", [(403, "没有权限执行此操作"), (404, "页面或数据不存在"),
                                            (409, "数据已被他人处理，请刷新后重试"),
                                            (422, "提交的数据有误")])
def test_api_error_defaults(app, status, message):
    with app.test_request_context("/api/v1/me"):
        with pytest.raises(ApiError) as info:
            api_error(status)
        response = info.value.get_response()
        assert response.status_code == status
        assert response.get_json() == {"error": message}


def test_api_error_with_fields(app):
    with app.test_request_context("/api/v1/me"):
        with pytest.raises(ApiError) as info:
            api_error(409, "该记录已被修改", {"name": "已被占用", "dates": ["早于申请日期", "格式有误"]})
        body = info.value.get_response().get_json()
    assert body == {"error": "该记录已被修改",
                    "fields": {"name": ["已被占用"], "dates": ["早于申请日期", "格式有误"]}}


def test_normalise_fields_flattens_nested_form_errors():
    assert normalise_fields({"a": "x", "sub": {"b": ["y"]}}) == {"a": ["x"], "sub.b": ["y"]}
