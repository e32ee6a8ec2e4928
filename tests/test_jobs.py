"""Background jobs on huey (app/jobs): enqueued after the commit, run in their own app context, progress and
result on the job page; one test runs a real consumer process (`flask jobs worker`) on the SQLite queue."""
import io
import os
import re
import subprocess
import sys
import time
from urllib.parse import urlencode

from openpyxl import load_workbook

from app.extensions import db
from app.jobs.models import Job
from app.jobs.queue import enqueue_after_commit, task
from app.workflow import simulate
from tests.conftest import count, csrf_token, login

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = []


@task()
def _record(value):
    RUNS.append(value)


def _signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_a_task_runs_after_the_commit_and_never_after_a_rollback(app):
    RUNS.clear()
    enqueue_after_commit(_record, "rolled back")
    db.session.rollback()
    enqueue_after_commit(_record, "committed")
    assert RUNS == []
    db.session.commit()
    assert RUNS == ["committed"]


def test_the_query_export_runs_as_a_job_with_its_file(app, demo, actors):
    for seq, name in ((1, "王一"), (2, "王二"), (3, "李三")):
        simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], seq, name=name)
    county = _signed_in(app, demo.users["county_admin"])
    params = urlencode([("search", "1"), ("c0_f", "person.name"), ("c0_m", "prefix"), ("c0_v", "王")])
    assert 'data-testid="export-job"' in county.get("/query/?" + params).get_data(as_text=True)
    response = county.post("/query/export-job?" + params, data={"csrf_token": csrf_token(county, "/query/")})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    html = county.get(job_url).get_data(as_text=True)
    assert 'data-job-status="done"' in html and 'data-testid="job-file"' in html and "job_poll.js" in html
    job_id = int(re.search(r"/jobs/(\d+)", job_url).group(1))
    status = county.get(f"/jobs/{job_id}.json").get_json()
    assert status == {"status": "done", "percent": 100, "done": 2, "total": 2, "error": ""}
    sheet = load_workbook(io.BytesIO(county.get(f"/jobs/{job_id}/file").data)).active
    assert sorted(row[1] for row in list(sheet.values)[1:]) == ["王一", "王二"]
    # A job is its starter's: another admin, even above, gets 404.
    other = _signed_in(app, demo.users["province_admin"])
    assert other.get(job_url).status_code == 404 and other.get(f"/jobs/{job_id}/file").status_code == 404


def test_a_failing_job_is_marked_failed(app, demo, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    app.config["UPLOAD_FOLDER"] = str(blocked)  # the export's file cannot be stored: the job fails for real
    county = _signed_in(app, demo.users["county_admin"])
    response = county.post("/query/export-job?search=1", data={"csrf_token": csrf_token(county, "/query/")})
    html = county.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-job-status="failed"' in html and "任务失败：" in html


def test_a_real_consumer_runs_the_county_verification(app, demo, actors, tmp_path):
    """The web side enqueues into the SQLite queue file; `flask jobs worker` (its own process) runs the job."""
    from app import create_app
    simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="核验人")
    queue_file = str(tmp_path / "jobs.sqlite3")
    web = create_app({**{k: v for k, v in app.config.items() if k.isupper()},
                      "JOBS_IMMEDIATE": False, "JOBS_SQLITE": queue_file})
    env = {**os.environ, "FLASK_APP": "wsgi.py", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "JOBS_SQLITE": queue_file, "JOBS_IMMEDIATE": "0",
           "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "worker"}
    worker = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "flask"), "jobs", "worker",
                               "--workers", "1"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        auditor = web.test_client()
        with web.app_context():
            login(auditor, demo.users["auditor"])
            response = auditor.post("/audit/verify", data={"csrf_token": csrf_token(auditor, "/audit/")})
            job_url = response.headers["Location"]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # the worker polls its queue; wait for it, bounded
                state = auditor.get(job_url + ".json").get_json()
                if state["status"] in ("done", "failed"):
                    break
                time.sleep(0.2)
            assert state["status"] == "done", state
            html = auditor.get(job_url).get_data(as_text=True)
            assert 'data-testid="verify-clean"' in html and "核验实例 1 个" in html
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert "verify_scope_job" in output, output[-2000:]
    with app.app_context():
        assert count(Job, Job.status == "done") == 1
