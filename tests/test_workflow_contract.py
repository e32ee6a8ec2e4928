"""The contract between diagrams and code, and the safety of diagram expressions."""
import pytest

from app.auth.roles import LANE_ROLES
from app.workflow import engine, expressions
from app.workflow.versions import BPMN_DIR
from forms import FORMS


def _diagram():
    with open(f"{BPMN_DIR}/development.bpmn", "rb") as fh:
        return fh.read()


def _bundled_specs():
    """User tasks of every bundled diagram (development, 接续培养, 实名认证)."""
    specs = []
    for process_id in ("development", "transfer", "realname"):
        with open(f"{BPMN_DIR}/{process_id}.bpmn", "rb") as fh:
            specs += engine.user_task_specs(fh.read(), process_id)
    return specs


def test_every_user_task_names_an_existing_form_and_every_form_has_a_task():
    specs = _bundled_specs()
    assert {lane for _, _, lane, _ in specs} <= set(LANE_ROLES) | {""}
    keys = {props.get("formKey") for _, _, _, props in specs}
    missing = [name for name, _, _, props in specs if props.get("formKey") not in FORMS]
    assert not missing, f"user tasks naming no existing form: {missing}"
    assert set(FORMS) - keys == set(), f"forms no task uses: {set(FORMS) - keys}"


def test_every_lane_is_a_role_and_steps_are_numbered_1_to_25():
    specs = engine.user_task_specs(_diagram(), "development")
    assert {lane for _, _, lane, _ in specs} <= set(LANE_ROLES)
    edit_steps = sorted(int(p["step"]) for _, _, _, p in specs if not p.get("reviewOf"))
    assert edit_steps == list(range(1, 26))
    reviewed = sorted(int(p["step"]) for _, _, _, p in specs if p.get("reviewOf"))
    assert reviewed == [2, 3, 6, 7, 11, 18, 25]


@pytest.mark.parametrize("expression", [
    "__import__('os').system('echo pwned')",
    "().__class__.__base__.__subclasses__()",
    "open('/etc/passwd').read()",
    "getattr(step01, '__class__')",
    "[c for c in ().__class__.__mro__]",
    "eval('1+1')",
])
def test_dangerous_expressions_are_refused(expression):
    with pytest.raises((expressions.ExpressionError, NameError, SyntaxError)):
        expressions.evaluate(expression, {"step01": {}})


def test_scripts_cannot_import_or_reach_dunders():
    for script in ("import os", "x = ().__class__", "rule_errors = open('/etc/passwd')"):
        with pytest.raises((expressions.ExpressionError, NameError, SyntaxError, ImportError)):
            expressions.execute(script, {})


def test_allowed_expressions_and_helpers():
    data = {"step04": {"publicity_start": "2020-03-01", "publicity_end": "2020-03-07"}}
    assert expressions.evaluate("span_days(step04['publicity_start'], step04['publicity_end']) >= 7", data)
    assert expressions.evaluate("add_years('2020-02-29', 1)", {}) == "2021-02-28"
    context = {"a": 1}
    expressions.execute("rule_errors = {'f': 'm'}\nb = a + 1", context)
    assert context == {"a": 1, "rule_errors": {"f": "m"}, "b": 2}


def test_a_diagram_condition_importing_os_fails_at_run_time_without_harm(tmp_path):
    marker = tmp_path / "pwned"
    xml = _diagram().replace(b"step01['apply_date'] &lt; '2014-05-28'",
                             f"__import__('os').system('touch {marker}')".encode())
    assert xml != _diagram()
    wf = engine.start(xml, "development")
    task = engine.ready_tasks(wf)[0]
    with pytest.raises(engine.EngineError):
        engine.complete(wf, task.id, {"step01": {"apply_date": "2020-01-01"}, "rule_errors": {}})
    assert not marker.exists()
