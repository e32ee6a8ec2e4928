"""实名校验 (manual §2.10) over HTTP: branch enters and 上报s, county 备案认证s, the person starts at step 2."""
import pytest
import sqlalchemy as sa

from app.audit import verify
from app.events.models import Event, OperationLog
from app.extensions import db
from app.inbox.models import HumanTask
from app.people.models import Person
from app.realname import services
from app.realname.forms import RealnameForm
from app.realname.models import CONFIRMED, DRAFT, PENDING, REJECTED, RealnameRequest
from app.workflow import simulate
from forms.codec import to_formdata
from tests.conftest import count, csrf_token, login

def _client(app, user):
    c = app.test_client()
    login(c, user)
    return c


@pytest.fixture
def clients(app, demo):
    return {key: _client(app, demo.users[key]) for key in
            ("branch1:branch_admin", "county:county_admin", "committee1:committee_admin")}


def _data(demo, **overrides):
    sha = simulate.stored_sample_file(demo.users["branch1:branch_admin"])
    db.session.commit()
    values = {"org_id": demo.orgs["branch1"].id, "name": "实名甲", "id_number": _valid_id(), **overrides}
    data = simulate.sample("step01_application", sha, **values)
    data["proof_scans"] = [sha]
    return data


def _valid_id():
    # simulate.make_id_number builds valid numbers of adults; a fixed seq keeps it reproducible.
    return simulate.make_id_number(9001)


def _post(client, data, action, url="/realname/new"):
    form = to_formdata(RealnameForm, data)
    form.update({"csrf_token": csrf_token(client, url), "action": action})
    return client.post(url, data=form)


def _entered(clients, demo, action="report"):
    response = _post(clients["branch1:branch_admin"], _data(demo), action)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.scalars(sa.select(RealnameRequest)).one()


def test_bad_id_number_is_refused_beside_the_field_and_input_kept(clients, demo):
    good = _valid_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")  # wrong check digit
    response = _post(clients["branch1:branch_admin"], _data(demo, id_number=bad), "save")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'value="{bad}"' in html and 'value="实名甲"' in html
    assert 'class="errors"' in html or "error" in html
    assert count(RealnameRequest) == 0


def test_missing_proof_is_refused(clients, demo):
    data = _data(demo)
    data["proof_scans"] = []
    response = _post(clients["branch1:branch_admin"], data, "save")
    assert response.status_code == 422
    assert count(RealnameRequest) == 0


def test_save_then_report(clients, demo):
    row = _entered(clients, demo, "save")
    assert row.status == DRAFT and row.proof_scans and row.org_id == demo.orgs["branch1"].id
    assert "proof_scans" not in row.data
    branch = clients["branch1:branch_admin"]
    response = branch.post(f"/realname/{row.id}/report", data={"csrf_token": csrf_token(branch, "/realname/")})
    assert response.status_code == 302
    db.session.refresh(row)
    assert row.status == PENDING and row.reported_at is not None
    actions = db.session.scalars(sa.select(OperationLog.action).where(
        OperationLog.target == f"realname_request:{row.id}")).all()
    assert actions == ["realname.save", "realname.report"]
    # Opened like every request procedure (runner.start_request): the start event names the row and the
    # branch, and the request's chain replays to its stored state.
    start = db.session.scalars(sa.select(Event).where(Event.instance_id == row.instance_id)
                               .order_by(Event.seq)).first()
    assert start.action == "start" and start.data["request_id"] == row.id
    assert start.data["org_id"] == demo.orgs["branch1"].id
    assert verify.verify_instances([row.instance_id]).clean


def test_county_confirms_and_person_reaches_step_2_in_branch_inbox(clients, demo):
    row = _entered(clients, demo)
    county = clients["county:county_admin"]
    html = county.get("/realname/?name=实名").get_data(as_text=True)
    assert "实名甲" in html and 'name="ids"' in html
    assert "实名甲" in county.get(f"/realname/?org_id={demo.orgs['branch1'].id}").get_data(as_text=True)
    assert "实名甲" not in county.get(f"/realname/?org_id={demo.orgs['branch3'].id}").get_data(as_text=True)
    assert "实名甲" not in county.get("/realname/?phone=00000000").get_data(as_text=True)
    assert "实名甲" in county.get("/realname/?org_name=前村&id_number=" + row.id_number[:6]).get_data(as_text=True)
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in row.id_number[:6])  # typed with a Chinese IME
    assert "实名甲" in county.get("/realname/?id_number=" + fullwidth).get_data(as_text=True)
    assert "实名甲" not in county.get("/realname/?org_name=南村").get_data(as_text=True)
    response = county.post("/realname/confirm", data={"csrf_token": csrf_token(county, "/realname/"),
                                                      "ids": [row.id]})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(RealnameRequest, row.id)
    assert row.status == CONFIRMED and row.person_id
    person = db.session.get(Person, row.person_id)
    assert person.name == "实名甲" and person.org_id == demo.orgs["branch1"].id
    tasks = db.session.scalars(sa.select(HumanTask).where(HumanTask.person_id == person.id,
                                                          HumanTask.status == "待处理")).all()
    assert [t.step for t in tasks] == [2] and tasks[0].role == "branch_admin"
    inbox = clients["branch1:branch_admin"].get("/inbox/").get_data(as_text=True)
    assert "实名甲" in inbox
    assert count(OperationLog, OperationLog.action == "realname.confirm") == 1


