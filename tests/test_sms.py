"""SMS: the outbox sender, pluggable senders, one-time codes, and the 安全员's 短信发件箱 page."""
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.sms import services
from app.sms.models import SmsCode, SmsMessage
from app.timeutil import utcnow
from app.config import Config
from conftest import count, sent_sms

PHONE = "13912345678"


class RecordingSender:
    """A stand-in gateway: remembers what it was asked to deliver."""
    delivers = True
    sent: list[tuple[str, str]] = []

    def send(self, phone, text):
        RecordingSender.sent.append((phone, text))


@pytest.fixture
def recording(app, monkeypatch):
    RecordingSender.sent = []
    monkeypatch.setitem(services._SENDERS, "recording", RecordingSender)
    monkeypatch.setitem(app.config, "SMS_SENDER", "recording")
    return RecordingSender


def code_in(phone: str = PHONE) -> str:
    """The 6-digit code of the latest SMS delivered to ``phone``."""
    return re.search(r"\d{6}", sent_sms(phone)).group(0)


def test_outbox_is_the_default_sender_logs_the_text_and_stores_it_masked(app, caplog, monkeypatch):
    monkeypatch.delitem(app.config, "SMS_SENDER")
    assert Config(app.instance_path).SMS_SENDER == "outbox"
    monkeypatch.setitem(app.config, "SMS_SENDER", "outbox")
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        message = services.send_sms(PHONE, "您的授权码为ABCD3456，7天内有效", "auth_code", org_path="/1/",
                                    secret="ABCD3456")
    db.session.commit()
    stored = db.session.get(SmsMessage, message.id)
    assert (stored.phone, stored.text, stored.purpose, stored.sender, stored.org_path, stored.status) == (
        PHONE, "您的授权码为********，7天内有效", "auth_code", "outbox", "/1/", "logged")
    assert stored.created_at is not None
    # In development the code reaches the developer through the server log only.
    assert "ABCD3456" in caplog.text and PHONE in caplog.text


def test_a_failing_gateway_is_recorded_not_a_server_error(app, monkeypatch, caplog):
    class BrokenSender:
        delivers = True

        def send(self, phone, text):
            raise ConnectionError("gateway down")
    monkeypatch.setitem(services._SENDERS, "broken", BrokenSender)
    monkeypatch.setitem(app.config, "SMS_SENDER", "broken")
    message = services.send_sms(PHONE, "验证码为123456", "reset", secret="123456")
    assert message.status == "failed" and message.text == "验证码为******"
    assert "gateway down" in caplog.text


def test_a_gateway_plugs_in_by_name_and_codes_are_masked_in_the_copy(app, recording):
    message = services.send_sms(PHONE, "验证码为123456，5分钟内有效", "activate", secret="123456")
    assert recording.sent == [(PHONE, "验证码为123456，5分钟内有效")]
    assert message.sender == "recording" and message.text == "验证码为******，5分钟内有效"
    assert message.status == "sent"


def test_a_gateway_plugs_in_by_module_path(app, monkeypatch):
    RecordingSender.sent = []
    monkeypatch.setitem(app.config, "SMS_SENDER", "test_sms:RecordingSender")
    services.send_sms(PHONE, "你好", "notice")
    assert RecordingSender.sent == [(PHONE, "你好")]


