"""The development procedure end to end over HTTP, with the real engine and the real diagram."""
import re

import pytest
import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.inbox.models import HumanTask
from app.people.models import Person
from app.workflow import runner, services, simulate
from app.workflow.models import ProcessInstance
from forms import get_form_class
from forms.codec import to_formdata
from tests.conftest import count, csrf_token, login

_HIDDEN = re.compile(r'name="(task_id|version)" value="([^"]+)"')


@pytest.fixture
def people(app, demo):
    """Logged-in clients: the branch1 admin, the committee1 admin, and a second committee1 admin."""
    from app.auth.services import create_user
    clients = {}
    for key, user in (("branch", demo.users["branch1:branch_admin"]),
                      ("committee", demo.users["committee1:committee_admin"])):
        c = app.test_client()
        login(c, user)
        clients[key] = c
    other = create_user(username="110101199003070256", name="另一位党委管理员", role="committee_admin",
                        org=demo.orgs["committee1"], password="Demo12345")
    db.session.commit()
    c = app.test_client()
    login(c, other)
    clients["committee2"] = c
    return clients


def _sha(demo):
    sha = simulate.stored_sample_file(demo.users["branch1:branch_admin"])
    db.session.commit()
    return sha


def _hidden(client, url):
    html = client.get(url).get_data(as_text=True)
    return dict(_HIDDEN.findall(html))


def _post_step(client, person_id, step, form_key, data, action):
    url = f"/process/{person_id}/steps/{step}"
    hidden = _hidden(client, url)
    form = to_formdata(get_form_class(form_key), data)
    form.update({"csrf_token": csrf_token(client, url), "action": action, **hidden})
    return client.post(url, data=form)


def _review(client, person_id, step, action, opinion=""):
    url = f"/process/{person_id}/steps/{step}"
    hidden = _hidden(client, url)
    return client.post(url, data={"csrf_token": csrf_token(client, url), "action": action,
                                  "opinion": opinion, **hidden})


def _add(client, demo, sha, **overrides):
    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id, **overrides)
    form = to_formdata(get_form_class("step01_application"), data)
    form.update({"csrf_token": csrf_token(client, "/process/new"), "action": "submit"})
    response = client.post("/process/new", data=form)
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]+)', response.get_data(as_text=True))
    return db.session.get(Person, int(response.headers["Location"].rsplit("/", 1)[1]))


def _ready(person):
    db.session.expire_all()
    return sorted(services.load(db.session.get(Person, person.id)).ready, key=lambda t: t.step)


def test_one_person_through_all_25_steps_over_http(people, demo):
    sha = _sha(demo)
    person = _add(people["branch"], demo, sha)
    visited = [1]
    for _ in range(60):
        ready = _ready(person)
        if not ready:
            break
        task = ready[0]
        if task.is_review:
            response = _review(people["committee"], person.id, task.step, "approve", "同意")
        else:
            reviewed = task.name in {s.name for s in services.step_catalogue(
                services.load(person).instance.process_version_id) if s.review_name}
            response = _post_step(people["branch"], person.id, task.step, task.form_key,
                                  simulate.sample(task.form_key, sha), "report" if reviewed else "submit")
            visited.append(task.step)
        assert response.status_code == 303, re.findall(r'class="error"[^>]*>([^<]+)', response.get_data(as_text=True))
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert visited == list(range(1, 26))
    assert person.status == "completed" and person.category == "正式党员"
    assert person.activist_date and person.candidate_date and person.probationary_date and person.full_member_date
    assert count(HumanTask, HumanTask.instance_id == person.instance_id) == 0
    actions = db.session.scalars(sa.select(Event.action).where(Event.instance_id == person.instance_id)
                                 .order_by(Event.seq)).all()
    assert actions.count("approve") == 7 and actions[0] == "start" and len(actions) == 1 + 25 + 7
    page = people["branch"].get(f"/process/{person.id}").get_data(as_text=True)
    assert page.count("已完成") >= 25


