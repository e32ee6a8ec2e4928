"""Verification: replay to the end equals the stored state for every kind of history, and direct
tampering with an event row, a state row or a stored file is reported with instance and event."""
import os

import pytest
import sqlalchemy as sa

from app.audit import verify
from app.audit.replay import HANDLERS, ReplayError, replay
from app.audit import records
from app.extensions import db
from app.people.models import Person
from app.workflow import services, simulate


def _person(demo, actors, seq=1, **advance):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], seq, name=f"测试{seq}")
    if advance:
        simulate.advance(person, actors, **advance)
    return db.session.get(Person, person.id)


def _ctx(person):
    db.session.expire_all()
    return services.load(db.session.get(Person, person.id))


def _reject_and_resubmit(person, actors):
    """Step 2 reported, rejected, edited, reported again and approved."""
    branch, committee = actors["branch_admin"], actors["committee_admin"]
    sha = simulate.stored_sample_file(branch)
    ctx = _ctx(person)
    services.act(branch, ctx, ctx.ready[0].id, "report", simulate.sample("step02_talk", sha, talk_date="2020-01-21"))
    db.session.commit()
    ctx = _ctx(person)
    services.act(committee, ctx, ctx.ready[0].id, "reject", opinion="谈话记录不完整")
    db.session.commit()
    ctx = _ctx(person)
    services.act(branch, ctx, ctx.ready[0].id, "save", simulate.sample("step02_talk", sha, talk_date="2020-01-22"))
    db.session.commit()
    ctx = _ctx(person)
    services.act(branch, ctx, ctx.ready[0].id, "report", simulate.sample("step02_talk", sha, talk_date="2020-01-23"))
    db.session.commit()
    ctx = _ctx(person)
    services.act(committee, ctx, ctx.ready[0].id, "approve", opinion="同意")
    db.session.commit()


def _findings(person):
    db.session.expire_all()
    findings, _, _ = verify.verify_instance(db.session.get(Person, person.id).instance_id)
    return findings


def _instance_id(person):
    return db.session.get(Person, person.id).instance_id


def test_handler_table_covers_every_action_services_record():
    assert set(services.ACTION_LABELS) <= set(HANDLERS)


def test_whole_procedure_replays_clean(app, demo, actors):
    person = _person(demo, actors, until_step=None)
    assert db.session.get(Person, person.id).status == "completed"
    findings, events, files = verify.verify_instance(_instance_id(person))
    assert findings == [] and events == 33 and files >= 1


def test_start_event_records_the_diagram_checksum(app, demo, actors):
    person = _person(demo, actors)
    start = records.event_dicts(_instance_id(person))[0]
    assert start["action"] == "start" and len(start["data"]["spec_ref"].split(":")[0]) == 64


def test_rejected_and_resubmitted_replays_clean(app, demo, actors):
    person = _person(demo, actors)
    _reject_and_resubmit(person, actors)
    actions = [e["action"] for e in records.event_dicts(_instance_id(person))]
    assert actions == ["start", "submit", "report", "reject", "save", "report", "approve"]
    assert _findings(person) == []
    snap = replay(records.event_dicts(_instance_id(person)), lambda v: records.version_source(v, {}), upto=4)
    assert snap.reviews == {"step02_review": "reject"}


def test_cancelled_and_restored_replays_clean(app, demo, actors):
    person = _person(demo, actors, until_step=3)
    services.cancel(actors["branch_admin"], _ctx(person), "本人申请暂缓", [])
    db.session.commit()
    assert _findings(person) == []
    services.restore(actors["county_admin"], _ctx(person), "情况已核实", [])
    db.session.commit()
    simulate.advance(db.session.get(Person, person.id), actors, until_step=5)
    assert _findings(person) == []


