"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set),
the demo organisation tree and accounts, and helpers to log in and post forms with CSRF tokens.

PostgreSQL (``scripts/pg_test.sh`` sets TEST_DATABASE_URL): every pytest-xdist worker gets its own database,
``<db>_<worker>``, created at the worker's start and dropped at its end (``database_url``); ``empty_database_url``
gives a test a brand-new empty database (an empty SQLite file without PostgreSQL).

Browser tests (marker ``browser``): ``live_server`` serves a real app (temp SQLite, demo data, CSRF on, captcha
test hook on) from a thread; ``browser_page`` is a Playwright page in Debian's /usr/bin/chromium;
``browser_login(page, live_server, username)`` logs in through the real form. Without chromium the browser tests
are skipped (failed when STRICT=1).
"""
import itertools
import os
import re
import shutil
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from app import create_app
from app.extensions import db
from app.seed import DEMO_PASSWORD
from app.sms.services import get_sender, register_sender
from tests.baseline import Baselines, build_demo, demo_world

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
# "gw0", "gw1", ... under pytest-xdist; "main" without it.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
STRICT = os.environ.get("STRICT") == "1"


# --- PostgreSQL databases -------------------------------------------------------------------------------------------

def _admin_connection(base_url):
    """An autocommit connection to the TEST_DATABASE_URL database, for CREATE/DROP DATABASE."""
    return sa.create_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool).connect()


def create_database(base_url: str, name: str) -> str:
    """(Re)create an empty PostgreSQL database ``name`` on the server of ``base_url``; returns its URL."""
    with _admin_connection(base_url) as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_database(base_url: str, name: str) -> None:
    with _admin_connection(base_url) as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _database_name(suffix: str) -> str:
    return f"{sa.make_url(TEST_DATABASE_URL).database}_{WORKER}{suffix}".lower()


@pytest.fixture(scope="session")
def database_url():
    """This worker's own PostgreSQL database URL, or None on SQLite (each test then uses its own file)."""
    if not TEST_DATABASE_URL:
        yield None
        return
    name = _database_name("")
    url = create_database(TEST_DATABASE_URL, name)
    yield url
    drop_database(TEST_DATABASE_URL, name)


_empty_counter = itertools.count()


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with no tables: a new PostgreSQL database (dropped afterwards) or a new SQLite file."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = _database_name(f"_empty{next(_empty_counter)}")
    url = create_database(TEST_DATABASE_URL, name)
    yield url
    drop_database(TEST_DATABASE_URL, name)


# --- SMS ------------------------------------------------------------------------------------------------------------

@register_sender("test-capture")
class CaptureSender:
    """The tests' SMS gateway: keeps what it was asked to deliver in memory (``SMS_SENDER = "test-capture"``),
    so tests read codes where the phone's owner would, never from a page or the database."""
    delivers = True
    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))


def _capture_sender():
    # This module may be imported twice (as ``conftest`` and ``tests.conftest``): use the registered class.
    return get_sender("test-capture")


@pytest.fixture(autouse=True)
def _empty_sms_capture():
    _capture_sender().sent.clear()


def sent_sms(phone: str, containing: str = "") -> str | None:
    """The latest text delivered to ``phone`` (containing ``containing``), or None."""
    return next((text for to, text in reversed(_capture_sender().sent) if to == phone and containing in text), None)


# --- App, client and demo data --------------------------------------------------------------------------------------

def _app_config(tmp_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # Tests need the captcha answer and cheap password hashes; CSRF stays ON by default.
        "CAPTCHA_TEST_HOOK": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Tests log in many times from one address; tests of the limits switch them on (tests/test_limits.py).
        "RATELIMIT_ENABLED": False,
        "SMS_SENDER": "test-capture",
        # Background jobs run at once, after the transaction that enqueued them commits (app/jobs/queue.py).
        "JOBS_IMMEDIATE": True,
    }


@pytest.fixture(scope="session")
def baselines(tmp_path_factory, database_url):
    """The worker's two starting points (schema + diagrams; + demo), built on first use (tests/baseline.py)."""
    folder = tmp_path_factory.mktemp("baselines")
    return Baselines(str(folder), database_url, _app_config(folder))


@pytest.fixture
def app(request, tmp_path, database_url, baselines):
    url = database_url or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    # A test that asks for the demo starts from the point that already holds it (the ``demo`` fixture then
    # only loads it); any other from the schema with the bundled diagrams.
    kind = "demo" if "demo" in request.fixturenames else "base"
    baselines.prepare(url, kind)
    app = create_app({**_app_config(tmp_path), "SQLALCHEMY_DATABASE_URI": url})
    app.extensions["test_baseline"] = (baselines, kind)

    def _fresh_g():
        # Tests keep one app context open, which Flask reuses for every test-client request, so
        # ``g`` would carry one request's user (Flask-Login) and CSRF token (Flask-WTF) into the
        # next client's request. Production has a fresh context, hence a fresh ``g``, per request.
        from flask import g
        for key in list(g):
            g.pop(key)

    # First of all hooks: the access policy's hook reads current_user, which Flask-Login caches in ``g``.
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)

    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    """The demo tree and accounts: ``demo.orgs[key]`` and ``demo.users[role-or-key]``."""
    baselines, kind = app.extensions.get("test_baseline", (None, None))
    if kind == "demo":
        orgs, users = demo_world(baselines)
    else:   # an app of the test's own, or the demo asked for late: built here
        orgs, users = build_demo()
        db.session.commit()
    return type("Demo", (), {"orgs": orgs, "users": users})


_META = re.compile(r'name="csrf-token" content="([^"]+)"')
_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def actors(demo):
    """The demo admins who act in the sample procedure (for simulate.advance): branch1, committee1, county."""
    return {"branch_admin": demo.users["branch1:branch_admin"],
            "committee_admin": demo.users["committee1:committee_admin"],
            "county_admin": demo.users["county_admin"]}