@pytest.mark.parametrize("apply_date, next_step", [("2014-05-27", 3), ("2014-05-28", 2)])
def test_r03_application_before_2014_05_28_skips_step_2(people, demo, apply_date, next_step):
    person = _add(people["branch"], demo, _sha(demo), apply_date=apply_date)
    assert [t.step for t in _ready(person)] == [next_step]
    page = people["branch"].get(f"/process/{person.id}").get_data(as_text=True)
    step2 = re.search(r'<tr class="step-(\w+)" data-step="2">', page).group(1)
    assert step2 == ("skipped" if next_step == 3 else "ready")
    assert ("已跳过" in page) == (next_step == 3)


def _to_step(person, demo, step):
    actors = {"branch_admin": demo.users["branch1:branch_admin"],
              "committee_admin": demo.users["committee1:committee_admin"]}
    simulate.advance(db.session.get(Person, person.id), actors, until_step=step)
    db.session.expire_all()


def test_r05_six_day_publicity_refused_beside_the_field_seven_accepted(people, demo):
    sha = _sha(demo)
    person = _add(people["branch"], demo, sha)
    _to_step(person, demo, 4)
    before = count(Event, Event.instance_id == person.instance_id)
    version = db.session.get(ProcessInstance, person.instance_id).version
    data = simulate.sample("step04_activist_publicity", sha, publicity_start="2020-03-01",
                           publicity_end="2020-03-06")
    response = _post_step(people["branch"], person.id, 4, "step04_activist_publicity", data, "submit")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'data-field="publicity_end">公示时间不得少于7天', html)
    assert 'value="2020-03-06"' in html  # the user's input is kept
    db.session.expire_all()
    assert count(Event, Event.instance_id == person.instance_id) == before
    assert db.session.get(ProcessInstance, person.instance_id).version == version
    assert [t.step for t in _ready(person)] == [4]
    data["publicity_end"] = "2020-03-07"
    response = _post_step(people["branch"], person.id, 4, "step04_activist_publicity", data, "submit")
    assert response.status_code == 303
    assert [t.step for t in _ready(person)] == [5]


def test_reject_then_resubmit(people, demo):
    sha = _sha(demo)
    person = _add(people["branch"], demo, sha)
    data = simulate.sample("step02_talk", sha, talk_date="2020-01-21")
    assert _post_step(people["branch"], person.id, 2, "step02_talk", data, "report").status_code == 303
    assert _ready(person)[0].name == "step02_review"
    response = _review(people["committee"], person.id, 2, "reject", "")
    assert response.status_code == 422 and "审核不通过时请填写审核意见" in response.get_data(as_text=True)
    assert _review(people["committee"], person.id, 2, "reject", "谈话记录不完整").status_code == 303
    ready = _ready(person)
    assert ready[0].name == "step02_talk" and ready[0].pass_no == 2
    db.session.expire_all()
    assert db.session.get(Person, person.id).review_status == "审核不通过"
    page = people["branch"].get(f"/process/{person.id}/steps/2").get_data(as_text=True)
    assert 'value="2020-01-21"' in page and "谈话记录不完整" in page  # previous data kept, review shown
    banner = re.search(r'data-testid="rejected">(.*?)</div>\s*</div>', page, re.S).group(1)
    assert "审核不通过" in banner and "谈话记录不完整" in banner and "党委" in banner  # at the top: who, why
    assert page.index('data-testid="rejected"') < page.index('name="task_id"')
    person_page = people["branch"].get(f"/process/{person.id}").get_data(as_text=True)
    current = re.search(r'data-testid="current-step">(.*?)</div>', person_page, re.S).group(1)
    assert "审核不通过" in current and "马上处理" in current and "bpmn-view" not in person_page
    inbox = people["branch"].get("/inbox/").get_data(as_text=True)
    assert "审核不通过" in inbox
    assert _post_step(people["branch"], person.id, 2, "step02_talk", data, "report").status_code == 303
    assert _review(people["committee"], person.id, 2, "approve", "同意").status_code == 303
    assert _ready(person)[0].step == 3


