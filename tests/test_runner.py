"""The runner forward and the replay apply the same handlers: every action kind, driven through the
services (hence the runner), gives the state that replaying its logged events gives, by meaning."""
import sqlalchemy as sa

from app.audit import records
from app.audit.replay import replay
from app.audit.verify import compare_state
from app.events.models import Event
from app.extensions import db
from app.people.models import Person
from app.workflow import handlers, runner, services, simulate
from app.workflow.models import ProcessInstance

KINDS = {"start", "save", "submit", "report", "approve", "reject", "cancel", "restore", "redevelop",
         "move_back", "amend", "correct", "migrate", "transfer"}


def _ctx(person_id):
    db.session.expire_all()
    return services.load(db.session.get(Person, person_id))


def _replays_to_stored(instance_id):
    """Replay the instance's log and compare with what the runner stored: nothing may differ."""
    events = records.event_dicts(instance_id)
    info = records.instance_row(instance_id)
    snap = replay(events, lambda vid: records.version_source(vid, {}))
    assert compare_state(events, snap, info.state, info.status, info.process_version_id) == []
    return [e["action"] for e in events]


def test_replay_and_runner_share_one_handler_table():
    from app.audit import replay as replay_module
    assert replay_module.HANDLERS is handlers.HANDLERS
    assert set(services.ACTION_LABELS) <= set(handlers.HANDLERS)


def test_every_action_kind_forward_equals_replay(app, demo, actors):
    from app.designer import migration
    from app.transfers import services as transfers
    from app.workflow import engine
    from app.workflow.models import ProcessVersion
    branch, committee, county = actors["branch_admin"], actors["committee_admin"], actors["county_admin"]
    sha = simulate.stored_sample_file(branch)
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1, name="甲")   # start, submit
    pid, iid = person.id, person.instance_id
    seen = set()

    def step(call):
        call(_ctx(pid))
        db.session.commit()
        seen.update(_replays_to_stored(iid))

    step(lambda c: services.act(branch, c, c.ready[0].id, "save", simulate.sample("step02_talk", sha)))
    step(lambda c: services.act(branch, c, c.ready[0].id, "report", simulate.sample("step02_talk", sha)))
    step(lambda c: services.act(committee, c, c.ready[0].id, "reject", opinion="不完整"))
    step(lambda c: services.act(branch, c, c.ready[0].id, "report", simulate.sample("step02_talk", sha)))
    step(lambda c: services.act(committee, c, c.ready[0].id, "approve", opinion="同意"))
    # Stage 1 is sealed once step 2 is approved (R32): only the county corrects it, with a reason and a file.
    step(lambda c: services.correct_step(county, c, 2, {"talker": "王五"}, reason="笔误", attachments=[sha],
                                         expected_version=None))
    simulate.advance(db.session.get(Person, pid), actors, until_step=5)
    assert db.session.get(Person, pid).category == "入党积极分子"
    step(lambda c: services.amend_step(branch, c, 3, {"native_place": "山东宁阳"}, expected_version=None))
    step(lambda c: services.move_back(county, c, "applicant", "材料不全", [sha]))
    assert db.session.get(Person, pid).category == "入党申请人"
    step(lambda c: services.cancel(branch, c, "本人申请暂缓", []))
    step(lambda c: services.restore(county, c, "情况已核实", []))

    source = db.session.get(ProcessInstance, iid).process_version
    xml = source.bpmn_xml + b"\n<!-- version 2 -->\n"
    target = ProcessVersion(process_id=source.process_id, version=2, name=source.name, bpmn_xml=xml,
                            checksum=engine.checksum(xml), state="active")
    source.state = "retired"
    db.session.add(target)
    db.session.commit()
    assert [c.ok for c in migration.migrate(demo.users["designer"], source, target)] == [True]
    db.session.commit()
    seen.update(_replays_to_stored(iid))

    simulate.advance(db.session.get(Person, pid), actors, until_step=3)
    transfer = transfers.request_transfer(demo.users["branch2:branch_admin"], "甲", person.id_number,
                                          demo.orgs["branch2"].id)
    db.session.commit()
    transfers.decide(branch, transfer, "approve", "同意")
    db.session.commit()
    seen.update(_replays_to_stored(iid))
    seen.update(_replays_to_stored(transfer.instance_id))
    assert db.session.get(Person, pid).org_id == demo.orgs["branch2"].id

    other = simulate.add_applicant(branch, demo.orgs["branch1"], 2, name="乙")
    services.cancel(branch, services.load(other), "本人申请", [])
    db.session.commit()
    services.redevelop(county, _ctx(other.id), "重新发展", [])
    db.session.commit()
    seen.update(_replays_to_stored(other.instance_id))
    assert KINDS <= seen, KINDS - seen


def test_realname_actions_forward_equal_replay(app, demo, actors):
    from app.realname import services as realname
    branch, county = actors["branch_admin"], actors["county_admin"]
    sha = simulate.stored_sample_file(branch)
    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id, name="实名丁",
                           id_number=simulate.make_id_number(9004))
    data["proof_scans"] = [sha]
    row = realname.save(branch, data)                                  # start, save
    db.session.commit()
    assert _replays_to_stored(row.instance_id) == ["start", "save"]
    realname.report_request(branch, row)
    db.session.commit()
    realname.reject(county, row, "证明材料不清晰")
    db.session.commit()
    assert _replays_to_stored(row.instance_id)[-1] == "reject"
    realname.save(branch, dict(data, phone="13900002222"), row, report=True)
    db.session.commit()
    realname.confirm(county, row)
    db.session.commit()
    assert _replays_to_stored(row.instance_id) == ["start", "save", "report", "reject", "report", "approve"]
    assert _replays_to_stored(db.session.get(Person, row.person_id).instance_id) == ["start", "submit"]


def test_event_rows_hold_what_the_handlers_applied(app, demo, actors):
    """The event the runner returns is the row it appended (same action, task, pass and data)."""
    branch = actors["branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1)
    ctx = services.load(person)
    task = ctx.ready[0]
    event = runner.run(branch, ctx, "save", task=task, data={task.data_key: {"talker": "张三"}})
    row = db.session.scalar(sa.select(Event).where(Event.instance_id == person.instance_id,
                                                   Event.seq == event["seq"]))
    assert (row.action, row.task_name, row.task_pass, row.data) == \
        ("save", task.name, task.pass_no, {task.data_key: {"talker": "张三"}})
