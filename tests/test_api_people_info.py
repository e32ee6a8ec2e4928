"""人员信息 over the API: the page's 修改 of a tab (same form, same rights, same R32 seal), a county's 更正 of
sealed values with reason and file, and the refusals: 422 beside the field, 409 on a stale version, 403/404."""
import io

import pytest

from app.events.models import Event
from app.extensions import db
from app.people.models import Person
from app.workflow import services, simulate
from tests.api_support import Tokens, other_county_admin
from tests.conftest import count

IDENTITY = ("name", "id_number", "sex", "ethnicity", "birth_date", "education", "apply_date", "phone", "background")


@pytest.fixture
def world(app, demo, actors):
    """王 in branch1 at step 8 (stages 1 and 2 sealed, stage 3 open); 李 in branch3 at step 2 (nothing sealed)."""
    wang = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="王接口")
    simulate.advance(wang, actors, until_step=8)
    li = simulate.add_applicant(demo.users["branch3:branch_admin"], demo.orgs["branch3"], 2, name="李接口")
    return type("World", (), {"wang": wang, "li": li})


def _data(person, step_no):
    return services.step_view(None, services.load(db.session.get(Person, person.id)), step_no).data


def _version(person):
    return services.load(db.session.get(Person, person.id)).instance.version


def test_an_open_tab_is_amended_as_on_the_page(client, demo, world):
    tokens = Tokens(client, demo)
    identity = {k: _data(world.li, 1)[k] for k in IDENTITY}
    url = f"/api/v1/people/{world.li.id}/info/1"
    body = {"data": {**identity, "name": "李改名"}, "version": _version(world.li)}
    # Another branch: 404; the auditor: 403 (a writing right); nothing written.
    assert client.put(url, json=body, headers=tokens["branch1:branch_admin"]).status_code == 404
    assert client.put(url, json=body, headers=tokens["auditor"]).status_code == 403
    bad = client.put(url, json={**body, "data": {**identity, "id_number": "360426199101010072"}},
                     headers=tokens["branch3:branch_admin"])
    assert bad.status_code == 422 and "id_number" in bad.get_json()["fields"]
    answer = client.put(url, json=body, headers=tokens["branch3:branch_admin"])
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["mode"] == "amend" and answer.get_json()["person"]["name"] == "李改名"
    assert db.session.get(Person, world.li.id).name == "李改名" and _data(world.li, 1)["name"] == "李改名"
    # The same body again carries a version that has moved on: the other writer won.
    stale = client.put(url, json=body, headers=tokens["branch3:branch_admin"])
    assert stale.status_code == 409 and stale.get_json()["error"] == "已被他人处理"


def test_sealed_values_are_refused_to_the_branch_and_corrected_by_the_county(client, demo, world):
    tokens = Tokens(client, demo)
    identity = {k: _data(world.wang, 1)[k] for k in IDENTITY}
    url = f"/api/v1/people/{world.wang.id}/info/1"
    body = {"data": {**identity, "name": "王改名"}, "version": _version(world.wang)}
    events = count(Event)
    refused = client.put(url, json=body, headers=tokens["branch1:branch_admin"])
    assert refused.status_code == 403 and "封存" in refused.get_json()["error"] and count(Event) == events
    county = tokens["county:county_admin"]
    missing = client.put(url, json=body, headers=county)
    assert missing.status_code == 422 and count(Event) == events   # 更正 needs a reason and a file
    sha = client.post("/api/v1/attachments", headers=county,
                      data={"file": (io.BytesIO(simulate.TINY_PNG), "户籍证明.png")}).get_json()["sha256"]
    done = client.put(url, json={**body, "reason": "户籍信息更正", "attachments": [sha]}, headers=county)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["mode"] == "correct" and db.session.get(Person, world.wang.id).name == "王改名"
    assert count(Event, Event.action == "correct") == 1
    # A county admin of another county does not see the person at all.
    outsider = other_county_admin(demo)
    assert outsider and client.put(url, json=body, headers=tokens["county2:county_admin"]).status_code == 404
