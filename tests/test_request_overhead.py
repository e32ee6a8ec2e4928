"""What every page and POST pays before and after its view (issue 16 items 2 and 5): the session's account read
by one Core SELECT into read-only objects, the session cookie written only when the session changed, its
serializer built once and each cookie verified once per worker, no per-request work for Flask-Login's session
protection, and the session's CSRF token signed once per worker."""
from datetime import timedelta
from unittest import mock

import pytest
import sqlalchemy as sa
from flask_login.utils import _create_identifier

from app.auth import csrf_tokens
from app.auth.models import User
from app.auth.session_account import SessionAccount, session_account
from app.auth.views import load_session_user
from app.extensions import db, login_manager
from tests.conftest import csrf_token, login


@pytest.fixture
def branch_admin(app, demo):
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    client.get("/inbox/")   # the first page after login puts the CSRF token in the session (a cookie write)
    return client, demo.users["branch1:branch_admin"]


def test_a_page_that_leaves_the_session_alone_sets_no_cookie(branch_admin):
    client, _ = branch_admin
    for url in ("/inbox/", "/", "/inbox/"):
        response = client.get(url)
        assert response.status_code in (200, 302)
        assert response.headers.getlist("Set-Cookie") == [], url


def test_a_flashed_message_writes_the_cookie_once_when_set_and_once_when_shown(branch_admin):
    client, _ = branch_admin
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/inbox/")})
    assert response.status_code == 302 and response.headers.getlist("Set-Cookie")
    shown = client.get("/auth/login")
    assert "已退出登录" in shown.get_data(as_text=True)
    assert shown.headers.getlist("Set-Cookie")          # the flash popped: the session changed
    assert client.get("/auth/login").headers.getlist("Set-Cookie") == []


