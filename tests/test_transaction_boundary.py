"""One transaction boundary per request (app/transaction.py): views and endpoints never commit or roll
back; a refused request leaves the record as it was; attempt() undoes only the refused action."""
import ast
import hashlib
import io
import pathlib
import re

import pytest
import sqlalchemy as sa

from app.attachments.models import Attachment
from app.events.models import OperationLog
from app.events.services import log_operation
from app.extensions import db
from app.people.models import Person
from app.transaction import attempt
from app.workflow import simulate
from app.workflow.models import ProcessInstance
from forms import get_form_class
from forms.codec import to_formdata
from tests.conftest import count, csrf_token, login

APP = pathlib.Path(__file__).resolve().parent.parent / "app"
# Who may end a transaction: the boundary itself, the error handlers (a failed session must be rolled
# back before the error page renders), CLI commands and the batch drivers they and the seeding use.
MAY_COMMIT = {"transaction.py", "cli.py", "audit/cli.py", "checks/rebuild.py", "workflow/simulate.py",
              "workflow/backfill.py", "registry/cli.py", "jobs/queue.py"}  # jobs/queue.py: every background task's commit
MAY_ROLL_BACK = MAY_COMMIT | {"errors.py"}
_HIDDEN = re.compile(r'name="(task_id|version)" value="([^"]+)"')


def _session_calls(path: pathlib.Path) -> set[str]:
    """The names of ``<anything>.session.<commit|rollback>()`` calls in a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("commit", "rollback") and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "session"):
            found.add(node.func.attr)
    return found


def test_no_view_endpoint_or_service_commits_or_rolls_back():
    offenders = []
    for path in sorted(APP.rglob("*.py")):
        name = path.relative_to(APP).as_posix()
        calls = _session_calls(path)
        if "commit" in calls and name not in MAY_COMMIT:
            offenders.append(f"{name}: commit")
        if "rollback" in calls and name not in MAY_ROLL_BACK:
            offenders.append(f"{name}: rollback")
    assert offenders == []


def test_the_check_sees_a_commit():
    # The scan above must recognise the calls it forbids, or it would pass on anything.
    assert _session_calls(APP / "transaction.py") == {"commit", "rollback"}


def _log(name: str) -> None:
    log_operation(None, "login.failed", target=name)


def _targets() -> set[str]:
    return set(db.session.scalars(sa.select(OperationLog.target)))


def _refuse_one_keep_one() -> None:
    _log("before")
    with pytest.raises(RuntimeError):
        with attempt():
            _log("refused")
            raise RuntimeError("refused")
    with attempt():
        _log("kept")


def test_attempt_undoes_the_refused_action_only_and_stays_inside_the_transaction(app):
    _refuse_one_keep_one()
    db.session.rollback()  # a savepoint's release must not have committed anything
    assert not {"before", "refused", "kept"} & _targets()

    _refuse_one_keep_one()
    db.session.commit()
    assert {"before", "kept"} <= _targets() and "refused" not in _targets()


def test_an_action_that_comes_first_is_undone_whole_without_a_savepoint(app):
    # Nothing written yet: undoing the action is undoing the transaction, so no SAVEPOINT/RELEASE is sent;
    # SQLite still takes its write lock before the action reads (BEGIN IMMEDIATE).
    db.session.rollback()
    sent = []

    def record(conn, cursor, statement, *args):
        sent.append(statement.split()[0].upper() + (" IMMEDIATE" if "IMMEDIATE" in statement.upper() else ""))
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        with pytest.raises(RuntimeError):
            with attempt():
                _log("refused")
                db.session.flush()
                raise RuntimeError("refused")
        with attempt():
            _log("kept")
            db.session.flush()
        db.session.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert "kept" in _targets() and "refused" not in _targets()
    assert "SAVEPOINT" not in sent and "RELEASE" not in sent
    if db.engine.dialect.name == "sqlite":
        assert sent.count("BEGIN IMMEDIATE") == 2 and sent.index("BEGIN IMMEDIATE") < sent.index("INSERT")


def _table_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _record(person_id: int) -> tuple:
    db.session.expire_all()
    person = db.session.get(Person, person_id)
    instance = db.session.get(ProcessInstance, person.instance_id)
    return (instance.state, instance.version, instance.status, person.current_step, person.review_status,
            person.updated_at)


def test_a_refused_step_submission_with_an_upload_changes_nothing_but_the_stored_file(app, demo, actors):
    branch = actors["branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1)
    simulate.advance(person, actors, until_step=6)
    client = app.test_client()
    login(client, branch)
    counts, record = _table_counts(), _record(person.id)

    url = f"/process/{person.id}/steps/6"
    data = simulate.sample("step06_activist_training", simulate.stored_sample_file(branch))
    db.session.rollback()
    data["contact_opinions"] = data["contact_opinions"][:1]  # the diagram asks for two (R07)
    form = to_formdata(get_form_class("step06_activist_training"), data)
    scan = simulate.TINY_PNG + b"refused step"
    form["contact_opinions-0-scans"] = (io.BytesIO(scan), "意见.png")
    form.update(dict(_HIDDEN.findall(client.get(url).get_data(as_text=True))))
    form.update({"csrf_token": csrf_token(client, url), "action": "report"})
    response = client.post(url, data=form, content_type="multipart/form-data")

    assert response.status_code == 422
    assert "培养联系人考察意见、党支部考察意见须分别录入两条以上" in response.get_data(as_text=True)
    assert _record(person.id) == record
    sha = hashlib.sha256(scan).hexdigest()
    # The uploaded file's row is kept (keep_on_error) so the form shown again can cite it; nothing else.
    assert sha in response.get_data(as_text=True)
    assert {name: n for name, n in _table_counts().items() if n != counts[name]} == {
        "attachment": counts["attachment"] + 1}
    assert count(Attachment, Attachment.sha256 == sha) == 1


def test_a_refused_action_answered_by_a_redirect_leaves_no_row(app, demo, actors):
    branch = actors["branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1)
    client = app.test_client()
    login(client, branch)
    counts, record = _table_counts(), _record(person.id)
    url = f"/process/{person.id}"
    response = client.post(f"{url}/cancel", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, url), "reason": "",
        "files": (io.BytesIO(simulate.TINY_PNG + b"refused cancel"), "证明.png")})
    assert response.status_code == 422
    assert "请填写停止发展原因" in response.get_data(as_text=True)
    assert _record(person.id) == record
    assert _table_counts() == counts