def test_branch_admin_cannot_confirm(clients, demo):
    row = _entered(clients, demo)
    branch = clients["branch1:branch_admin"]
    response = branch.post("/realname/confirm", data={"csrf_token": csrf_token(branch, "/realname/"),
                                                      "ids": [row.id]})
    assert response.status_code == 403
    committee = clients["committee1:committee_admin"]
    response = committee.post("/realname/confirm", data={"csrf_token": csrf_token(committee, "/realname/"),
                                                         "ids": [row.id]})
    assert response.status_code == 403
    db.session.refresh(row)
    assert row.status == PENDING and count(Person, Person.name == "实名甲") == 0


def test_other_county_cannot_see(app, clients, demo):
    from app.auth.services import create_user
    from app.orgs.services import create_org
    other = create_org("中共肥城县委员会", "county", demo.orgs["city"])
    user = create_user(username="110101199003070272", name="外县", role="county_admin", org=other,
                       password="Demo12345")
    db.session.commit()
    row = _entered(clients, demo)
    c = _client(app, user)
    assert c.get(f"/realname/{row.id}").status_code == 404
    assert "实名甲" not in c.get("/realname/").get_data(as_text=True)
    response = c.post("/realname/confirm", data={"csrf_token": csrf_token(c, "/realname/"), "ids": [row.id]})
    assert response.status_code == 404
    db.session.refresh(row)
    assert row.status == PENDING


def test_double_confirm_one_wins(clients, demo):
    row = _entered(clients, demo)
    county = clients["county:county_admin"]
    token = csrf_token(county, "/realname/")
    county.post("/realname/confirm", data={"csrf_token": token, "ids": [row.id]})
    response = county.post("/realname/confirm", data={"csrf_token": token, "ids": [row.id]},
                           follow_redirects=True)
    assert "已被他人处理" in response.get_data(as_text=True)
    assert count(Person, Person.name == "实名甲") == 1
    assert count(OperationLog, OperationLog.action == "realname.confirm") == 1


def test_stale_confirm_in_service_raises_conflict(clients, demo):
    # Two admins loaded the same 待认证 request; the other one's 备案认证 committed in between.
    row = _entered(clients, demo)
    county = demo.users["county:county_admin"]
    stale = services._load(row)
    services.confirm(county, row)
    db.session.commit()
    with pytest.raises(services.Conflict):
        services._act(county, stale, "approve", entry=False)
    db.session.rollback()
    assert count(Person, Person.name == "实名甲") == 1


def test_reject_needs_reason(clients, demo):
    row = _entered(clients, demo)
    county = clients["county:county_admin"]
    token = csrf_token(county, "/realname/")
    response = county.post(f"/realname/{row.id}/reject", data={"csrf_token": token, "reason": " "},
                           follow_redirects=True)
    assert "请填写不通过的原因" in response.get_data(as_text=True)
    db.session.refresh(row)
    assert row.status == PENDING
    county.post(f"/realname/{row.id}/reject", data={"csrf_token": token, "reason": "证明材料不清晰"})
    db.session.refresh(row)
    assert row.status == REJECTED and row.reason == "证明材料不清晰"
    html = clients["branch1:branch_admin"].get(f"/realname/{row.id}").get_data(as_text=True)
    assert "证明材料不清晰" in html


def test_pages_render_for_branch_and_county(clients, demo):
    row = _entered(clients, demo, "save")
    branch = clients["branch1:branch_admin"]
    html = branch.get("/realname/new").get_data(as_text=True)
    assert "实名认证证明材料" in html and "入党申请书扫描件" in html
    html = branch.get(f"/realname/{row.id}/edit").get_data(as_text=True)
    assert 'value="实名甲"' in html
    html = branch.get(f"/realname/{row.id}").get_data(as_text=True)
    assert "草稿" in html and "上报" in html and "备案认证" not in html
    html = branch.get("/realname/?status=").get_data(as_text=True)
    assert "实名甲" in html and 'name="ids"' not in html
    html = clients["county:county_admin"].get("/realname/").get_data(as_text=True)
    assert 'data-menu="realname"' in html and "中共宁阳县东疏镇前村支部委员会" in html


def test_moving_the_branch_moves_its_requests(clients, demo):
    from app.orgs.services import move_org
    row = _entered(clients, demo)
    move_org(demo.orgs["branch1"], demo.orgs["committee2"])
    db.session.commit()
    db.session.refresh(row)
    assert row.org_path == demo.orgs["branch1"].path and row.org_path.startswith(demo.orgs["committee2"].path)
