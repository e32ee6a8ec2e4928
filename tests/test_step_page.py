"""The step page as a user gets it: its form rendered with per-worker cached markup (app/workflow/field_html.py)
still carries the CSRF token, the values, the messages and the Chinese labels, and escapes what was typed."""
import re

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField
from wtforms.widgets import NumberInput

from app.extensions import db
from app.workflow import field_html, services, simulate
from forms import FORMS
from forms.base import StepForm
from forms.codec import from_data
from tests.conftest import csrf_token, login, signed_in
from tests.test_request_statements import _counted

HOSTILE = '"><script>alert(1)</script>&amp;\''


def _fields(form):
    for field in form:
        if field.type in ("FieldList", "RepeatingField"):
            for entry in field.entries:
                yield from _fields(entry.form)
        else:
            yield field


def _assert_same_as_wtforms(form):
    for field in _fields(form):
        if field_html.field_row(field) is None:
            continue
        extra = {"type": "date"} if field.type == "DateField" else {}
        for _ in range(2):  # built, then from the cache
            assert str(field_html.control(field, **extra)) == str(field(**extra)), field.name
            assert str(field_html.label(field)) == str(field.label()), field.name


@pytest.mark.parametrize("form_key", sorted(FORMS))
def test_cached_controls_are_what_wtforms_renders(app, form_key):
    form_cls = FORMS[form_key]
    with app.test_request_context():
        stored = from_data(form_cls, simulate.sample(form_key, "a" * 64), meta={"csrf": False})
        _assert_same_as_wtforms(stored)
        # Typed values, hostile ones included, come back escaped exactly as WTForms escapes them.
        posted = form_cls(formdata=MultiDict({name: HOSTILE for name in form_cls().data}))
        _assert_same_as_wtforms(posted)
        assert str(field_html.control(posted.csrf_token)) == str(posted.csrf_token())


def test_widgets_alike_but_for_their_settings_keep_their_own_markup(app):
    class Low(StepForm):
        n = IntegerField("人数", widget=NumberInput(min=1))

    class High(StepForm):
        n = IntegerField("人数", widget=NumberInput(min=5))

    with app.test_request_context():
        low, high = Low(meta={"csrf": False}), High(meta={"csrf": False})
        for form in (low, high, low):
            assert str(field_html.control(form.n)) == str(form.n())
        assert 'min="5"' in str(field_html.control(high.n))


@pytest.fixture
def at_talk(app, demo, actors):
    """A person whose second edit step (the talk) is ready, and that step's number."""
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 4601, name="页面甲")
    ctx = services.load(person)
    step = next(s for s in services.step_catalogue(ctx.instance.process_version_id)
                if "talk_date" in FORMS[s.form_key].feeds.values())
    simulate.advance(person, actors, until_task=step.name)
    return person, step


def test_step_form_keeps_token_values_messages_and_labels(app, demo, at_talk):
    person, step = at_talk
    url = f"/process/{person.id}/steps/{step.step}"
    client = signed_in(app, {"branch": demo.users["branch1:branch_admin"]})["branch"]
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">', html).group(1)
    assert token == csrf_token(client, url)
    assert '<label for="talker">谈话人</label>' in html and '<label for="talk_date">谈话时间</label>' in html
    hidden = dict(re.findall(r'name="(task_id|version)" value="([^"]+)"', html))

    # Refused: the required 谈话人 is missing; what was typed comes back escaped, the message beside its field.
    refused = client.post(url, data={"csrf_token": token, "action": "save", "talk_date": "2024-02-30",
                                     "talk_notes": HOSTILE, **hidden})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "<script>alert(1)</script>" not in html
    assert '&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;&#39;</textarea>' in html
    assert re.search(r'<div class="field has-error required">\s*<label for="talker">谈话人</label>.*?'
                     r'<div class="error" data-field="talker">[^<]+</div>', html, re.S)
    assert re.search(r'<div class="error" data-field="talk_date">日期格式', html)
    assert 'name="talk_date" required type="date" value="2024-02-30"' in html

    # Saved: the stored values fill the form on the next visit.
    saved = client.post(url, data={"csrf_token": token, "action": "save", "talker": "王<五>",
                                   "talk_date": "2024-02-03", "talk_notes": "", **hidden})
    assert saved.status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert 'name="talker" required type="text" value="王&lt;五&gt;"' in html
    assert 'name="talk_date" required type="date" value="2024-02-03"' in html
    # A forged post (no token) changes nothing.
    forged = client.post(url, data={"action": "save", "talker": "伪造", "talk_date": "2024-02-04", **hidden})
    assert forged.status_code == 400 and "伪造" not in client.get(url).get_data(as_text=True)


def test_menu_marks_the_page_entry_for_each_role(app, demo):
    branch, auditor = app.test_client(), app.test_client()
    login(branch, demo.users["branch1:branch_admin"])
    login(auditor, demo.users["auditor"])
    for client, url, entry in ((branch, "/people/", "process"), (branch, "/inbox/", "inbox"),
                               (auditor, "/people/", "process")):
        html = client.get(url).get_data(as_text=True)
        active = re.findall(r'<a href="[^"]+" data-menu="(\w+)" class="active">', html)
        assert active == [entry], (url, active)
    # The cache is per role: the auditor's menu is its own, not the branch admin's.
    branch_menu = re.findall(r'data-menu="(\w+)"', branch.get("/people/").get_data(as_text=True))
    auditor_menu = re.findall(r'data-menu="(\w+)"', auditor.get("/people/").get_data(as_text=True))
    assert "audit" in auditor_menu and "audit" not in branch_menu


def test_a_saved_step_with_files_reads_them_once(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 4602, name="页面乙")
    catalogue = services.step_catalogue(services.load(person).instance.process_version_id)
    step = next(s for s in catalogue if s.step > 1 and any(
        f.type == "AttachmentField" for f in FORMS[s.form_key](meta={"csrf": False})))
    simulate.advance(person, actors, until_task=step.name)
    ctx = services.load(person)
    task = next(t for t in ctx.ready if t.name == step.name)
    actor = actors[services.task_role(task)]
    services.act(actor, ctx, task.id, "save", simulate.sample(step.form_key, simulate.stored_sample_file(actor)))
    db.session.commit()
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    page, statements = _counted(lambda: client.get(f"/process/{person.id}/steps/{step.step}"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="file-name"' in html and "data-remove-file" in html
    # The stored files and the form's are the same on a GET: one lookup, not one each.
    assert len([s for s in statements if s.startswith("SELECT attachment.")]) == 1, statements
