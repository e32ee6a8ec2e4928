"""Diagram expressions are bounded: a condition that would compute something huge is refused at activation,
and one deployed anyway (bypassing validation) is stopped at run time: the user's action is refused with a
Chinese message (422), nothing is written, and the designer is told through the operations log."""
import time

import pytest
import sqlalchemy as sa

from app.designer import services as designer, validation
from app.events.models import OperationLog
from app.extensions import db
from app.people.models import Person
from app.workflow import engine, expressions, simulate
from app.workflow.models import ProcessVersion
from app.workflow.versions import BPMN_DIR
from forms import get_form_class
from forms.codec import to_formdata
from tests.conftest import count, csrf_token, login

GATE = b"step01['apply_date'] &lt; '2014-05-28'"
HUGE_SUM = b"sum(range(10**11)) &lt; 0"


def _diagram(condition: bytes) -> bytes:
    # The R03 gateway's condition (scripts elsewhere may quote the same comparison).
    tag = b'tFormalExpression">'
    with open(f"{BPMN_DIR}/development.bpmn", "rb") as fh:
        xml = fh.read()
    assert tag + GATE in xml
    return xml.replace(tag + GATE, tag + condition, 1)


@pytest.mark.parametrize("condition", [HUGE_SUM, b"len('a' * 10**9) &gt; 0", b"10**10**10 &gt; 0",
                                       b"len(range(0, 10**12, 1)) &gt; 0", b"len('a'.ljust(10**9)) &gt; 0"])
def test_activation_refuses_a_literal_that_makes_an_expression_huge(condition):
    problems = validation.validate(_diagram(condition), "development")
    assert problems, condition
    assert all("计算量过大" in p.message and p.element_id for p in problems)


def test_ordinary_arithmetic_stays_allowed():
    assert validation.validate(_diagram(b"len(range(10)) * 3 == 30 and 2 ** 10 == 1024"), "development") == []


@pytest.mark.parametrize("expression, context", [
    ("sum(range(10**11)) < 0", {}),
    ("len('a' * n) > 0", {"n": 10**9}),
    ("10 ** n > 0", {"n": 10**10}),
    ("1 << n > 0", {"n": 10**9}),
    ("len([[0] * 100000 for i in range(1000)]) > 0", {}),
    ("len(s.ljust(n)) > 0", {"s": "a", "n": 10**9}),
    ("len(s.replace('a', s)) > 0", {"s": "a" * 100000}),
    ("len(s.join([s] * 100000)) > 0", {"s": "a" * 1000}),
    ("len('%*d' % (n, 1)) > 0", {"n": 10**9}),
    ("len('%1000000000d' % 1) > 0", {}),
    ("len('%(a)1000000000s' % {'a': 1}) > 0", {}),
    ("len('%.1000000000f' % 1.5) > 0", {}),
])
def test_run_time_bounds_stop_expressions_quickly(expression, context):
    started = time.monotonic()
    with pytest.raises(expressions.ExpressionLimitError):
        expressions.evaluate(expression, context)
    assert time.monotonic() - started < 2


def test_ordinary_string_and_number_operations_still_work():
    assert expressions.evaluate("'%s-%d' % ('a', 3) + ', '.join(['b', 'c']) + 'ab'.replace('a', 'c')", {}) \
        == "a-3b, ccb"
    assert expressions.evaluate("d.get('x', 10) % 7 + len('7'.zfill(5)) + 3 * 4 + 2 ** 3", {"d": {}}) == 28


def test_a_script_loop_is_stopped_by_the_step_budget():
    started = time.monotonic()
    with pytest.raises(expressions.ExpressionLimitError, match="步数或时间"):
        expressions.execute("i = 0\nwhile True:\n    i = i + 1\n", {})
    assert time.monotonic() - started < 2
    context = {"opinions": [{"ok": True}] * 30}
    expressions.execute("agreed = len([o for o in opinions if o['ok']])", context)
    assert context["agreed"] == 30


def _deploy_bypassing_validation(actor, xml: bytes) -> ProcessVersion:
    version = designer.save_draft(actor, "development", xml, "绕过校验")
    for other in db.session.scalars(sa.select(ProcessVersion).where(ProcessVersion.process_id == "development",
                                                                    ProcessVersion.state == "active")):
        other.state = "retired"
    db.session.flush()
    version.state = "active"
    db.session.commit()
    return version


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_a_huge_condition_deployed_anyway_refuses_the_action_cleanly(app, demo, api):
    version = _deploy_bypassing_validation(demo.users["designer"], _diagram(HUGE_SUM))
    branch_admin = demo.users["branch1:branch_admin"]
    client = app.test_client()
    data = simulate.sample("step01_application", simulate.stored_sample_file(branch_admin),
                           org_id=demo.orgs["branch1"].id, id_number=simulate.make_id_number(7))
    db.session.commit()
    persons_before = count(Person)
    started = time.monotonic()
    if api:
        token = client.post("/api/v1/auth/token", json={"username": branch_admin.username,
                                                        "password": "Demo12345"}).get_json()["token"]
        response = client.post("/api/v1/applicants", headers={"Authorization": f"Bearer {token}"},
                               json={"action": "submit", "data": data})
        message = response.get_json()["error"]
    else:
        login(client, branch_admin)
        form = to_formdata(get_form_class("step01_application"), data)
        form.update({"csrf_token": csrf_token(client, "/process/new"), "action": "submit"})
        response = client.post("/process/new", data=form)
        message = response.get_data(as_text=True)
    assert time.monotonic() - started < 5
    assert response.status_code == 422
    assert "流程设计员" in message
    db.session.expire_all()
    assert count(Person) == persons_before
    told = db.session.scalars(sa.select(OperationLog).where(OperationLog.action == "process.expression_refused")).all()
    assert len(told) == 1 and told[0].detail["version_id"] == version.id
    assert "上限" in told[0].detail["error"] and told[0].detail["element"]
    assert told[0].actor_id == branch_admin.id

    designer_page = app.test_client()
    login(designer_page, demo.users["designer"])
    page = designer_page.get(f"/designer/versions/{version.id}").get_data(as_text=True)
    assert "运行时被拒绝" in page and told[0].detail["element"] in page


@pytest.mark.parametrize("expression, context", [
    ("add_years(d, 1) > '2000-01-01'", {"d": "9999-12-31"}),   # a far date stored before dates were bounded
    ("add_days(d, 10) > ''", {"d": "9999-12-31"}),
    ("missing < 3", {}),
    ("step01['apply_date'] < '2014-05-28'", {"step01": {}}),
])
def test_any_failure_inside_an_expression_is_an_expression_error(expression, context):
    with pytest.raises(expressions.ExpressionError):
        expressions.evaluate(expression, context)