def test_another_address_or_browser_neither_ends_the_session_nor_rewrites_it(branch_admin):
    # Session protection is off: the session's epoch, checked on every request, is what ends sessions.
    client, _ = branch_admin
    response = client.get("/inbox/", headers={"User-Agent": "other"}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []


def test_the_signing_serializer_is_built_once_per_key(app, branch_admin):
    client, _ = branch_admin
    interface = app.session_interface.inner
    first = interface.get_signing_serializer(app)
    assert client.get("/inbox/").status_code == 200
    assert interface.get_signing_serializer(app) is first
    app.secret_key = "another-secret"
    assert interface.get_signing_serializer(app) is not first
    assert client.get("/inbox/").status_code == 302   # a cookie signed with the old key opens no session


def test_the_session_account_is_the_row_read_only(app, demo):
    user = demo.users["branch1:branch_admin"]
    account = load_session_user(f"{user.id}:{user.session_epoch}")
    assert isinstance(account, SessionAccount)
    row = db.session.get(User, user.id)
    assert (account.id, account.username, account.role, account.org_id, account.role_label) == \
        (row.id, row.username, row.role, row.org_id, row.role_label)
    assert (account.org.id, account.org.path, account.org.name, account.org.level_label, account.org.depth) == \
        (row.org.id, row.org.path, row.org.name, row.org.level_label, row.org.depth)
    assert account == row and account.record is row and account.org.record is row.org
    assert account.is_active and account.is_authenticated and account.get_id() == row.get_id()
    assert account.password_hash == row.password_hash   # not in the light object: read from the ORM row
    # Neither are the columns no request reads (contact, lockout, creation time): the ORM row answers them too.
    assert (account.phone, account.failed_logins, account.created_at, account.org.created_at) == \
        (row.phone, row.failed_logins, row.created_at, row.org.created_at)
    with pytest.raises(AttributeError):
        account.role = "county_admin"   # a change must go to .record, never be lost on the light copy
    with pytest.raises(AttributeError):
        account.org.path = "/"


def test_the_session_account_is_one_statement_and_refuses_a_stale_epoch(app, demo):
    user = demo.users["branch1:branch_admin"]
    user_id, epoch = user.id, user.session_epoch
    seen = []
    record = lambda conn, cursor, statement, *args: seen.append(statement)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert session_account(user_id) is not None
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(seen) == 1 and "organisation" in seen[0]
    assert load_session_user(f"{user_id}:{epoch + 1}") is None
    assert session_account(999999) is None and load_session_user("999999:0") is None
    assert load_session_user(f"{user_id}:{epoch}") is not None
    db.session.get(User, user_id).disabled = True
    db.session.commit()
    assert load_session_user(f"{user_id}:{epoch}") is None


def test_whether_a_statement_needs_a_transaction_is_decided_once_per_text():
    from app.db_setup import _needs_transaction
    plain = "SELECT person.id FROM person WHERE person.id = %(id)s /* overhead test */"
    locking = "SELECT person.id FROM person WHERE person.id = %(id)s FOR UPDATE /* overhead test */"
    assert not _needs_transaction(plain) and _needs_transaction(locking)
    assert _needs_transaction("UPDATE person SET name = %(name)s /* overhead test */")
    hits = _needs_transaction.cache_info().hits
    assert not _needs_transaction(plain) and _needs_transaction(locking)
    assert _needs_transaction.cache_info().hits == hits + 2


def test_the_client_is_hashed_only_when_session_protection_is_on(app):
    with app.test_request_context("/", headers={"User-Agent": "browser"}):
        assert login_manager._session_identifier_generator() is None
        app.config["SESSION_PROTECTION"] = "strong"
        try:
            assert login_manager._session_identifier_generator() == _create_identifier()
        finally:
            del app.config["SESSION_PROTECTION"]


def test_a_session_s_signed_csrf_token_is_signed_once_and_checked_as_strictly(app, demo, branch_admin):
    client, _ = branch_admin
    token = csrf_token(client, "/inbox/")
    with mock.patch("flask_wtf.csrf.URLSafeTimedSerializer.dumps", side_effect=AssertionError("signed again")):
        assert csrf_token(client, "/inbox/?view=mine") == token   # the worker's copy, not a new signature
    other = app.test_client()
    login(other, demo.users["committee1:committee_admin"])
    assert csrf_token(other, "/inbox/") != token
    # Another session's copy, a forged one and none are refused; the session's own passes.
    for forged in (token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), ""):
        assert other.post("/auth/logout", data={"csrf_token": forged}).status_code == 400
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    # The login renews the session's token; the old copy no longer passes.
    login(client, demo.users["branch1:branch_admin"])
    assert csrf_token(client, "/inbox/") != token
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 400


def test_with_a_time_limit_the_csrf_token_is_signed_per_page(app, branch_admin):
    client, _ = branch_admin
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    try:
        csrf_tokens._SIGNED.clear()
        token = csrf_token(client, "/inbox/")
        assert len(csrf_tokens._SIGNED) == 0
        assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_TIME_LIMIT"] = None


def test_a_session_cookie_is_verified_once_and_still_refused_when_forged_or_expired(app, branch_admin):
    client, _ = branch_admin
    serializer = app.session_interface.inner.get_signing_serializer(app)
    assert client.get("/inbox/").status_code == 200
    with mock.patch.object(serializer, "loads", side_effect=AssertionError("verified again")):
        assert client.get("/inbox/").status_code == 200   # the same cookie: its check is remembered
    cookie = client.get_cookie("session").value
    # value.timestamp.signature (a compressed value starts with "."): change the signature's first character,
    # which no padding bit can absorb.
    signed, _, signature = cookie.rpartition(".")
    forged = app.test_client()
    forged.set_cookie("session", signed + "." + ("A" if signature[0] != "A" else "B") + signature[1:])
    assert forged.get("/inbox/").status_code == 302       # changed by one character: Flask's check refuses it
    lifetime = app.permanent_session_lifetime
    app.permanent_session_lifetime = timedelta(seconds=-1)
    try:
        assert client.get("/inbox/").status_code == 302   # older than the session lifetime: refused as before
    finally:
        app.permanent_session_lifetime = lifetime
