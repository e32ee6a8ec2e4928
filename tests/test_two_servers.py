"""Several servers: two gunicorn processes on two ports, one PostgreSQL, one Redis, one upload folder.

A session (and a captcha) started on server A works on server B, a lost race across the servers is a 409 for
the loser, the sign-in rate limit counts the attempts of both servers together (Flask-Limiter on Redis), and a
file uploaded through A is served by B. PostgreSQL run only (``scripts/pg_test.sh``): SQLite is one machine's
file. Redis is Debian's redis-server (scripts/sysdeps.sh), started here on a free port without persistence.
The background-job part of issue 16 (a job queued on one server, run by a worker) is not covered here.
"""
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
import requests

from app.extensions import db
from app.workflow import services, simulate
from forms import APPLICATION_FORM

from conftest import _INPUT, _META, STRICT, TEST_DATABASE_URL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="several servers need PostgreSQL (the PostgreSQL run)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture
def redis_url(tmp_path):
    """A Redis on 127.0.0.1 and a free port, no persistence; stopped (by its pid) afterwards."""
    if not os.path.exists(REDIS):
        if STRICT:
            pytest.fail("redis-server missing (scripts/sysdeps.sh installs it)")
        pytest.skip("redis-server missing (apt-get install redis-server)")
    port, pidfile = _free_port(), tmp_path / "redis.pid"
    subprocess.run([REDIS, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                    "--daemonize", "yes", "--pidfile", str(pidfile), "--dir", str(tmp_path),
                    "--logfile", str(tmp_path / "redis.log")], check=True)
    try:
        _wait_for_port(port, None)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        for _ in range(50):
            if pidfile.exists():
                break
            time.sleep(0.1)
        if pidfile.exists():
            pid = int(pidfile.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)


@pytest.fixture
def servers(app, demo, redis_url, tmp_path):
    """Two gunicorn servers (one sync worker each) on the test's database, one Redis, the app's upload folder.
    Yields their base URLs; both are stopped afterwards."""
    db.session.commit()
    env = dict(os.environ, PYTHONPATH=ROOT, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY="two-servers-secret", UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"], REDIS_URL=redis_url,
               LOGIN_LIMIT_PER_ACCOUNT="3 per minute", INSTANCE_PATH=str(tmp_path / "instance"))
    env.pop("RATELIMIT_STORAGE_URI", None)
    procs, bases = [], []
    try:
        for _ in range(2):
            port = _free_port()
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                 "tests.two_server_app:app"], cwd=ROOT, env=env))
            bases.append(f"http://127.0.0.1:{port}")
        # One worker process on the shared queue (Redis): jobs started on either server run there.
        procs.append(subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "flask"), "jobs", "worker",
                                       "--workers", "1"], cwd=ROOT, env=dict(env, FLASK_APP="wsgi.py")))
        for proc, base in zip(procs, bases):
            _wait_for_port(int(base.rsplit(":", 1)[1]), proc)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _csrf(html: str) -> str:
    match = _META.search(html) or _INPUT.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _token(base, user, password="Demo12345"):
    return requests.post(f"{base}/api/v1/auth/token", json={"username": user.username, "password": password})


def test_session_conflict_rate_limit_files_and_a_job_across_two_servers(app, demo, servers):
    a, b = servers
    user = demo.users["branch1:branch_admin"]

    # Session: the login page (CSRF in the signed session) and the captcha drawn on A, the form posted to B,
    # then the inbox read on A with the cookie B set.
    browser = requests.Session()
    token = _csrf(browser.get(f"{a}/auth/login").text)
    assert browser.get(f"{a}/auth/captcha.png").status_code == 200
    answer = browser.get(f"{b}/auth/captcha/test-answer").json()["answer"]
    login = browser.post(f"{b}/auth/login", data={"csrf_token": token, "username": user.username,
                                                  "password": "Demo12345", "captcha": answer},
                         allow_redirects=False)
    assert login.status_code == 302 and "/auth/login" not in login.headers["Location"]
    inbox = browser.get(f"{a}/inbox/", allow_redirects=False)
    assert inbox.status_code == 200 and user.name in inbox.text

    # Files: uploaded through A's API, served by B to the session started on B.
    headers = {"Authorization": f"Bearer {_token(a, user).json()['token']}"}
    upload = requests.post(f"{a}/api/v1/attachments", headers=headers,
                           files={"file": ("scan.png", io.BytesIO(simulate.TINY_PNG), "image/png")})
    assert upload.status_code == 201, upload.text
    sha = upload.json()["sha256"]
    served = browser.get(f"{b}/attachments/{sha}")
    assert served.status_code == 200 and served.content == simulate.TINY_PNG

    # Conflict: one person waiting at step 2; the same version submitted on A, then on B.
    data = simulate.sample(APPLICATION_FORM, sha, org_id=demo.orgs["branch1"].id)
    person = services.start_application(user, data, "submit")
    db.session.commit()
    task = next(t for t in requests.get(f"{b}/api/v1/tasks?view=mine", headers=headers).json()["items"]
                if t["person_id"] == person.id)
    detail = requests.get(f"{b}/api/v1/tasks/{task['id']}", headers=headers).json()
    action = next(a for a in ("submit", "report") if a in detail["actions"])
    payload = {"action": action, "version": detail["version"],
               "data": simulate.sample(detail["form"], sha)}
    first = requests.post(f"{a}/api/v1/tasks/{task['id']}", headers=headers, json=payload)
    assert first.status_code == 200, first.text
    second = requests.post(f"{b}/api/v1/tasks/{task['id']}", headers=headers, json=payload)
    assert second.status_code == 409 and second.json() == {"error": "已被他人处理"}

    # Rate limit per account (3 a minute here) counted over both servers: two wrong passwords on A, one on
    # B, and the fourth attempt on B is refused although B itself has seen only one.
    target = demo.users["branch2:branch_admin"]
    for base in (a, a, b):
        assert _token(base, target, "Wrong12345").status_code == 401
    refused = _token(b, target, "Wrong12345")
    assert refused.status_code == 429 and "操作过于频繁" in refused.json()["error"]

    # A background job started on A (the 综合查询 export) runs in the worker through the shared Redis queue;
    # its progress and its file are read on B.
    started = browser.post(f"{a}/query/export-job", data={"csrf_token": _csrf(browser.get(f"{a}/query/").text)},
                           allow_redirects=False)
    assert started.status_code in (302, 303), started.text[:500]
    job_path = urlsplit(started.headers["Location"]).path
    deadline, state = time.monotonic() + 60, {}
    while time.monotonic() < deadline:   # the worker polls its queue: wait for it, bounded
        state = browser.get(f"{b}{job_path}.json").json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state.get("status") == "done", state
    workbook = browser.get(f"{b}{job_path}/file")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"