def csrf_token(client, url="/auth/login") -> str:
    """The CSRF token of the client's session, read from a rendered page."""
    html = client.get(url).get_data(as_text=True)
    match = _META.search(html) or _INPUT.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def run_together(n: int, call, timeout: float = 120) -> list:
    """Run ``call(i)`` in ``n`` real threads released at the same moment; returns their results in order (an
    exception raised in a thread is returned in its place, so the test's assertions see it)."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def work(i):
        barrier.wait()
        try:
            results[i] = call(i)
        except Exception as exc:  # a crash in a thread must fail the test, not vanish
            results[i] = exc
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def reported_realname(demo, name: str, seq: int):
    """A 实名认证 request entered and 上报 by branch1's admin (step-1 sample data and a stored proof scan)."""
    from app.realname import services as realname
    from app.workflow import simulate
    branch = demo.users["branch1:branch_admin"]
    sha = simulate.stored_sample_file(branch)
    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id, name=name,
                           id_number=simulate.make_id_number(seq))
    data["proof_scans"] = [sha]
    return realname.save(branch, data, report=True)


def submit_form(actors, person_id: int, form_key: str, **overrides) -> None:
    """Submit (or 上报) the person's ready edit task of ``form_key`` with sample data changed by ``overrides``,
    as the task's lane role in ``actors``; commits."""
    from app.people.models import Person
    from app.workflow import services, simulate
    ctx = services.load(db.session.get(Person, person_id))
    task = next(t for t in ctx.ready if t.form_key == form_key)
    actor = actors[services.task_role(task)]
    data = simulate.sample(form_key, simulate.stored_sample_file(actor), **overrides)
    action = "report" if task.name in services.reviewed_steps(ctx) else "submit"
    services.act(actor, ctx, task.id, action, data)
    db.session.commit()


def login(client, user, password=DEMO_PASSWORD):
    """Log in through the real login form (captcha answered through the test hook)."""
    token = csrf_token(client)
    client.get("/auth/captcha.png")
    answer = client.get("/auth/captcha/test-answer").get_json()["answer"]
    response = client.post("/auth/login", data={"csrf_token": token, "username": user.username,
                                                "password": password, "captcha": answer})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def signed_in(app, users: dict) -> dict:
    """A test client per key of ``users`` ({key: user}), each logged in through the real form."""
    result = {}
    for key, user in users.items():
        result[key] = app.test_client()
        login(result[key], user)
    return result


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


# --- Browser tests ---------------------------------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Debian's chromium (never `playwright install`); the network flags keep it from calling home on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


class LiveServer:
    """A running app: ``url`` (no trailing slash), ``app``, ``accounts`` (role -> demo username), ``password``."""

    def __init__(self, app, url, accounts):
        self.app, self.url, self.accounts, self.password = app, url, accounts, DEMO_PASSWORD

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def _live_config(folder) -> dict:
    return {**_app_config(folder), "SECRET_KEY": "live-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.sqlite3'}"}


@pytest.fixture(scope="session")
def _live_seed(tmp_path_factory):
    """``flask seed-demo``'s database and stored files, built once per worker (its applicants walk the procedure
    through the real engine: seconds) and copied for each browser test; returns (folder, accounts)."""
    from app.seed import seed_demo
    from app.workflow.versions import load_bundled_diagrams
    folder = tmp_path_factory.mktemp("live_seed")
    app = create_app(_live_config(folder))
    with app.app_context():
        db.create_all()
        load_bundled_diagrams()
        accounts = {}
        for user in seed_demo():
            accounts.setdefault(user.role, user.username)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()   # the last connection's close folds the WAL into the file
    return folder, accounts


@pytest.fixture
def live_server(tmp_path, _live_seed):
    """The real app served by werkzeug in a thread on a free port: temp SQLite file, bundled diagrams, demo
    organisations, accounts and applicants (``flask seed-demo``), CSRF on, captcha test hook on."""
    from werkzeug.serving import make_server

    seed, accounts = _live_seed
    shutil.copyfile(seed / "live.sqlite3", tmp_path / "live.sqlite3")
    if (seed / "uploads").exists():
        shutil.copytree(seed / "uploads", tmp_path / "uploads")
    app = create_app(_live_config(tmp_path))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live_server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}", accounts)
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian chromium per worker (Playwright sync API)."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not found (apt-get install chromium fonts-noto-cjk): browser tests skipped"
        if STRICT:
            pytest.fail(message + " [STRICT=1]")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    """A page in a fresh browser context (own cookies), zh-CN, 1280x800, 10 s default timeout.
    ``page.js_errors`` collects uncaught page errors and Content-Security-Policy refusals (assert it is empty
    where it matters)."""
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    # What the Content-Security-Policy refused counts as an error too (the browser reports it on the console).
    page.on("console", lambda message: page.js_errors.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()


def browser_login(page, server, username, password=DEMO_PASSWORD, captcha=None):
    """Log in through the real login page; the captcha is read from the test hook with the page's own cookies
    unless ``captcha`` is given. Returns after the response page has loaded (check the outcome yourself)."""
    page.goto(server("/auth/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # The answer is put into the session by the captcha image request, so wait for the image to load.
    page.wait_for_function("() => { const i = document.getElementById('captcha-img');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    if captcha is None:
        response = page.request.get(server("/auth/captcha/test-answer"))
        assert response.ok, f"captcha test hook answered {response.status}"
        captcha = response.json()["answer"]
    page.fill("input[name=captcha]", captcha)
    with page.expect_navigation():
        page.click("form button[type=submit]")
