"""What a user action costs in SQL: the step page, the POST of a review and the person page after the redirect
run a fixed, small number of statements (no lazy loads, no per-row queries). A change that adds one to this
path shows up here and must say why (issue 16: the Python and the round trips of a completion)."""
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.workflow import services, simulate
from forms import feeds, get_form_class
from forms.codec import to_formdata
from tests.conftest import csrf_token, login

_HIDDEN = re.compile(r'name="(task_id|version)" value="([^"]+)"')
# Reads and writes; BEGIN, SAVEPOINT and RELEASE differ between SQLite and PostgreSQL and are left out.
_DML = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")

# Measured when the lookups were combined (2026-12-01); lower is fine, higher needs a reason.
STEP_PAGE = 3      # account, person + instance + organisation + the latest report, reviews (no files here)
EDIT_STEP_PAGE = 3  # account, person + instance + organisation, reviews (a blank step: no files)
# account, person row (with the latest report: the reporter needs no SELECT), state UPDATE (with the chain's end),
# event, done date, person, inbox, task_ref (on PostgreSQL the inbox row's move and its task_ref are one: 7)
POST_REVIEW = 8
# account, person row, files in scope, state UPDATE, event, check_fact, the step's person_field INSERT (no DELETE
# on a first visit), inbox, task_ref, person, and this step's 公示 (one upsert, no SELECT of the notice first);
# on PostgreSQL 10 (the inbox row's move and its task_ref in one statement)
POST_EDIT = 11
PERSON_PAGE = 6    # account, person row, last and first actions, import, 调整申请 (the diagram view: + version)


@pytest.fixture
def at_review(app, demo, actors):
    """A person whose first reviewed step waits for the committee's review."""
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 4501, name="语句甲")
    ctx = services.load(person)
    step = next(s for s in services.step_catalogue(ctx.instance.process_version_id) if s.review_name)
    simulate.advance(person, actors, until_task=step.review_name)
    return person, step


def _recording():
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(None, 1)[0].upper() in _DML:
            seen.append(" ".join(statement.split()))
    return seen, record


def _counted(call):
    seen, record = _recording()
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return response, seen


def test_a_review_costs_a_fixed_number_of_statements(app, demo, at_review):
    person, step = at_review
    client = app.test_client()
    login(client, demo.users["committee1:committee_admin"])
    url = f"/process/{person.id}/steps/{step.step}"
    page, on_page = _counted(lambda: client.get(url))
    assert page.status_code == 200
    hidden = dict(_HIDDEN.findall(page.get_data(as_text=True)))
    form = {"csrf_token": csrf_token(client, url), "action": "approve", "opinion": "同意", **hidden}
    posted, on_post = _counted(lambda: client.post(url, data=form))
    assert posted.status_code == 303
    after, on_after = _counted(lambda: client.get(posted.headers["Location"]))
    assert after.status_code == 200 and "语句甲" in after.get_data(as_text=True)

    assert len(on_page) <= STEP_PAGE, on_page
    assert len(on_post) <= POST_REVIEW - (db.engine.dialect.name == "postgresql"), on_post
    assert len(on_after) <= PERSON_PAGE, on_after
    # The organisation comes with the person (one SELECT), never by a lazy load of its own.
    everything = on_page + on_post + on_after
    assert not [s for s in everything if s.startswith("SELECT organisation.")], everything
    # The diagram view reads the version's number, not its XML, once the worker has parsed its flows.
    diagram = f"/process/{person.id}?view=diagram"
    assert client.get(diagram).status_code == 200
    shown, on_diagram = _counted(lambda: client.get(diagram))
    assert shown.status_code == 200 and len(on_diagram) <= PERSON_PAGE + 1, on_diagram
    assert not [s for s in on_diagram if "bpmn_xml" in s], on_diagram
    # The person row is written once, by the projection, not again by a flush of the same changes.
    assert len([s for s in on_post if s.startswith("UPDATE person ")]) == 1, on_post
    # And the action did happen: the instance moved on and the person row says what comes next.
    db.session.expire_all()
    ctx = services.load(person)
    assert ctx.instance.version == int(hidden["version"]) + 1
    assert ctx.person.current_step > step.step and ctx.person.review_status == ""


def test_an_edit_step_page_costs_a_fixed_number_of_statements(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 4502, name="语句乙")
    step = next(s for s in services.step_catalogue(services.load(person).instance.process_version_id)
                if s.review_name)
    simulate.advance(person, actors, until_task=step.name)
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    url = f"/process/{person.id}/steps/{step.step}"
    page, on_page = _counted(lambda: client.get(url))
    assert page.status_code == 200 and 'name="task_id"' in page.get_data(as_text=True)
    # One form bound (no read-only copy of it), no file lookup for a step that cites none.
    assert len(on_page) <= EDIT_STEP_PAGE, on_page


def test_a_submit_reads_neither_the_chain_end_nor_the_fact_it_wrote_nor_touches_the_cookie(app, demo, actors):
    branch = actors["branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 4502, name="语句乙")
    ctx = services.load(person)
    # The step that fixes 入党日期 (R31): its submit moves the person's membership dates.
    step = next(s for s in services.step_catalogue(ctx.instance.process_version_id)
                if services.JOIN_FACT in feeds(s.form_key).values())
    simulate.advance(person, actors, until_task=step.name)
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    url = f"/process/{person.id}/steps/{step.step}"
    hidden = dict(_HIDDEN.findall(client.get(url).get_data(as_text=True)))
    values = simulate.sample(step.form_key, simulate.stored_sample_file(branch))
    form = {"csrf_token": csrf_token(client, url), "action": "submit", **hidden,
            **to_formdata(get_form_class(step.form_key), values)}
    posted, on_post = _counted(lambda: client.post(url, data=form))
    assert posted.status_code == 303 and posted.headers["Location"].endswith("?done=submit")
    assert len(on_post) <= POST_EDIT - (db.engine.dialect.name == "postgresql"), on_post
    # The instance row holds its chain's end; the join date just written is used as written; the files, found
    # in scope at the person's own branch, need no second look before they are granted to it.
    assert not [s for s in on_post if s.startswith(("SELECT event.", "SELECT check_fact."))], on_post
    assert len([s for s in on_post if s.startswith("SELECT attachment.")]) == 1, on_post
    # A first visit of the step: its task data held nothing of it, so no person_field rows of it are deleted.
    assert not [s for s in on_post if s.startswith("DELETE FROM person_field")], on_post
    assert not [s for s in on_post if s.startswith("SELECT publicity_notice.")], on_post
    assert len([s for s in on_post if s.startswith("INSERT INTO publicity_notice")]) == 1, on_post
    # The message rides in the URL, so neither the POST nor the page after it re-signs the session cookie.
    after = client.get(posted.headers["Location"])
    assert "Set-Cookie" not in posted.headers and "Set-Cookie" not in after.headers
    assert "已提交，进入下一步骤" in after.get_data(as_text=True)
    db.session.expire_all()
    person = services.load(person).person
    assert str(person.join_date) == values[next(f for f, c in feeds(step.form_key).items()
                                                if c == services.JOIN_FACT)]
    assert person.probation_end is not None and person.current_step > step.step


@pytest.mark.parametrize("done, shown", [("approve", "审核通过"), ("<b>x</b>", None), ("__class__", None)])
def test_a_forged_done_name_shows_a_fixed_message_or_nothing(app, demo, done, shown):
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    page = client.get("/inbox/", query_string={"done": done})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'class="flash flash-message"' in text if shown else 'class="flash flash-message"' not in text
    assert "<b>x</b>" not in text
    if shown:
        assert shown in text
