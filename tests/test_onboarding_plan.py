"""数据导入, plan then apply: the import of a file its dry run passed writes the dry run's kept plan without
checking again; a plan that does not hold (tampered, expired, someone else's, another version) means a full check."""
import hashlib
import io
import os
import time

import pytest
import sqlalchemy as sa

from app.audit.verify import verify_instance
from app.events.models import Event
from app.extensions import db
from app.jobs.models import Job
from app.onboarding import plans, samples, services
from app.orgs.services import create_org, move_org
from app.people.models import Person
from app.workflow.errors import Conflict
from app.workflow.models import ProcessInstance, ProcessVersion
from app.workflow.simulate import make_id_number
from app.workflow.versions import DEVELOPMENT, active_version
from tests.conftest import count, csrf_token, signed_in


def _content(branch, first=500, steps=(3, 7, 19)):
    version_id = active_version(DEVELOPMENT).id
    return samples.filled_workbook(version_id, [
        samples.sample_values(version_id, step, branch.name, id_number=make_id_number(first + i), name=f"计划{i}")
        for i, step in enumerate(steps)])


def _plan_files() -> list[str]:
    folder = plans._folder()
    return os.listdir(folder) if os.path.isdir(folder) else []


def _job(client, content, action) -> dict:
    response = client.post("/onboarding/", data={"csrf_token": csrf_token(client, "/onboarding/"),
                                                 "action": action, "file": (io.BytesIO(content), "在途.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    db.session.expire_all()
    return db.session.scalars(sa.select(Job).order_by(Job.id.desc())).first().result


def test_an_import_after_its_dry_run_writes_the_plan_without_checking_again(app, demo):
    content = _content(demo.orgs["branch1"])
    county = signed_in(app, {"c": demo.users["county_admin"]})["c"]
    checked = _job(county, content, "check")
    assert checked["problem_count"] == 0 and checked["rows"] == 3 and not checked["from_plan"]
    assert count(Person) == 0 and len(_plan_files()) == 1
    imported = _job(county, content, "import")
    assert imported["from_plan"] and imported["imported"] == 3 and count(Person) == 3
    assert _plan_files() == []  # taken: it serves one import at most
    for person in db.session.scalars(sa.select(Person)):
        assert person.org_id == demo.orgs["branch1"].id
        assert db.session.scalars(sa.select(Event.action).where(Event.instance_id == person.instance_id)).all() \
            == ["import"]
        assert verify_instance(person.instance_id)[0] == []  # the replay reaches what the plan wrote
    # The same file again: no plan left, the check finds the ID numbers taken, nothing more is written.
    again = _job(county, content, "import")
    assert not again["from_plan"] and again["imported"] == 0 and count(Person) == 3
    assert "该公民身份证号码已存在于系统中" in {p[4] for p in again["problems"]}


def _tamper(actor, sha):
    path = plans._path(actor.id, sha)
    with open(path, "rb") as fh:
        sealed = bytearray(fh.read())
    sealed[-1] ^= 1
    with open(path, "wb") as fh:
        fh.write(bytes(sealed))


def _expire(actor, sha):
    planned = plans.take(actor, sha, active_version(DEVELOPMENT).id)
    plans.keep(actor, sha, active_version(DEVELOPMENT).id, planned,
               kept_at=time.time() - plans.KEEP_FOR.total_seconds() - 1)


def _activate_another_version(_actor, _sha):
    old = active_version(DEVELOPMENT)
    old.state = "retired"
    db.session.add(ProcessVersion(process_id=DEVELOPMENT, version=old.version + 1, name=old.name, state="active",
                                  bpmn_xml=old.bpmn_xml, checksum=old.checksum, comment="同图新版"))
    db.session.flush()


@pytest.mark.parametrize("spoil", ["tampered", "expired", "other user", "other version"])
def test_a_plan_that_does_not_hold_means_the_file_is_checked_again(app, demo, spoil):
    actor, content = demo.users["county_admin"], _content(demo.orgs["branch1"])
    sha = hashlib.sha256(content).hexdigest()
    assert services.dry_run(actor, content).ok
    importer = actor
    if spoil == "tampered":
        _tamper(actor, sha)
    elif spoil == "expired":
        _expire(actor, sha)
    elif spoil == "other user":
        importer = demo.users["city_admin"]  # the branch is in its scope too
    else:
        _activate_another_version(actor, sha)
    report = services.import_file(importer, content, "x.xlsx")
    kept = [os.path.basename(plans._path(actor.id, sha))] if spoil == "other user" else []
    assert _plan_files() == kept  # a plan read is removed, whether it held or not
    assert not report.from_plan and len(report.planned) == 3 and count(Person) == 3
    version = active_version(DEVELOPMENT).id
    assert set(db.session.scalars(sa.select(ProcessInstance.process_version_id))) == {version}


def test_an_id_number_taken_between_the_dry_run_and_the_import_imports_nothing(app, demo):
    branch = demo.orgs["branch1"]
    content = _content(branch)
    county = signed_in(app, {"c": demo.users["county_admin"]})["c"]
    assert _job(county, content, "check")["problem_count"] == 0
    taken = make_id_number(501)
    with db.engine.begin() as other:  # another user files an application with one of the file's ID numbers
        instance_id = other.execute(sa.insert(ProcessInstance.__table__).values(
            process_version_id=active_version(DEVELOPMENT).id, state="", status="running",
            version=1)).inserted_primary_key[0]
        other.execute(sa.insert(Person.__table__).values(name="抢先", id_number=taken, org_id=branch.id,
                                                         org_path=branch.path, instance_id=instance_id))
    outcome = _job(county, content, "import")
    assert outcome["error"].startswith("已被他人处理") and outcome["imported"] == 0
    assert count(Person) == 1 and count(Event) == 0 and _plan_files() == []
    # Directly: the plan's write meets the unique index, a Conflict, and the caller's rollback keeps nothing.
    actor = demo.users["county_admin"]
    # One file for both calls: a workbook written in another second differs (its timestamp) and has no plan.
    later = _content(branch, first=600)
    services.dry_run(actor, later)
    with db.engine.begin() as other:
        other.execute(sa.update(Person.__table__).where(Person.__table__.c.id_number == taken)
                      .values(id_number=make_id_number(600)))
    with pytest.raises(Conflict):
        services.import_file(actor, later)
    db.session.rollback()
    assert count(Person) == 1 and count(Event) == 0


def test_a_branch_moved_out_of_scope_after_the_dry_run_is_refused(app, demo):
    actor, branch = demo.users["county_admin"], demo.orgs["branch1"]
    content = _content(branch)
    assert services.dry_run(actor, content).ok
    elsewhere = create_org("中共别县委员会", "county", demo.orgs["city"])
    move_org(db.session.get(type(branch), branch.id), create_org("别镇党委", "committee", elsewhere))
    with pytest.raises(services.ImportRefused) as refused:
        services.import_file(actor, content, "x.xlsx")
    assert refused.value.report.from_plan
    assert {(p.column, p.message) for p in refused.value.report.problems} == {("所属党支部", plans.OUT_OF_SCOPE)}
    assert len(refused.value.report.problems) == 3 and count(Person) == 0


def test_plans_nobody_imported_are_removed_once_expired(app, demo):
    actor, content = demo.users["county_admin"], _content(demo.orgs["branch1"])
    assert services.dry_run(actor, content).ok
    path = plans._path(actor.id, hashlib.sha256(content).hexdigest())
    plans.forget_expired()
    assert os.path.exists(path)
    old = time.time() - plans.KEEP_FOR.total_seconds() - 1
    os.utime(path, (old, old))
    plans.forget_expired()
    assert not os.path.exists(path)
