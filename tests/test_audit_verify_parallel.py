"""Verification in forked workers: the same report as one process, tampering found in a worker's slice,
and the 核验 job's progress reaching its total. Real engine, real database (SQLite file or PostgreSQL)."""
import os

import pytest
import sqlalchemy as sa

from app.audit import records, verify
from app.events.models import OperationLog
from app.extensions import db
from app.jobs import services as jobs
from app.jobs.models import Job
from app.jobs.tasks import verify_scope_job
from app.people.models import Person
from app.workflow import simulate
from tests.conftest import run_together


@pytest.fixture
def small_pool(monkeypatch):
    """Fork even for a handful of instances, one instance per slice (so every slice is a worker's)."""
    monkeypatch.setattr(verify, "POOL_MIN_INSTANCES", 2)
    monkeypatch.setattr(verify, "SLICE_MAX", 1)


def _people(demo, actors, steps=(2, 3, 4, 5, 3)) -> list[int]:
    ids = []
    for seq, step in enumerate(steps, start=1):
        person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], seq, name=f"核验{seq}")
        simulate.advance(person, actors, until_step=step)
        ids.append(db.session.get(Person, person.id).instance_id)
    db.session.commit()
    return ids


def _tamper(ids: list[int]) -> str:
    """An altered event (ids[1]), an altered state (ids[2]), an overwritten file; returns the file's sha."""
    db.session.execute(sa.text("UPDATE event SET actor_name = '某人' WHERE instance_id = :i AND seq = 2"),
                       {"i": ids[1]})
    db.session.execute(sa.text("UPDATE process_instance SET status = 'completed' WHERE id = :i"), {"i": ids[2]})
    db.session.commit()
    sha = next(sha for e in records.event_dicts(ids[3]) for sha in e["attachments"] or [])
    with open(records.file_path(sha), "wb") as fh:
        fh.write(b"not the original bytes")
    return sha


def test_parallel_report_equals_serial_on_a_tampered_scope(app, demo, actors, small_pool):
    ids = _people(demo, actors)
    clean = verify.verify_instances(ids, processes=2)
    assert clean.clean and clean.instances == len(ids) and clean.events > len(ids)
    sha = _tamper(ids)
    serial = verify.verify_instances(ids)
    done = []
    parallel = verify.verify_instances(ids, on_done=done.append, processes=2)
    assert parallel == serial
    assert sum(done) == len(ids) and len(done) == len(ids)  # one call per slice, each a worker's
    kinds = {(f.kind, f.instance_id) for f in parallel.findings}
    assert ("chain", ids[1]) in kinds and ("state", ids[2]) in kinds and ("file", ids[3]) in kinds
    assert ("chain", ids[0]) not in kinds
    assert any(sha[:12] in f.message for f in parallel.findings if f.kind == "file")
    # the parent's session still works after the forks (its connections were not closed by the children)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) >= len(ids)


def test_small_scope_stays_in_one_process(app, demo, actors):
    ids = _people(demo, actors, steps=(3,))
    done = []
    assert verify._slices(verify.POOL_MIN_INSTANCES - 1, 8) == [(0, verify.POOL_MIN_INSTANCES - 1)]
    report = verify.verify_instances(ids, on_done=done.append, processes=8)
    assert report.clean and done == [1]


def test_slices_cover_the_scope_in_order():
    slices = verify._slices(1000, 2)
    assert slices[0][0] == 0 and slices[-1][1] == 1000 and len(slices) >= 8
    assert all(a[1] == b[0] for a, b in zip(slices, slices[1:]))
    assert max(stop - start for start, stop in slices) <= verify.SLICE_MAX


def test_the_job_verifies_in_workers_with_progress_to_the_total(app, demo, actors, small_pool):
    ids = _people(demo, actors, steps=(2, 4, 3, 3))
    _tamper(ids)
    app.config["VERIFY_PROCESSES"] = 2
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OperationLog)
                               .where(OperationLog.action == "audit.verify"))
    job = jobs.start(demo.users["auditor"], "audit.verify", verify_scope_job)
    db.session.commit()  # the job runs now (JOBS_IMMEDIATE), in a worker's app context, forking its pool
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "done", job.result
    assert job.total >= len(ids) and job.done == job.total
    assert job.result["instances"] == job.total
    assert {(f["kind"], f["instance_id"]) for f in job.result["findings"]} >= {("chain", ids[1]), ("state", ids[2])}
    after = db.session.scalar(sa.select(sa.func.count()).select_from(OperationLog)
                              .where(OperationLog.action == "audit.verify"))
    assert after == before + 1


def test_the_cli_verifies_a_large_subtree_in_workers_and_finds_tampering(app, demo, actors, small_pool):
    ids = _people(demo, actors, steps=(2, 3, 3, 4))
    _tamper(ids)
    app.config["VERIFY_PROCESSES"] = 2
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"实例 {ids[1]}" in result.output and f"实例 {ids[2]}" in result.output


def test_two_runs_at_once_in_one_process_keep_their_own_instances(app, demo, actors, small_pool):
    """Two jobs in one worker's threads: each run's workers verify that run's ids, not the other's."""
    ids = _people(demo, actors, steps=(2, 3, 4, 3))
    _tamper(ids)
    halves = (ids[:2], ids[2:])
    expected = [verify.verify_instances(half) for half in halves]

    def run(i):
        with app.app_context():
            return verify.verify_instances(halves[i], processes=2)
    assert run_together(2, run) == expected
