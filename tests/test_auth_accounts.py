"""安全员 account management: list the subtree, open accounts (code sent by SMS), re-issue codes, disable."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth import services
from app.auth.models import User
from app.auth.passwords import verify_password
from app.events.models import OperationLog
from app.extensions import db
from app.seed import DEMO_PASSWORD
from app.sms.models import SmsMessage
from app.timeutil import utcnow
from conftest import count, sent_sms
from test_auth import attempt_login, valid_id

NEW = {"name": "刘新", "id_number": valid_id(1), "phone": "13912345678", "role": "branch_admin"}


def open_account(auth, demo, **overrides):
    """Post the 开通账号 form for a new 党支部管理员 of branch1, with ``overrides``."""
    return auth.post("/auth/accounts/new", {**NEW, "org_id": demo.orgs["branch1"].id, **overrides})


def last_message(phone: str) -> SmsMessage | None:
    return db.session.scalar(sa.select(SmsMessage).where(SmsMessage.phone == phone)
                             .order_by(SmsMessage.id.desc()).limit(1))


def delivered_auth_code(phone: str) -> str:
    """The authorisation code in the latest SMS delivered to ``phone`` (the holder's phone, not a page)."""
    text = sent_sms(phone)
    match = re.fullmatch(r"您的授权码为([A-Z0-9]{8})，7天内有效，.*", text or "")
    assert match, text
    return match.group(1)


@pytest.fixture
def officer(auth, demo):
    """The county 安全员, logged in."""
    auth.login(demo.users["security_officer"])
    return demo.users["security_officer"]


def test_other_roles_get_403_on_account_pages(client, auth, demo):
    auth.login(demo.users["county_admin"])
    target = demo.users["branch_admin"]
    assert client.get("/auth/accounts").status_code == 403
    assert client.get("/auth/accounts/new").status_code == 403
    assert open_account(auth, demo).status_code == 403
    for action in ("code", "disable", "enable"):
        assert auth.post(f"/auth/accounts/{target.id}/{action}").status_code == 403
    assert count(User, User.username == NEW["id_number"]) == 0


def test_anonymous_is_sent_to_login(client, demo):
    response = client.get("/auth/accounts")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_list_shows_accounts_of_the_subtree_only(client, officer, demo):
    html = client.get("/auth/accounts").get_data(as_text=True)
    for key in ("county_admin", "branch_admin", "auditor", "security_officer"):
        assert demo.users[key].username in html
    for key in ("province_admin", "city_admin", "designer"):  # above the county
        assert demo.users[key].username not in html
    assert "账号管理" in html and "开通账号" in html


def test_list_searches_by_name_or_id_number(client, officer, demo):
    html = client.get("/auth/accounts", query_string={"q": "孙支部"}).get_data(as_text=True)
    assert demo.users["branch1:branch_admin"].username in html
    assert demo.users["branch2:branch_admin"].username not in html
    html = client.get("/auth/accounts", query_string={"q": demo.users["auditor"].username[-6:]}).get_data(as_text=True)
    assert demo.users["auditor"].username in html and demo.users["county_admin"].username not in html


def test_open_account_sends_the_authorisation_code_by_sms(client, auth, officer, demo):
    response = open_account(auth, demo)
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/accounts")
    assert "授权码已通过短信发送至 13912345678" in client.get("/auth/accounts").get_data(as_text=True)

    user = services.find_user(NEW["id_number"])
    assert (user.name, user.role, user.org_id, user.phone) == ("刘新", "branch_admin", demo.orgs["branch1"].id,
                                                               "13912345678")
    assert not user.activated and user.password_hash is None
    code = delivered_auth_code("13912345678")
    # Only a hash is stored, valid for seven days.
    assert code not in user.auth_code_hash and verify_password(user.auth_code_hash, code)
    assert timedelta(days=6, hours=23) < user.auth_code_expires - utcnow() <= timedelta(days=7)
    message = last_message("13912345678")
    assert (message.purpose, message.sender, message.org_path, message.status) == (
        "auth_code", "test-capture", demo.orgs["branch1"].path, "sent")
    # The stored copy has the code masked.
    assert code not in message.text and "********" in message.text
    for action in ("account.create", "account.code_issued"):
        assert count(OperationLog, OperationLog.action == action, OperationLog.target == user.username,
                     OperationLog.actor_id == officer.id) == 1


@pytest.mark.parametrize("role, org_key", [("committee_admin", "committee1"), ("county_admin", "county"),
                                           ("auditor", "branch2"), ("security_officer", "committee2"),
                                           ("designer", "county")])
def test_roles_that_fit_the_organisation_are_accepted(auth, officer, demo, role, org_key):
    assert open_account(auth, demo, role=role, org_id=demo.orgs[org_key].id).status_code == 302
    assert services.find_user(NEW["id_number"]).role == role


@pytest.mark.parametrize("overrides, field, message", [
    ({"id_number": valid_id(1)[:-1] + ("0" if valid_id(1)[-1] != "0" else "1")}, "id_number", "校验码不正确"),
    ({"id_number": "11010119850101"}, "id_number", "公民身份证号码应为18位"),
    ({"id_number": ""}, "id_number", "请输入身份证号"),
    ({"phone": "1391234567"}, "phone", "请输入11位手机号码"),
    ({"phone": "23912345678"}, "phone", "请输入11位手机号码"),
    ({"name": ""}, "name", "请输入姓名"),
    ({"org_id": "0"}, "org_id", "请选择所属组织"),
    ({"role": ""}, "role", "请选择角色"),
    ({"role": "county_admin"}, "role", "县级组织部门管理员不能设在党支部"),
    ({"role": "root"}, "role", "请选择角色"),
])
def test_open_account_errors_stand_beside_the_field_and_input_is_kept(auth, officer, demo, overrides, field, message):
    response = open_account(auth, demo, **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'<div class="error" data-field="{field}">[^<]*{message}', html), html
    if overrides.get("phone") is None:
        assert 'value="13912345678"' in html
    if "name" not in overrides:
        assert 'value="刘新"' in html
    assert count(User, User.username == (overrides.get("id_number") or NEW["id_number"])) == 0
    assert count(SmsMessage) == 0


def test_id_number_already_holding_an_account_is_refused(auth, officer, demo):
    response = open_account(auth, demo, id_number=demo.users["branch_admin"].username)
    assert response.status_code == 422
    assert "该身份证号已开通账号" in response.get_data(as_text=True)


def test_lower_case_x_is_stored_upper_case(auth, officer, demo):
    number = next(n for n in (valid_id(i) for i in range(1, 200)) if n.endswith("X"))
    assert open_account(auth, demo, id_number=number.lower()).status_code == 302
    assert services.find_user(number).username == number


def test_no_account_in_an_organisation_outside_the_subtree(auth, officer, demo):
    response = open_account(auth, demo, org_id=demo.orgs["city"].id, role="city_admin")
    assert response.status_code == 422
    assert "只能在本单位及下级组织中开通账号" in response.get_data(as_text=True)
    assert count(User, User.username == NEW["id_number"]) == 0
    # The service refuses it as well, whatever the form offered.
    with pytest.raises(services.FieldError) as error:
        services.create_account(officer, name="刘新", id_number=NEW["id_number"], phone="13912345678",
                                org=demo.orgs["city"], role="city_admin")
    assert error.value.field == "org_id"


def test_new_account_form_offers_only_the_subtree(client, officer, demo):
    html = client.get("/auth/accounts/new").get_data(as_text=True)
    assert demo.orgs["branch4"].name in html and demo.orgs["county"].name in html
    assert demo.orgs["city"].name not in html and demo.orgs["province"].name not in html


def test_reissue_sends_a_new_code_and_voids_the_old_one(auth, officer, demo):
    open_account(auth, demo)
    user = services.find_user(NEW["id_number"])
    old = delivered_auth_code(user.phone)
    response = auth.post(f"/auth/accounts/{user.id}/code")
    assert response.status_code == 302
    db.session.refresh(user)
    new = delivered_auth_code(user.phone)
    assert verify_password(user.auth_code_hash, new) and not verify_password(user.auth_code_hash, old)
    assert count(SmsMessage, SmsMessage.phone == user.phone, SmsMessage.purpose == "auth_code") == 2
    assert count(OperationLog, OperationLog.action == "account.code_issued", OperationLog.target == user.username) == 2


def test_reissue_is_refused_for_an_activated_account(client, auth, officer, demo):
    target = demo.users["branch_admin"]
    auth.post(f"/auth/accounts/{target.id}/code")
    assert "该账号已激活，无需授权码" in client.get("/auth/accounts").get_data(as_text=True)
    assert count(SmsMessage) == 0


def test_accounts_outside_the_subtree_are_not_found(auth, officer, demo):
    target = demo.users["province_admin"]
    for action in ("code", "disable", "enable"):
        assert auth.post(f"/auth/accounts/{target.id}/{action}").status_code == 404
    assert auth.post("/auth/accounts/999999/disable").status_code == 404
    db.session.refresh(target)
    assert not target.disabled


def test_disable_and_enable_an_account(client, auth, officer, demo):
    target = demo.users["branch_admin"]
    assert auth.post(f"/auth/accounts/{target.id}/disable").status_code == 302
    db.session.refresh(target)
    assert target.disabled
    assert "已停用" in client.get("/auth/accounts").get_data(as_text=True)
    assert "账号已停用" in attempt_login(client, target.username, DEMO_PASSWORD).get_data(as_text=True)

    assert auth.post(f"/auth/accounts/{target.id}/enable").status_code == 302
    db.session.refresh(target)
    assert not target.disabled
    for action in ("account.disable", "account.enable"):
        assert count(OperationLog, OperationLog.action == action, OperationLog.target == target.username) == 1
    assert attempt_login(client, target.username, DEMO_PASSWORD).status_code == 302


def test_officer_cannot_disable_themselves(client, auth, officer):
    auth.post(f"/auth/accounts/{officer.id}/disable")
    assert "不能停用或启用自己的账号" in client.get("/auth/accounts").get_data(as_text=True)
    db.session.refresh(officer)
    assert not officer.disabled


def test_disabling_ends_an_open_session(app, client, auth, demo):
    target = demo.users["branch_admin"]
    auth.login(target)
    services.set_disabled(target, True, demo.users["security_officer"])
    db.session.commit()
    # A fresh app context: the fixture's context (and Flask-Login's cached user in g) spans requests.
    with app.app_context():
        response = client.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
