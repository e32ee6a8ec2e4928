"""Steps 5 and 9 pick 培养联系人 and 入党介绍人 from the branch's 党员名册 (本支部) or type them (原支部); R06/R09 are
enforced for picked members with the message beside the field, the input kept and nothing recorded."""
import re

import pytest

from app.events.models import Event
from app.extensions import db
from app.people.models import Person
from app.roster import importer, services as roster
from app.roster.models import RosterMember
from app.workflow import services, simulate
from forms import get_form_class
from forms.codec import to_formdata
from tests.conftest import count, csrf_token, login
from tests.test_roster import GOOD, workbook


@pytest.fixture
def members(app, demo):
    """李正式 (正式党员), 赵预备 (预备党员), 钱察看 (留党察看) in branch1; one more in branch3."""
    roster.add_members(demo.users["branch1:branch_admin"], demo.orgs["branch1"], importer.check(workbook(GOOD)).rows)
    far = importer.check(workbook([("孙外支", simulate.make_id_number(77), "2001-07-01", "2002-07-01", "正常", "否")]))
    roster.add_members(demo.users["county_admin"], demo.orgs["branch3"], far.rows)
    db.session.commit()
    return {m.name: m.key for m in roster.branch_members(demo.orgs["branch1"])} | {
        "孙外支": roster.branch_members(demo.orgs["branch3"])[0].key}


def post_step(client, person, step_no, form_key, changes):
    ctx = services.load(db.session.get(Person, person.id))
    task = next(t for t in ctx.ready if not t.is_review)
    form = to_formdata(get_form_class(form_key), simulate.sample(form_key, ""))
    for name, value in changes.items():
        form.setlist(name, [value])
    form.update({"csrf_token": csrf_token(client, f"/process/{person.id}/steps/{step_no}"), "action": "submit",
                 "task_id": task.id, "version": str(ctx.instance.version)})
    return client.post(f"/process/{person.id}/steps/{step_no}", data=form)


def test_step5_picks_a_full_member_of_the_branch(app, demo, actors, members):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 31, name="甲培养")
    simulate.advance(person, actors, until_step=5)
    client = app.test_client()
    login(client, actors["branch_admin"])
    page = client.get(f"/process/{person.id}/steps/5").get_data(as_text=True)
    assert f'value="{members["李正式"]}"' in page and "孙外支" not in page  # only this branch's roster
    events = count(Event)
    response = post_step(client, person, 5, "step05_contacts",
                         {"contacts-0-source": "本支部", "contacts-0-member": members["赵预备"],
                          "contacts-0-name": "", "contacts-0-join_date": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and count(Event) == events
    assert re.search(r'data-field="contacts-0-member">培养联系人须为正式党员', html)
    response = post_step(client, person, 5, "step05_contacts",
                         {"contacts-0-source": "本支部", "contacts-0-member": members["孙外支"]})
    assert response.status_code == 422 and "不在本支部党员名册中" in response.get_data(as_text=True)
    response = post_step(client, person, 5, "step05_contacts",
                         {"contacts-0-source": "本支部", "contacts-0-member": members["李正式"],
                          "contacts-0-name": "随便写", "contacts-0-join_date": ""})
    assert response.status_code == 303, re.findall(r'class="error"[^>]*>([^<]+)', response.get_data(as_text=True))
    data = services.step_view(None, services.load(db.session.get(Person, person.id)), 5).data
    assert data["contacts"][0]["name"] == "李正式" and data["contacts"][0]["join_date"] == "2010-07-01"


def test_step9_refuses_a_member_under_probation_watch(app, demo, actors, members):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 32, name="乙介绍")
    simulate.advance(person, actors, until_step=9)
    client = app.test_client()
    login(client, actors["branch_admin"])
    response = post_step(client, person, 9, "step09_introducers",
                         {"introducers-0-source": "本支部", "introducers-0-member": members["钱察看"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and re.search(r'data-field="introducers-0-member">[^<]*留党察看', html)
    # A typed member of another organisation needs a name and a 入党日期.
    response = post_step(client, person, 9, "step09_introducers",
                         {"introducers-1-source": "原支部", "introducers-1-name": ""})
    assert response.status_code == 422 and "请填写入党介绍人姓名" in response.get_data(as_text=True)
    response = post_step(client, person, 9, "step09_introducers",
                         {"introducers-0-source": "本支部", "introducers-0-member": members["李正式"]})
    assert response.status_code == 303
    assert count(RosterMember) == 4