def test_two_concurrent_approvals_exactly_one_wins(people, demo):
    sha = _sha(demo)
    person = _add(people["branch"], demo, sha)
    _post_step(people["branch"], person.id, 2, "step02_talk", simulate.sample("step02_talk", sha), "report")
    url = f"/process/{person.id}/steps/2"
    first, second = people["committee"], people["committee2"]
    hidden_a, hidden_b = _hidden(first, url), _hidden(second, url)
    token_a, token_b = csrf_token(first, url), csrf_token(second, url)
    a = first.post(url, data={"csrf_token": token_a, "action": "approve", "opinion": "", **hidden_a})
    b = second.post(url, data={"csrf_token": token_b, "action": "approve", "opinion": "", **hidden_b})
    # The loser gets the page again, with the message (409), never an error page.
    assert a.status_code == 303 and b.status_code == 409
    assert "已被他人处理" in b.get_data(as_text=True)
    approvals = count(Event, Event.instance_id == person.instance_id, Event.action == "approve")
    assert approvals == 1
    assert [t.step for t in _ready(person)] == [3]


def test_stale_version_is_a_conflict_at_the_service(app, demo):
    branch = demo.users["branch1:branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1)
    ctx_a = services.load(person)
    ctx_b = services.load(person)
    task = ctx_a.ready[0]
    services.act(branch, ctx_a, task.id, "save", simulate.sample("step02_talk", simulate.stored_sample_file(branch)))
    db.session.commit()
    with pytest.raises(services.Conflict):
        services.act(branch, ctx_b, task.id, "save", {}, expected_version=ctx_b.instance.version - 0 - 1)


def test_branch_admin_cannot_see_or_act_on_another_branch(app, demo, people):
    person = _add(people["branch"], demo, _sha(demo))
    outsider = app.test_client()
    login(outsider, demo.users["branch2:branch_admin"])
    assert outsider.get(f"/process/{person.id}").status_code == 404
    assert outsider.get(f"/process/{person.id}/steps/2").status_code == 404
    response = outsider.post(f"/process/{person.id}/steps/2",
                             data={"csrf_token": csrf_token(outsider), "action": "submit"})
    assert response.status_code == 404
    assert "张三" not in outsider.get("/inbox/").get_data(as_text=True)
    assert "张三" not in outsider.get("/people/?stage=1").get_data(as_text=True)
    committee = people["committee"]
    assert committee.get(f"/process/{person.id}").status_code == 200


def test_exception_mid_action_leaves_everything_as_before(app, demo, monkeypatch):
    branch = demo.users["branch1:branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1)
    instance = db.session.get(ProcessInstance, person.instance_id)
    state, version = instance.state, instance.version
    inbox = db.session.scalars(sa.select(HumanTask.task_name).where(HumanTask.instance_id == instance.id)).all()
    events = count(Event, Event.instance_id == instance.id)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(runner, "insert_events", explode)
    ctx = services.load(person)
    with pytest.raises(RuntimeError):
        services.act(branch, ctx, ctx.ready[0].id, "report",
                     simulate.sample("step02_talk", simulate.stored_sample_file(branch)))
    db.session.rollback()
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, person.instance_id)
    assert (instance.state, instance.version) == (state, version)
    assert db.session.scalars(sa.select(HumanTask.task_name).where(
        HumanTask.instance_id == instance.id)).all() == inbox
    assert count(Event, Event.instance_id == instance.id) == events
    assert db.session.get(Person, person.id).review_status == ""


def test_cancel_restore_and_move_back(app, demo):
    branch = demo.users["branch1:branch_admin"]
    county = demo.users["county_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1)
    _to_step(person, demo, 5)
    person = db.session.get(Person, person.id)
    assert person.stage == 2 and person.category == "入党积极分子"
    ctx = services.load(person)
    with pytest.raises(services.NotAllowed):  # stage 1 is sealed (R32): a county correction
        services.move_back(branch, ctx, "applicant", "材料不全")
    db.session.rollback()
    services.move_back(county, services.load(person), "applicant", "材料不全", [simulate.stored_sample_file(county)])
    db.session.commit()
    assert person.stage == 1 and person.category == "入党申请人" and person.current_task == "step02_talk"
    with pytest.raises(services.RuleViolation):
        services.cancel(branch, services.load(person), "", [])
    services.cancel(branch, services.load(person), "本人主动申请", [])
    db.session.commit()
    assert person.status == "cancelled" and count(HumanTask, HumanTask.instance_id == person.instance_id) == 0
    with pytest.raises(services.NotAllowed):
        services.restore(branch, services.load(person), "恢复", [])
    services.restore(county, services.load(person), "误操作", [])
    db.session.commit()
    assert person.status == "active" and count(HumanTask, HumanTask.instance_id == person.instance_id) == 1
