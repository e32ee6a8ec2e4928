"""The declared vocabulary (app/vocab): every name the code logs is declared with its label, status
changes follow the declared transitions, and the pages show labels rather than codes."""
import ast
import pathlib
import re

import pytest

from app.events.services import chained_event, log_operation
from app.extensions import db
from app.people.models import Person
from app.vocab import (FINISH, INSTANCE, PERSON, REALNAME, TRANSFER, Action, InstanceStatus, Operation,
                       PersonStatus, RealnameStatus, TransferStatus, TransitionRefused, detail_rows)
from app.workflow import simulate
from app.workflow.models import ProcessInstance
from tests.conftest import login

APP = pathlib.Path(__file__).resolve().parent.parent / "app"
# Function → (position of its action argument, the names it accepts).
LOGGERS = {"log_operation": (1, Operation), "chained_event": (2, Action), "set_password": (3, Operation)}


def _name_arguments():
    """(module, line, function, argument node) of every action name handed to a logger, and the
    defaults of logger parameters named ``action``."""
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(APP).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if func not in LOGGERS:
                    continue
                position = LOGGERS[func][0]
                args = [kw.value for kw in node.keywords if kw.arg == "action"]
                if len(node.args) > position:
                    args.append(node.args[position])
                for arg in args:
                    yield where, node.lineno, func, arg
            elif isinstance(node, ast.FunctionDef) and node.name in LOGGERS:
                defaults = node.args.defaults
                for arg, default in zip(node.args.args[len(node.args.args) - len(defaults):], defaults):
                    if arg.arg == "action":
                        yield where, node.lineno, node.name, default


def test_every_logged_name_in_the_code_is_declared():
    checked, undeclared = 0, []
    for where, line, func, arg in _name_arguments():
        names = LOGGERS[func][1]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            checked += 1
            if arg.value not in names.values():
                undeclared.append(f"{where}:{line} {func}({arg.value!r})")
        elif isinstance(arg, ast.JoinedStr):
            # f"transfer.{decision}": at least one declared name must fit the pattern.
            checked += 1
            pattern = "".join(re.escape(part.value) if isinstance(part, ast.Constant) else ".+"
                              for part in arg.values)
            if not any(re.fullmatch(pattern, value) for value in names.values()):
                undeclared.append(f"{where}:{line} {func}(f{pattern!r})")
        # A name in a variable is checked when it is written (app/vocab/guard.py, tested below).
    assert undeclared == []
    assert checked > 20  # the scan found the calls (log_operation is called from a dozen modules)


def test_an_undeclared_name_cannot_be_written(app):
    with pytest.raises(ValueError, match="undeclared operation"):
        log_operation(None, "plan.updated")
    with pytest.raises(ValueError, match="undeclared event action"):
        chained_event(1, None, "approved")
    db.session.rollback()


def test_declared_names_are_accepted(app):
    row = log_operation(None, Operation.LOGIN_FAILED, target="x")
    assert row.action == "login.failed"
    db.session.rollback()


def test_transitions_are_declared_next_to_the_statuses():
    assert INSTANCE.target(Action.CANCEL, "running") == InstanceStatus.CANCELLED
    assert INSTANCE.target(Action.RESTORE, "cancelled") == "running"
    assert PERSON.target(FINISH, "active") == PersonStatus.COMPLETED
    assert TRANSFER.target(Action.APPROVE, "申请中") == TransferStatus.DONE
    assert REALNAME.target(Operation.REALNAME_REPORT, "不通过") == RealnameStatus.PENDING
    with pytest.raises(TransitionRefused, match="“已完成”不能恢复发展"):
        INSTANCE.target(Action.RESTORE, "completed")
    with pytest.raises(TransitionRefused):
        PERSON.target(Action.REDEVELOP, "active")  # only a cancelled record is closed


def test_a_status_change_no_transition_allows_is_refused_wherever_it_is_written(app, demo):
    person = simulate.add_applicant(demo.users["branch1:branch_admin"], demo.orgs["branch1"], 1)
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    with pytest.raises(TransitionRefused, match="'active' → 'closed'"):
        person.status = "closed"
    instance = db.session.get(ProcessInstance, person.instance_id)
    with pytest.raises(TransitionRefused):
        instance.status = "finished"
    with pytest.raises(TransitionRefused):
        ProcessInstance(status="paused")  # not a declared status
    assert ProcessInstance(status="completed").status == "completed"  # an imported record
    PERSON.move(person, Action.CANCEL)
    INSTANCE.move(instance, Action.CANCEL)
    assert (person.status, instance.status) == ("cancelled", "cancelled")
    db.session.rollback()


def test_every_member_has_a_chinese_label_and_operation_labels_are_distinct():
    for enum in (Action, Operation, InstanceStatus, PersonStatus, TransferStatus, RealnameStatus):
        assert all(re.search(r"[\u4e00-\u9fff]", m.label) for m in enum), enum
    assert len({m.label for m in Operation}) == len(Operation)
    assert Operation.label_of("no.such") == "no.such"  # an old row's name is shown as stored


def test_details_read_as_words():
    rows = detail_rows({"org_id": 3, "year": 2026, "from": 5, "to": 8, "reason": "password", "role": "county_admin",
                        "person_ids": [4, 5], "comment": ""})
    assert rows == [("组织编号", "3"), ("年度", "2026"), ("原值", "5"), ("新值", "8"), ("原因", "密码错误"),
                    ("角色", "县级组织部门管理员"), ("已迁移人员编号", "4、5"), ("说明", "—")]


def test_the_operations_log_shows_labels_and_readable_details(app, demo):
    log_operation(demo.users["county_admin"], Operation.PLAN_UPDATE, target="县委",
                  detail={"org_id": demo.orgs["county"].id, "year": 2026, "from": 3, "to": 5})
    db.session.commit()
    client = app.test_client()
    login(client, demo.users["auditor"])
    html = client.get("/audit/operations").get_data(as_text=True)
    row = re.search(r'<tr data-action="plan.update">(.*?)</tr>', html, re.S).group(1)
    assert "调整发展计划" in row and "年度：2026" in row and "原值：3" in row and "新值：5" in row
    assert ">plan.update<" not in row and '"org_id"' not in row and "{" not in row
    assert "登录" in html  # the auditor's own login, by its label
    filter_options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', html)
    assert ("plan.update", "调整发展计划") in filter_options


def test_the_audit_timeline_and_the_api_take_labels_from_the_vocabulary(app, demo):
    branch = demo.users["branch1:branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1)
    client = app.test_client()
    login(client, demo.users["auditor"])
    html = client.get(f"/audit/people/{person.id}").get_data(as_text=True)
    assert re.search(r'data-action="start">(?:(?!</tr>).)*<td>添加</td>', html, re.S)

    token = client.post("/api/v1/auth/token", json={"username": branch.username, "password": "Demo12345"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    body = client.get(f"/api/v1/people/{person.id}", headers=headers).get_json()
    assert (body["person"]["status"], body["person"]["status_label"]) == ("active", "发展中")
    task = client.get(f"/api/v1/tasks/{body['ready'][0]['id']}", headers=headers).get_json()
    assert task["action_labels"] == {a: Action(a).label for a in task["actions"]} and task["actions"]
