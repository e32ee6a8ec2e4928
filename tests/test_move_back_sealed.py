"""调整 (move back) and R32 with the real engine and database: within unsealed stages the branch moves a person
back at once; into a sealed stage a county admin corrects at once (reason and file), while the branch files a
调整申请 (bpmn/moveback.bpmn) that the county approves (the person moves back, shown as 更正已封存阶段) or refuses
with an opinion (the person stays). One pending request per person, scope, roles, CSRF, a lost race, and a
process that moved on meanwhile. After any move back the identity fields stay sealed."""
import io
import re

import pytest
import sqlalchemy as sa

from app.audit import verify
from app.audit.services import verify_person
from app.events.models import Event
from app.extensions import db
from app.inbox.models import HumanTask
from app.movebacks import services as movebacks
from app.movebacks.models import MoveBackRequest
from app.people.models import Person
from app.workflow import services, simulate
from tests.api_support import Tokens
from tests.conftest import count, csrf_token, login, run_together

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
BRANCH, COMMITTEE, COUNTY = "branch1:branch_admin", "committee1:committee_admin", "county:county_admin"
_VERSION = re.compile(r'name="version"[^>]*value="(\d+)"')


@pytest.fixture
def activist(demo, actors):
    """A 积极分子 at step 5: stage 1 (closing review: step 2) is sealed."""
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 11, name="调整甲")
    simulate.advance(person, actors, until_step=5)
    db.session.commit()
    return person


def _load(person):
    db.session.expire_all()
    return services.load(db.session.get(Person, person.id))


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _request(demo, person) -> MoveBackRequest:
    """The branch's 调整申请 for ``person`` (filed through the service, committed)."""
    branch = demo.users[BRANCH]
    row = movebacks.adjust(branch, _load(person), "applicant", "谈话记录有误", [simulate.stored_sample_file(branch)])
    db.session.commit()
    return row


def _post_move_back(client, person, **extra):
    return client.post(f"/process/{person.id}/move-back", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, f"/process/{person.id}"), "target": "applicant", **extra})


def _review(client, row, decision, opinion=""):
    page = client.get(f"/movebacks/{row.id}").get_data(as_text=True)
    return client.post(f"/movebacks/{row.id}/review", data={
        "csrf_token": csrf_token(client, f"/movebacks/{row.id}"), "decision": decision, "opinion": opinion,
        "version": _VERSION.search(page).group(1)})


def test_branch_files_a_request_for_a_sealed_stage_and_nothing_moves(app, client, demo, activist):
    ctx = _load(activist)
    assert services.move_back_options(demo.users[BRANCH], ctx) == [("applicant", "调整为入党申请人", "须县级审核")]
    assert services.move_back_options(demo.users[COUNTY], ctx) == [("applicant", "调整为入党申请人", "更正已封存阶段")]
    branch = _client(app, demo.users[BRANCH])
    page = branch.get(f"/process/{activist.id}").get_data(as_text=True)
    assert "调整为入党申请人（须县级审核）" in page and 'name="files"' in page
    # The stage list offers 调整 to the branch again (the server decides whether it is a request).
    assert "调整为入党申请人：调整甲" in branch.get("/people/?stage=2").get_data(as_text=True)
    events = count(Event)
    # Without 依据材料 the request is refused, nothing is written, and the dialog opens again with the
    # reason typed and the message beside it.
    refused = _post_move_back(branch, activist, reason="谈话记录有误")
    assert refused.status_code == 422 and count(MoveBackRequest) == 0 and count(Event) == events
    dialog = re.search(r'<dialog id="move-back-1"[^>]*>.*?</dialog>', refused.get_data(as_text=True), re.S).group(0)
    assert "data-open" in dialog and ">谈话记录有误</textarea>" in dialog and "须上传依据材料" in dialog
    filed = _post_move_back(branch, activist, reason="谈话记录有误", files=[(io.BytesIO(PNG), "依据.png")])
    assert filed.status_code == 303
    row = db.session.scalars(sa.select(MoveBackRequest)).one()
    assert row.status == "pending" and row.pending_person_id == activist.id and len(row.attachments) == 1
    ctx = _load(activist)
    assert ctx.person.category == "入党积极分子" and ctx.person.current_task == "step05_contacts"
    assert count(Event, Event.instance_id == ctx.instance.id, Event.action == "move_back") == 0
    [task] = db.session.scalars(sa.select(HumanTask).where(HumanTask.process == "moveback")).all()
    assert task.role == "county_admin" and task.subject_id == row.id
    page = branch.get(f"/process/{activist.id}").get_data(as_text=True)
    assert "调整申请待县级审核" in page and "调整为入党申请人（须县级审核）" not in page
    record = client.get(f"/api/v1/people/{activist.id}", headers=Tokens(client, demo)[BRANCH]).get_json()
    assert record["actions"]["move_back"] == []
    # The same request again: refused with a clear message, on the page and over the API.
    again = _post_move_back(branch, activist, reason="再次申请", files=[(io.BytesIO(PNG), "依据.png")])
    assert again.status_code == 303 and count(MoveBackRequest) == 1
    assert "请勿重复提交" in branch.get(f"/process/{activist.id}").get_data(as_text=True)
    tokens = Tokens(client, demo)
    sha = row.attachments[0]
    api = client.post(f"/api/v1/people/{activist.id}/move-back", headers=tokens[BRANCH],
                      json={"target": "applicant", "reason": "再次申请", "attachments": [sha]})
    assert api.status_code == 409 and "请勿重复提交" in api.get_json()["error"] and count(MoveBackRequest) == 1


