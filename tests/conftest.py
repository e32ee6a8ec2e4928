"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set),
the demo organisation tree and accounts, and helpers to log in and post forms with CSRF tokens."""
import os
import re

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.seed import DEMO_PASSWORD

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture
def app(tmp_path):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # Tests need the captcha answer and cheap password hashes; CSRF stays ON by default.
        "CAPTCHA_TEST_HOOK": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    app = create_app(config)
    with app.app_context():
        if TEST_DATABASE_URL:
            db.drop_all()
        db.create_all()
        from app.workflow.versions import load_bundled_diagrams
        load_bundled_diagrams()
        db.session.commit()
        yield app
        db.session.remove()
        if TEST_DATABASE_URL:
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    """The demo tree and accounts: ``demo.orgs[key]`` and ``demo.users[role-or-key]``."""
    from app.seed import DEMO_ACCOUNTS, build_tree
    from app.auth.services import create_user
    orgs = build_tree()
    users = {}
    for i, (username, name, role, key) in enumerate(DEMO_ACCOUNTS):
        user = create_user(username=username, name=name, role=role, org=orgs[key],
                           password=DEMO_PASSWORD, phone=f"1380000{i:04d}")
        users.setdefault(role, user)
        users[key + ":" + role] = user
    db.session.commit()
    return type("Demo", (), {"orgs": orgs, "users": users})


_META = re.compile(r'name="csrf-token" content="([^"]+)"')
_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url="/auth/login") -> str:
    """The CSRF token of the client's session, read from a rendered page."""
    html = client.get(url).get_data(as_text=True)
    match = _META.search(html) or _INPUT.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client, user, password=DEMO_PASSWORD):
    """Log in through the real login form (captcha answered through the test hook)."""
    token = csrf_token(client)
    client.get("/auth/captcha.png")
    answer = client.get("/auth/captcha/test-answer").get_json()["answer"]
    response = client.post("/auth/login", data={"csrf_token": token, "username": user.username,
                                                "password": password, "captcha": answer})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def auth(client):
    """``auth.login(user)`` logs the test client in; ``auth.post(url, data)`` posts with a CSRF token."""
    class Auth:
        def login(self, user, password=DEMO_PASSWORD):
            return login(client, user, password)

        def post(self, url, data=None, **kwargs):
            data = dict(data or {})
            data.setdefault("csrf_token", csrf_token(client, "/auth/login"))
            return client.post(url, data=data, **kwargs)
    return Auth()


def count(model, *where) -> int:
    """Rows of a model matching conditions."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
