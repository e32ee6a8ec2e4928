"""Data carried forward (forms declare it): steps 7 and 17 start from the latest recorded values, 性别 and
出生日期 come from the ID number, steps 17 and 18 show what the record holds, 编入党小组 is a 党小组 of the
person's branch in the organisation tree."""
import re

import pytest
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.orgs.services import create_org
from app.people.models import Person
from app.workflow import binding, services, simulate
from forms import get_form_class
from forms.codec import to_formdata
from tests.conftest import csrf_token, login


def client_for(app, user):
    c = app.test_client()
    login(c, user)
    return c


def test_step7_starts_from_the_activist_data(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 11, name="周承接")
    simulate.advance(person, actors, until_step=4)
    ctx = services.load(db.session.get(Person, person.id))
    services.amend_step(actors["branch_admin"], ctx, 3, {"native_place": "山东宁阳", "address": "东疏镇前村8号"},
                        expected_version=None)
    db.session.commit()
    simulate.advance(db.session.get(Person, person.id), actors, until_step=7)
    html = client_for(app, actors["branch_admin"]).get(f"/process/{person.id}/steps/7").get_data(as_text=True)
    assert re.search(r'name="native_place"[^>]*value="山东宁阳"', html)
    assert re.search(r'name="address"[^>]*value="东疏镇前村8号"', html)
    # A field no earlier step records starts empty; the step's own saved data wins over the carried values.
    assert not re.search(r'name="meeting_host"[^>]*value="[^"]', html)


def test_steps_17_and_18_show_the_recorded_values(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 12, name="吴只读")
    simulate.advance(person, actors, until_step=17)
    branch = client_for(app, actors["branch_admin"])
    html = branch.get(f"/process/{person.id}/steps/17").get_data(as_text=True)
    shown = html[html.index('data-testid="shown"'):]
    for text in ("吴只读", person.id_number, "申请入党日期", "列为入党积极分子日期", "所在党支部", "人员类别"):
        assert text in shown
    # Step 17 carries 学历/工作岗位/手机 from the earlier steps.
    assert re.search(r'name="phone"[^>]*value="1\d{10}"', html)
    html = branch.get(f"/process/{person.id}/steps/18").get_data(as_text=True)
    assert 'data-testid="shown"' in html and "确定为发展对象日期" in html and person.id_number in html


def _application(demo, actors, seq, **changes):
    data = simulate.sample("step01_application", simulate.stored_sample_file(actors["branch_admin"]),
                           org_id=demo.orgs["branch1"].id, name="郑派生", id_number=simulate.make_id_number(
                               seq, birth="19900315", male=False))
    form = to_formdata(get_form_class("step01_application"), data)
    for name, value in changes.items():
        form.setlist(name, [value])
    return form


def test_sex_and_birth_date_are_derived_from_the_id_number(app, demo, actors):
    branch = client_for(app, actors["branch_admin"])
    page = branch.get("/process/new").get_data(as_text=True)
    assert re.search(r'<select[^>]*data-derive="sex_from_id"[^>]*>|<select[^>]*readonly[^>]*name="sex"', page)
    form = _application(demo, actors, 13, sex="", birth_date="")
    form.update({"csrf_token": csrf_token(branch, "/process/new"), "action": "submit"})
    response = branch.post("/process/new", data=form)
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]+)', response.get_data(as_text=True))
    person = db.session.get(Person, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert person.sex == "女" and person.birth_date.isoformat() == "1990-03-15"
    # A posted value that disagrees with the number is refused beside the field.
    form = _application(demo, actors, 14, sex="男")
    form.update({"csrf_token": csrf_token(branch, "/process/new"), "action": "submit"})
    response = branch.post("/process/new", data=form)
    assert response.status_code == 422
    assert re.search(r'data-field="sex">[^<]*不一致', response.get_data(as_text=True))


@pytest.fixture
def at_step19(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 15, name="钱分组")
    simulate.advance(person, actors, until_step=19)
    mine = create_org("第一党小组", "group", demo.orgs["branch1"])
    other = create_org("别的党小组", "group", demo.orgs["branch2"])
    db.session.commit()
    return person, mine, other


def test_group_is_chosen_from_the_branch_groups(app, demo, actors, at_step19):
    person, mine, other = at_step19
    branch = client_for(app, actors["branch_admin"])
    html = branch.get(f"/process/{person.id}/steps/19").get_data(as_text=True)
    assert f'value="{mine.id}"' in html and "第一党小组" in html and "别的党小组" not in html
    form = binding.form_for("step19_assignment", actors["branch_admin"], person, meta={"csrf": False},
                            formdata=MultiDict({"branch_name": "前村支部", "group_id": str(other.id),
                                                "assign_date": "2021-06-20"}))
    assert not form.validate() and form.group_id.errors
    form = binding.form_for("step19_assignment", actors["branch_admin"], person, meta={"csrf": False},
                            formdata=MultiDict({"branch_name": "前村支部", "group_id": str(mine.id),
                                                "assign_date": "2021-06-20"}))
    assert form.validate(), form.errors