def test_county_approves_and_the_person_moves_back_as_a_correction(app, demo, activist):
    row = _request(demo, activist)
    county = _client(app, demo.users[COUNTY])
    assert "县级审核" in county.get(f"/movebacks/{row.id}").get_data(as_text=True)
    response = _review(county, row, "approve")
    assert response.status_code == 302
    ctx = _load(activist)
    assert ctx.person.category == "入党申请人" and ctx.person.current_task == "step02_talk"
    event = db.session.query(Event).filter_by(instance_id=ctx.instance.id, action="move_back").one()
    row = db.session.get(MoveBackRequest, row.id)
    assert event.data["sealed"] is True and event.data["request_id"] == row.id and event.seq == row.move_seq
    assert event.actor_id == demo.users[COUNTY].id and event.attachments == row.attachments
    assert row.status == "approved" and row.pending_person_id is None
    assert count(HumanTask, HumanTask.process == "moveback") == 0
    assert verify_person(demo.users["auditor"], ctx.person).clean
    assert verify.verify_instances([row.instance_id]).clean  # the request's own chain replays too
    timeline = _client(app, demo.users["auditor"]).get(f"/audit/people/{activist.id}").get_data(as_text=True)
    assert "更正已封存阶段" in timeline and "谈话记录有误" in timeline and "调整申请编号" in timeline


def test_county_refuses_with_an_opinion_and_the_branch_sees_it(app, client, demo, activist):
    row = _request(demo, activist)
    tokens = Tokens(client, demo)
    task_id = db.session.scalar(sa.select(HumanTask.task_id).where(HumanTask.process == "moveback"))
    url = f"/api/v1/tasks/{task_id}"
    missing = client.post(url, headers=tokens["county_admin"], json={"action": "reject", "opinion": " "})
    assert missing.status_code == 422 and "opinion" in missing.get_json()["fields"]
    refused = client.post(url, headers=tokens["county_admin"], json={"action": "reject", "opinion": "依据不足"})
    assert refused.status_code == 200
    db.session.expire_all()
    assert db.session.get(MoveBackRequest, row.id).status == "refused"
    ctx = _load(activist)
    assert ctx.person.category == "入党积极分子" and ctx.person.current_task == "step05_contacts"
    page = _client(app, demo.users[BRANCH]).get(f"/process/{activist.id}").get_data(as_text=True)
    assert "县级审核不通过" in page and "依据不足" in page
    # Decided: a new request may be filed.
    assert _request(demo, activist).status == "pending"


def test_scope_roles_and_csrf(app, client, demo, activist):
    row = _request(demo, activist)
    other = _client(app, demo.users["branch3:branch_admin"])
    assert other.get(f"/movebacks/{row.id}").status_code == 404
    tokens = Tokens(client, demo)
    assert client.post(f"/api/v1/people/{activist.id}/move-back", headers=tokens["branch3:branch_admin"],
                       json={"target": "applicant", "reason": "x"}).status_code == 404
    committee = _client(app, demo.users[COMMITTEE])
    assert committee.post(f"/movebacks/{row.id}/review", data={
        "csrf_token": csrf_token(committee, f"/movebacks/{row.id}"), "decision": "approve"}).status_code == 403
    task_id = db.session.scalar(sa.select(HumanTask.task_id).where(HumanTask.process == "moveback"))
    assert client.post(f"/api/v1/tasks/{task_id}", headers=tokens[COMMITTEE],
                       json={"action": "approve"}).status_code == 403
    county = _client(app, demo.users[COUNTY])
    forged = county.post(f"/movebacks/{row.id}/review", data={"decision": "approve"})
    assert forged.status_code == 400
    db.session.expire_all()
    assert db.session.get(MoveBackRequest, row.id).status == "pending"
    assert _load(activist).person.category == "入党积极分子"


