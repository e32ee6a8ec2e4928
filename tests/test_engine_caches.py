"""The engine's per-worker caches stay bounded and never serve a stale workflow.

Parsed diagrams: an LRU that drafts validated in the modeler cannot grow without bound. Loaded workflows:
kept by instance with the (version, chain end) of the row they match, so a user action (step page, POST, the
page after the redirect) deserialises once and a page whose worker holds the workflow does not read the state;
a row another server moved on is loaded afresh, and a save that was rolled back never reaches the cache."""
import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.people.models import Person
from app.workflow import engine, runner, simulate
from app.lru import LRU
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


def _statements(call) -> tuple[object, list[str]]:
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        return call(), seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_another_servers_write_is_loaded_afresh(app, demo, person, monkeypatch):
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    url = f"/process/{person.id}/steps/1"
    assert client.get(url).status_code == 200          # held by this worker at the row's (version, chain end)
    loads = _count_loads(monkeypatch)
    page, seen = _statements(lambda: client.get(url))
    assert page.status_code == 200 and loads == []     # served from the cache ...
    assert not [s for s in seen if "process_instance.state" in s], seen   # ... without reading the state
    # Another server acts: the state, its version and the chain's end move on behind this worker's back.
    instance = db.session.get(ProcessInstance, person.instance_id)
    old, new = (json.dumps(name)[1:-1] for name in ("缓存甲", "缓存乙"))   # as the state text spells them
    assert old in instance.state
    table, moved = ProcessInstance.__table__, instance.version + 1
    db.session.execute(sa.update(table).where(table.c.id == instance.id).values(
        state=instance.state.replace(old, new), version=moved, last_hash="f" * 64))
    db.session.commit()
    page, seen = _statements(lambda: client.get(url))
    text = page.get_data(as_text=True)
    assert loads == [1] and "缓存乙" in text
    assert f'name="version" value="{moved}"' in text
    # The state came by a second statement, with the row it belongs to.
    assert len([s for s in seen if "process_instance.state" in s]) == 1, seen


def _submit_form(client, demo, url: str) -> dict:
    from forms import get_form_class
    from forms.codec import to_formdata
    page = client.get(url).get_data(as_text=True)
    sha = simulate.stored_sample_file(demo.users["branch1:branch_admin"])
    db.session.commit()
    form = to_formdata(get_form_class(APPLICATION_FORM), simulate.sample(
        APPLICATION_FORM, sha, org_id=demo.orgs["branch1"].id, name="缓存甲", id_number=simulate.make_id_number(4401)))
    return {"csrf_token": csrf_token(client, url), "action": "submit", **dict(_HIDDEN.findall(page)), **form}


def test_a_rolled_back_save_never_reaches_the_cache(app, demo, person, monkeypatch):
    from app.workflow import views
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    url = f"/process/{person.id}/steps/1"
    form = _submit_form(client, demo, url)
    seen = int(form["version"])
    saved = []
    real_save = runner._save

    def remembering(instance, *args):
        real_save(instance, *args)
        saved.append((instance.version, instance.last_hash))
    monkeypatch.setattr(runner, "_save", remembering)
    # The action is saved, then the answer fails (as a failed commit or a later error would): the request rolls back.
    monkeypatch.setattr(views, "redirect_done", lambda *args, **kwargs: ("失败", 500))
    assert client.post(url, data=form).status_code == 500
    assert saved and saved[0][0] == seen + 1
    assert runner.WORKFLOWS.get(person.instance_id) is None
    # Even a row that came to carry the rolled-back save's version and chain end is read, not served.
    table = ProcessInstance.__table__
    db.session.execute(sa.update(table).where(table.c.id == person.instance_id).values(
        version=saved[0][0], last_hash=saved[0][1]))
    db.session.commit()
    loads = _count_loads(monkeypatch)
    assert client.get(url).status_code == 200 and loads == [1]


def test_a_save_undone_by_a_savepoint_never_reaches_the_cache(app, demo, person):
    from app.transaction import attempt
    from app.workflow import services
    branch = demo.users["branch1:branch_admin"]
    with app.test_request_context():
        ctx = services.load(person)
        first = ctx.version
        # Something written before, so the action runs in a savepoint that its failure rolls back alone.
        db.session.execute(sa.update(Person.__table__).where(Person.__table__.c.id == person.id).values(phone="1"))
        with pytest.raises(RuntimeError):
            with attempt():
                task = ctx.ready[0]
                runner.run(branch, ctx, "save", task=task,
                           data={task.data_key: engine.task_data(ctx.wf, task.id)[task.data_key]})
                assert ctx.version == first + 1
                raise RuntimeError("after the save")
        db.session.commit()                            # the request's transaction, without the save
        runner.release_workflows()
    assert runner.WORKFLOWS.get(person.instance_id) is None
    db.session.expire_all()
    assert db.session.get(ProcessInstance, person.instance_id).version == first


def test_a_committed_save_is_held_at_its_row(app, demo, person, monkeypatch):
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    url = f"/process/{person.id}/steps/1"
    form = _submit_form(client, demo, url)
    assert client.post(url, data=form).status_code == 303
    instance = db.session.get(ProcessInstance, person.instance_id)
    stored, _ = runner.WORKFLOWS.get(person.instance_id)
    assert stored == (instance.version, instance.last_hash) and instance.version == int(form["version"]) + 1