def test_moved_back_a_stage_replays_clean(app, demo, actors):
    person = _person(demo, actors, until_step=9)
    assert db.session.get(Person, person.id).stage == 3
    county = actors["county_admin"]
    services.move_back(county, _ctx(person), "activist", "培养考察不足", [simulate.stored_sample_file(county)])
    db.session.commit()
    assert db.session.get(Person, person.id).stage == 2
    simulate.advance(db.session.get(Person, person.id), actors, until_step=10)
    assert _findings(person) == []


def test_tampered_event_row_is_reported_with_its_event(app, demo, actors):
    person = _person(demo, actors, until_step=4)
    instance_id = _instance_id(person)
    db.session.execute(sa.text("UPDATE event SET data = :data WHERE instance_id = :i AND seq = 3"),
                       {"data": '{"step03": {"talk_date": "2099-01-01"}}', "i": instance_id})
    db.session.commit()
    findings = _findings(person)
    chain = [f for f in findings if f.kind == "chain"]
    assert [(f.instance_id, f.seq) for f in chain] == [(instance_id, 3)]
    assert "实例 %d" % instance_id in chain[0].line() and "事件 #3" in chain[0].line()


def test_deleted_event_row_is_reported(app, demo, actors):
    person = _person(demo, actors, until_step=4)
    instance_id = _instance_id(person)
    db.session.execute(sa.text("DELETE FROM event WHERE instance_id = :i AND seq = 2"), {"i": instance_id})
    db.session.commit()
    assert {(f.kind, f.seq) for f in _findings(person)} >= {("chain", 3)}


def test_tampered_state_row_is_reported_with_the_event_that_wrote_it(app, demo, actors):
    person = _person(demo, actors, until_step=4)
    instance_id = _instance_id(person)
    events = records.event_dicts(instance_id)
    step2 = next(e for e in events if e["task_name"] == "step02_talk")
    talk_date = step2["data"]["step02"]["talk_date"]
    db.session.execute(sa.text("UPDATE process_instance SET state = REPLACE(state, :old, :new) WHERE id = :i"),
                       {"old": talk_date, "new": "1999-09-09", "i": instance_id})
    db.session.commit()
    findings = _findings(person)
    assert findings and all(f.kind == "state" and f.instance_id == instance_id for f in findings)
    assert any(f.seq == step2["seq"] and "step02_talk" in f.message for f in findings)


def test_tampered_status_is_reported(app, demo, actors):
    person = _person(demo, actors, until_step=3)
    instance_id = _instance_id(person)
    db.session.execute(sa.text("UPDATE process_instance SET status = 'completed' WHERE id = :i"), {"i": instance_id})
    db.session.commit()
    assert [f.kind for f in _findings(person)] == ["state"]


def test_overwritten_file_is_reported_with_each_event_citing_it(app, demo, actors):
    person = _person(demo, actors, until_step=3)
    instance_id = _instance_id(person)
    events = records.event_dicts(instance_id)
    sha = next(sha for e in events for sha in e["attachments"])
    citing = [e["seq"] for e in events if sha in e["attachments"]]
    with open(records.file_path(sha), "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n not the original bytes")
    findings = _findings(person)
    assert [(f.kind, f.instance_id, f.seq) for f in findings] == [("file", instance_id, s) for s in citing]
    os.remove(records.file_path(sha))
    assert all("文件不存在" in f.message for f in _findings(person))


def test_altered_process_version_is_reported(app, demo, actors):
    person = _person(demo, actors, until_step=3)
    db.session.execute(sa.text("UPDATE process_version SET bpmn_xml = :x"), {"x": b"<definitions/>"})
    db.session.commit()
    kinds = {(f.kind, f.seq) for f in _findings(person)}
    assert ("version", 1) in kinds and ("replay", 1) in kinds


def test_cli_exits_non_zero_on_findings_and_zero_when_clean(app, demo, actors):
    first = _person(demo, actors, 1, until_step=4)
    _person(demo, actors, 2, until_step=3)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "实例 2 个" in result.output and "未发现问题" in result.output
    db.session.execute(sa.text("UPDATE event SET actor_name = '某人' WHERE instance_id = :i AND seq = 2"),
                       {"i": _instance_id(first)})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--org", str(demo.orgs["county"].id)])
    assert result.exit_code == 1
    assert f"实例 {_instance_id(first)}（测试1） 事件 #2" in result.output
    other_branch = runner.invoke(args=["audit", "verify", "--org", str(demo.orgs["branch3"].id)])
    assert other_branch.exit_code == 0 and "实例 0 个" in other_branch.output