def test_an_approval_after_the_process_moved_on_is_refused(app, demo, actors, activist):
    # A request left pending by a process that moved on (stored before requests lapsed by themselves,
    # tests/test_move_back_lapse.py): 通过 is refused, 不通过 still closes it.
    row = _request(demo, activist)
    db.session.execute(sa.update(MoveBackRequest).where(MoveBackRequest.id == row.id)
                       .values(seen_version=MoveBackRequest.seen_version - 1))
    db.session.commit()
    with pytest.raises(movebacks.NotNow) as refused:
        movebacks.decide(demo.users[COUNTY], db.session.get(MoveBackRequest, row.id), "approve", "")
    assert "流程已变化" in refused.value.message and refused.value.status == 409
    db.session.rollback()
    movebacks.decide(demo.users[COUNTY], db.session.get(MoveBackRequest, row.id), "reject", "请按当前步骤重新申请")
    db.session.commit()
    assert _load(activist).person.category == "入党积极分子"


def test_two_county_admins_deciding_at_once_one_wins(app, demo, activist):
    row = _request(demo, activist)
    request_id, version = row.id, movebacks.instance_version(row)
    deciders = [demo.users[COUNTY], demo.users["city_admin"]]

    def approve(i):
        with app.app_context():
            try:
                movebacks.decide(db.session.merge(deciders[i]), db.session.get(MoveBackRequest, request_id),
                                 "approve", f"同意{i}", expected_version=version)
                db.session.commit()
                return "ok"
            except movebacks.Conflict:
                db.session.rollback()
                return "conflict"
            finally:
                db.session.remove()
    assert sorted(run_together(2, approve)) == ["conflict", "ok"]
    ctx = _load(activist)
    assert count(Event, Event.instance_id == ctx.instance.id, Event.action == "move_back") == 1
    assert ctx.person.category == "入党申请人"


def test_county_moves_back_a_sealed_stage_at_once_with_reason_and_file(app, client, demo, activist):
    tokens = Tokens(client, demo)
    url = f"/api/v1/people/{activist.id}/move-back"
    events = count(Event)
    missing = client.post(url, headers=tokens["county_admin"], json={"target": "applicant", "reason": " "})
    assert missing.status_code == 422 and missing.get_json()["rule"] == "R32"
    assert set(missing.get_json()["fields"]) == {"reason", "files"} and count(Event) == events
    county = _client(app, demo.users[COUNTY])
    page = county.get(f"/process/{activist.id}").get_data(as_text=True)
    assert "调整为入党申请人（更正已封存阶段）" in page and 'name="files"' in page
    response = _post_move_back(county, activist, reason="谈话记录有误，需重新谈话",
                               files=[(io.BytesIO(PNG), "依据.png")])
    assert response.status_code == 303 and count(MoveBackRequest) == 0
    ctx = _load(activist)
    assert ctx.person.category == "入党申请人" and ctx.person.current_task == "step02_talk"
    event = db.session.query(Event).filter_by(instance_id=ctx.instance.id, action="move_back").one()
    assert event.data["sealed"] is True and event.data["reason"] == "谈话记录有误，需重新谈话"
    assert verify_person(demo.users["auditor"], ctx.person).clean
    timeline = _client(app, demo.users["auditor"]).get(f"/audit/people/{activist.id}").get_data(as_text=True)
    assert "更正已封存阶段" in timeline and "依据.png" in timeline


def test_branch_moves_back_an_unsealed_stage_and_identity_stays_sealed(app, client, demo, actors):
    # R03: applied before 2014-05-28, so step 2 is skipped; at step 5 no stage's closing review is approved
    # (stage 2 closes with step 6), but step 3's review was: the identity fields are sealed.
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 12, name="调整乙",
                                    apply_date="2013-03-01")
    simulate.advance(person, actors, until_step=5)
    db.session.commit()
    branch = demo.users[BRANCH]
    assert services.move_back_options(branch, _load(person)) == [("applicant", "调整为入党申请人", "")]
    response = Tokens(client, demo)
    moved = client.post(f"/api/v1/people/{person.id}/move-back", headers=response[BRANCH],
                        json={"target": "applicant", "reason": ""})
    assert moved.status_code == 200 and count(MoveBackRequest) == 0
    ctx = _load(person)
    assert ctx.person.category == "入党申请人" and ctx.person.current_task == "step01_application"
    # The reset dropped step 3's approved review from the engine state; the seal follows the log.
    assert not any(t.is_review for t in services.engine.completed_tasks(ctx.wf))
    with pytest.raises(services.NotAllowed) as refused:
        services.amend_step(branch, ctx, 1, {"name": "调整丙"}, expected_version=None)
    assert "申请入党日期、姓名" in refused.value.message
    db.session.rollback()
    ctx = _load(person)
    task = next(t for t in ctx.ready if t.name == "step01_application")
    data = {**services.step_view(branch, ctx, 1).data, "name": "调整丙"}
    with pytest.raises(services.NotAllowed):
        services.act(branch, ctx, task.id, "submit", data)
    db.session.rollback()
    assert _load(person).person.name == "调整乙"
