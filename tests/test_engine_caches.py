"""The engine's per-worker caches stay bounded and never serve a stale workflow.

Parsed diagrams: an LRU that drafts validated in the modeler cannot grow without bound. Loaded workflows:
kept by (instance, version) with the state text they match, so a user action (step page, POST, the page
after the redirect) deserialises once, and a row changed behind the cache's back is loaded afresh."""
import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people.models import Person
from app.workflow import engine, runner, simulate
from app.workflow.lru import LRU
from app.workflow.models import ProcessInstance
from app.workflow.versions import DEVELOPMENT, active_version
from forms import APPLICATION_FORM
from tests.conftest import csrf_token, login

_HIDDEN = re.compile(r'name="(task_id|version)" value="([^"]+)"')


def test_lru_forgets_the_least_recently_used():
    cache = LRU(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1          # "a" is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    cache.resize(1)
    assert len(cache) == 1 and cache.get("c") == 3
    assert cache.pop("c") == 3 and cache.pop("c") is None


def _draft(xml: bytes, n: int) -> bytes:
    # A designer's draft: same diagram, another name, so another checksum.
    return xml.replace(b'name="', f'name="草稿{n}'.encode(), 1)


def test_drafts_cannot_grow_the_parsed_diagram_cache(app):
    version = active_version(DEVELOPMENT)
    size = engine._SPEC_CACHE.size
    try:
        engine.configure(spec_cache_size=3)
        for n in range(8):
            engine.parse(_draft(version.bpmn_xml, n), version.process_id)
        assert len(engine._SPEC_CACHE) == 3
        # The deployed version still loads (parsed again through the spec loader when evicted).
        assert engine.start(version.bpmn_xml, version.process_id).spec_ref
    finally:
        engine.configure(spec_cache_size=size)
    assert app.config["SPEC_CACHE_SIZE"] == 64


@pytest.fixture
def person(app, demo):
    branch = demo.users["branch1:branch_admin"]
    sha = simulate.stored_sample_file(branch)
    data = simulate.sample(APPLICATION_FORM, sha, org_id=demo.orgs["branch1"].id, name="缓存甲",
                           id_number=simulate.make_id_number(4401))
    from app.workflow import services
    person = services.start_application(branch, data, "save")
    db.session.commit()
    return person


def _count_loads(monkeypatch) -> list:
    calls = []
    real = engine.loads

    def counting(text):
        calls.append(1)
        return real(text)
    monkeypatch.setattr(engine, "loads", counting)
    return calls


def test_a_user_action_deserialises_the_workflow_once(app, demo, person, monkeypatch):
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    runner.WORKFLOWS.clear()
    loads = _count_loads(monkeypatch)
    url = f"/process/{person.id}/steps/1"
    page = client.get(url).get_data(as_text=True)
    hidden = dict(_HIDDEN.findall(page))
    from forms import get_form_class
    from forms.codec import to_formdata
    sha = simulate.stored_sample_file(demo.users["branch1:branch_admin"])
    db.session.commit()
    form = to_formdata(get_form_class(APPLICATION_FORM), simulate.sample(
        APPLICATION_FORM, sha, org_id=demo.orgs["branch1"].id, name="缓存甲", id_number=simulate.make_id_number(4401)))
    form.update({"csrf_token": csrf_token(client, url), "action": "submit", **hidden})
    loads.clear()
    client.get(url)                                    # the step page
    posted = client.post(url, data=form)               # the action
    assert posted.status_code == 303
    assert client.get(posted.headers["Location"]).status_code == 200   # the page after the redirect
    assert len(loads) <= 1
    db.session.expire_all()
    assert db.session.get(Person, person.id).current_step == 2


def test_a_row_changed_behind_the_cache_is_loaded_afresh(app, demo, person, monkeypatch):
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    url = f"/process/{person.id}/steps/1"
    assert client.get(url).status_code == 200          # cached at (instance, version)
    loads = _count_loads(monkeypatch)
    assert client.get(url).status_code == 200
    assert loads == []                                 # served from the cache
    # Same version, other text (a restored backup, an altered row): the cache must not answer.
    instance = db.session.get(ProcessInstance, person.instance_id)
    old, new = (json.dumps(name)[1:-1] for name in ("缓存甲", "缓存乙"))   # as the state text spells them
    assert old in instance.state
    text = instance.state.replace(old, new)
    db.session.execute(sa.update(ProcessInstance.__table__).where(ProcessInstance.__table__.c.id == instance.id)
                       .values(state=text))
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert loads == [1] and "缓存乙" in page