def test_operations_log_tampering_is_reported(app, demo):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    row_id = db.session.scalar(sa.text("SELECT MIN(id) FROM operation_log"))
    db.session.execute(sa.text("UPDATE operation_log SET target = 'x' WHERE id = :i"), {"i": row_id})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"操作日志 #{row_id}" in result.output


def test_migrated_instance_replays_clean(app, demo, actors):
    from app.designer import migration
    from app.workflow import engine
    from app.workflow.models import ProcessInstance, ProcessVersion
    person = _person(demo, actors, until_step=3)
    source = db.session.get(ProcessInstance, _instance_id(person)).process_version
    xml = source.bpmn_xml + b"\n<!-- version 2 -->\n"
    target = ProcessVersion(process_id=source.process_id, version=2, name=source.name, bpmn_xml=xml,
                            checksum=engine.checksum(xml), state="active")
    source.state = "retired"
    db.session.add(target)
    db.session.commit()
    assert [c.ok for c in migration.migrate(demo.users["designer"], source, target)] == [True]
    db.session.commit()
    simulate.advance(db.session.get(Person, person.id), actors, until_step=5)
    events = records.event_dicts(_instance_id(person))
    assert "migrate" in [e["action"] for e in events]
    assert _findings(person) == []
    snap = replay(events, lambda v: records.version_source(v, {}))
    assert snap.version_id == target.id


def test_amended_step_replays_clean_and_a_forged_before_is_caught(app, demo, actors):
    person = _person(demo, actors, until_step=4)
    # Step 3's stage is still open at step 4 (its closing review is step 6's, R32).
    services.amend_step(actors["branch_admin"], _ctx(person), 3, {"native_place": "山东宁阳"}, expected_version=None)
    db.session.commit()
    simulate.advance(db.session.get(Person, person.id), actors, until_step=6)
    events = records.event_dicts(_instance_id(person))
    amend = next(e for e in events if e["action"] == "amend")
    assert _findings(person) == []
    snap = replay(events, lambda v: records.version_source(v, {}), upto=amend["seq"])
    step3 = [t for t in engine_completed(snap) if t.name == "step03_activist"][-1]
    assert step3.data["step03"]["native_place"] == "山东宁阳"
    forged = [dict(e, data={**e["data"], "before": {"native_place": "别处"}}) if e["seq"] == amend["seq"] else e
              for e in events]
    with pytest.raises(ReplayError) as exc:
        replay(forged, lambda v: records.version_source(v, {}))
    assert exc.value.seq == amend["seq"]


def engine_completed(snap):
    from app.workflow import engine
    return engine.completed_tasks(snap.wf)


def test_the_instance_row_holds_its_chain_end_and_a_removed_last_event_is_reported(app, demo, actors):
    person = _person(demo, actors, until_step=4)
    instance_id = _instance_id(person)
    events = records.event_dicts(instance_id)
    info = records.instance_row(instance_id)
    # The runner keeps the chain's end on the instance row, so the next append reads no event.
    assert (info.last_seq, info.last_hash) == (events[-1]["seq"], events[-1]["hash"]) and len(events) > 2
    assert _findings(person) == []
    # The last event (and only it) removed: every remaining link is intact, the row's chain end is not.
    db.session.execute(sa.text("DELETE FROM event WHERE instance_id = :i AND seq = :s"),
                       {"i": instance_id, "s": events[-1]["seq"]})
    db.session.commit()
    chain = [f for f in _findings(person) if f.kind == "chain"]
    assert [f.seq for f in chain] == [events[-2]["seq"]] and f"#{events[-1]['seq']}" in chain[0].message