def test_an_unknown_sender_fails_loudly(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_SENDER", "nonesuch")
    with pytest.raises(RuntimeError, match="nonesuch"):
        services.send_sms(PHONE, "你好", "notice")
    assert count(SmsMessage) == 0


def test_codes_are_stored_hashed_and_used_once(app):
    row = services.issue_code(PHONE, "activate", "验证码为{code}，{minutes}分钟内有效", deliver=True)
    message = db.session.scalar(sa.select(SmsMessage))
    code = code_in()
    assert sent_sms(PHONE) == f"验证码为{code}，5分钟内有效"
    assert message.text == "验证码为******，5分钟内有效"
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert timedelta(minutes=4, seconds=50) < row.expires_at - utcnow() <= timedelta(minutes=5)

    assert services.check_code(PHONE, "activate", code) is row
    with pytest.raises(services.SmsCodeError, match="请先获取短信验证码"):
        services.check_code(PHONE, "reset", code)  # another purpose
    services.use_code(row)
    with pytest.raises(services.SmsCodeError, match="已使用"):
        services.use_code(row)
    db.session.refresh(row)
    with pytest.raises(services.SmsCodeError, match="请先获取短信验证码"):
        services.check_code(PHONE, "activate", code)


def test_five_wrong_entries_void_a_code(app):
    services.issue_code(PHONE, "activate", "{code}", deliver=True)
    code = code_in()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(services.SmsCodeError, match=f"还可尝试{left}次"):
            services.check_code(PHONE, "activate", wrong)
    with pytest.raises(services.SmsCodeError, match="错误次数过多"):
        services.check_code(PHONE, "activate", wrong)
    with pytest.raises(services.SmsCodeError, match="错误次数过多"):
        services.check_code(PHONE, "activate", code)


def test_expired_code_is_refused(app):
    row = services.issue_code(PHONE, "activate", "{code}", deliver=True)
    code = code_in()
    row.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(services.SmsCodeError, match="已过期"):
        services.check_code(PHONE, "activate", code)


def test_resend_is_throttled_alike_with_or_without_delivery(app):
    services.issue_code(PHONE, "activate", "{code}", deliver=False)
    assert count(SmsMessage) == 0 and count(SmsCode) == 1
    with pytest.raises(services.SmsCodeError, match=r"验证码发送过于频繁，请\d+秒后再试"):
        services.issue_code(PHONE, "activate", "{code}", deliver=True)
    assert 55 <= services.resend_wait(PHONE, "activate") <= 60
    # Another purpose or another phone is not held up.
    services.issue_code(PHONE, "reset", "{code}", deliver=True)
    services.issue_code("13700000000", "activate", "{code}", deliver=True)


def test_a_new_code_voids_the_previous_one(app):
    first_row = services.issue_code(PHONE, "activate", "{code}", deliver=True)
    first = code_in()
    first_row.created_at = utcnow() - timedelta(seconds=61)
    db.session.flush()
    services.issue_code(PHONE, "activate", "{code}", deliver=True)
    second = code_in()
    if first != second:
        with pytest.raises(services.SmsCodeError):
            services.check_code(PHONE, "activate", first)
    assert services.check_code(PHONE, "activate", second)


# --- the 短信发件箱 page --------------------------------------------------------------------------

def test_outbox_page_is_for_the_security_officer_only(client, auth, demo):
    auth.login(demo.users["county_admin"])
    assert client.get("/sms/outbox").status_code == 403


def test_outbox_page_lists_the_subtree_newest_first_page_by_page(app, client, auth, demo, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    now = utcnow()
    for minutes, phone, text, org in ((3, "13900000003", "最早的短信", "branch1"),
                                      (2, "13900000002", "其次的短信", "committee2"),
                                      (1, "13900000001", "最新的短信", "county"),
                                      (0, "13900000000", "省里的短信", "province")):
        message = services.send_sms(phone, text, "notice", org_path=demo.orgs[org].path)
        message.created_at = now - timedelta(minutes=minutes)
    db.session.commit()
    auth.login(demo.users["security_officer"])

    def phones(html):
        return re.findall(r"<td>(139000000\d\d)</td>", html)
    first = client.get("/sms/outbox").get_data(as_text=True)
    assert "短信发件箱" in first
    assert phones(first) == ["13900000001", "13900000002"] and "1 / 2 页，共 3 条" in first
    second = client.get("/sms/outbox?page=2").get_data(as_text=True)
    assert phones(second) == ["13900000003"]
    # The province's message is outside the county officer's subtree; no text is ever shown.
    assert "13900000000" not in first + second
    assert not any(word in first + second for word in ("最早的短信", "其次的短信", "最新的短信"))


def test_outbox_page_lists_the_authorisation_code_message_without_the_code(client, auth, demo):
    auth.login(demo.users["security_officer"])
    auth.post("/auth/accounts/new", {"name": "刘新", "id_number": "11010119850101005X", "phone": PHONE,
                                     "org_id": demo.orgs["branch2"].id, "role": "branch_admin"})
    code = re.search(r"授权码为([A-Z0-9]{8})", sent_sms(PHONE)).group(1)
    html = client.get("/sms/outbox").get_data(as_text=True)
    row = re.search(r"<tbody>(.*)</tbody>", html, re.S).group(1)
    assert PHONE in row and "授权码" in row and "已发送" in row
    assert code not in html and "7天内有效" not in html
