"""数据导入's batch path: the runner records prepared ``import`` events exactly as one ``run`` per person would."""
import pytest
import sqlalchemy as sa

from app.audit.replay import meaning
from app.audit.verify import verify_instance
from app.checks.models import CheckFact
from app.events.models import Event, OperationLog
from app.extensions import db
from app.inbox.models import HumanTask, TaskRef
from app.onboarding import checker, samples, services
from app.people.models import Person, PersonField
from app.workflow import engine, runner
from app.workflow.errors import Conflict
from app.workflow.models import ProcessInstance, ProcessVersion
from app.workflow.simulate import make_id_number
from app.workflow.versions import DEVELOPMENT, active_version
from tests.conftest import count

# Steps reached: the first ones, R03's skip (step 3 without the talk), a review on the way, and past the
# admitting 支部大会 (入党日期, 预备期满 and the deadlines counted from the fact row).
STEPS = (2, 3, 7, 14, 17, 19, 23)


def _content(version_id, branch, *, skip_talk_at=3):
    rows = []
    for i, step in enumerate(STEPS):
        row = samples.sample_values(version_id, step, branch, id_number=make_id_number(300 + i), name=f"批量{i}")
        if step == skip_talk_at:
            row = {k: v for k, v in row.items() if not k.startswith("step02.")}
            row["step01.apply_date"] = "2013-05-02"
        rows.append(row)
    return samples.filled_workbook(version_id, rows)


def _snapshot() -> dict:
    """Every row the import wrote, keyed by ID number, without ids, task UUIDs and clock times."""
    people = {p.id: p for p in db.session.scalars(sa.select(Person))}
    key = {pid: p.id_number for pid, p in people.items()}
    skip = {"id", "instance_id", "person_id", "created_at", "updated_at", "arrived_at", "task_id"}

    def plain(row, columns):
        return {c.key: getattr(row, c.key) for c in columns if c.key not in skip}

    snap = {"person": {p.id_number: plain(p, Person.__table__.columns) for p in people.values()},
            "field": sorted((key[f.person_id], f.field, f.value_text, f.value_date)
                            for f in db.session.scalars(sa.select(PersonField))),
            "fact": {key[f.person_id]: plain(f, CheckFact.__table__.columns)
                     for f in db.session.scalars(sa.select(CheckFact))},
            "task": sorted((sorted(plain(t, HumanTask.__table__.columns).items()) + [("who", key[t.person_id])]
                           for t in db.session.scalars(sa.select(HumanTask))), key=repr),
            "task_ref": count(TaskRef), "instance": {}, "event": {}}
    for person in people.values():
        instance = db.session.get(ProcessInstance, person.instance_id)
        snap["instance"][person.id_number] = (instance.status, instance.version,
                                              meaning(engine.loads(instance.state), instance.status))
        snap["event"][person.id_number] = [
            (e.seq, e.action, e.task_name, e.task_pass, {k: v for k, v in e.data.items() if k != "person_id"},
             e.attachments, e.data["person_id"] == person.id)
            for e in db.session.scalars(sa.select(Event).where(Event.instance_id == person.instance_id))]
    return snap


def _one_run_per_person(actor, report) -> None:
    """The step-by-step reference: each person as its own ``runner.run`` of the same import event."""
    version = db.session.get(ProcessVersion, report.version_id)
    for planned in report.planned:
        ctx = runner.open_instance(version, process=DEVELOPMENT)
        person = Person(name=planned.name, id_number=planned.id_number, org_id=planned.org.id,
                        org_path=planned.org.path, org=planned.org, instance_id=ctx.instance.id)
        db.session.add(person)
        db.session.flush()
        ctx.person = person
        event = planned.prepared.event
        runner.run(actor, ctx, "import", task_name=event["task_name"], data={**event["data"], "person_id": person.id})


def test_the_batch_writes_exactly_what_one_run_per_person_writes(app, demo):
    version_id = active_version(DEVELOPMENT).id
    actor = demo.users["county_admin"]
    content = _content(version_id, demo.orgs["branch1"].name)
    report = checker.check(actor, content, for_import=True)
    assert report.ok, report.problems
    _one_run_per_person(actor, report)
    reference = _snapshot()
    db.session.rollback()
    assert count(Person) == 0
    services.import_checked(actor, checker.check(actor, content, for_import=True, processes=2), content, "x.xlsx")
    assert not [o for o in db.session.new if isinstance(o, (Person, ProcessInstance))]  # written by statements
    db.session.commit()
    batch = _snapshot()
    assert set(batch["person"]) == {make_id_number(300 + i) for i in range(len(STEPS))}
    for part in reference:
        assert batch[part] == reference[part], part
    assert any(p["join_date"] for p in batch["person"].values())          # past the 支部大会
    assert any(dict(t)["due_date"] for t in batch["task"])  # a deadline the diagram counts
    for person in db.session.scalars(sa.select(Person)):
        # The auditor's replay of the one logged event reaches the stored state.
        assert verify_instance(person.instance_id)[0] == []
    assert count(OperationLog, OperationLog.action == "onboarding.import") == 1


def test_a_refused_row_or_an_id_number_taken_meanwhile_imports_nothing(app, demo):
    version_id = active_version(DEVELOPMENT).id
    actor, branch = demo.users["county_admin"], demo.orgs["branch1"]
    content = _content(version_id, branch.name)
    bad = samples.filled_workbook(version_id, [
        samples.sample_values(version_id, 5, branch.name, id_number=make_id_number(400), name="好"),
        {**samples.sample_values(version_id, 5, branch.name, id_number=make_id_number(401), name="坏"),
         "step03.activist_date": "2099-01-01"}])
    refused = checker.check(actor, bad, for_import=True)
    assert not refused.ok and refused.planned == []
    with pytest.raises(services.ImportRefused):
        services.import_checked(actor, refused, bad, "bad.xlsx")
    report = checker.check(actor, content, for_import=True)
    assert report.ok
    # Between the check and the write another user files an application with one of the file's ID numbers:
    # the check held no write lock, so that writer went ahead; the import then finds the number taken.
    with db.engine.begin() as other:
        instance_id = other.execute(sa.insert(ProcessInstance.__table__).values(
            process_version_id=version_id, state="", status="running", version=1)).inserted_primary_key[0]
        other.execute(sa.insert(Person.__table__).values(
            name="抢先", id_number=report.planned[-1].id_number, org_id=branch.id, org_path=branch.path,
            instance_id=instance_id))
    with pytest.raises(Conflict):
        services.import_checked(actor, report, content, "x.xlsx")
    db.session.rollback()
    assert count(Person) == 1 and count(Event) == 0 and count(HumanTask) == 0 and count(PersonField) == 0
    assert count(OperationLog, OperationLog.action == "onboarding.import") == 0
