"""Every GET route of the app, as every role and anonymously, with hostile values in the path and in every
query argument the code reads: no answer is a 5xx.

The argument names are read from the source (``request.args.get("x")`` and friends, the audit filters, the
综合查询 conditions), so a route that starts reading a new argument is covered without editing this test.
"""
import pathlib
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.inbox.models import HumanTask
from app.workflow import simulate

HUGE = "99999999999999999999"
VARIANTS = {
    "huge": HUGE,
    "huge_negative": "-" + HUGE,
    "negative": "-1",
    "nul": "a\x00b",
    "far_future": "9999-12-31",
    "far_past": "0001-01-01",
    "unicode": "\U0001d7d9\u0663\u216b\u202e\ufeff😀",
}
PATH_VARIANTS = ("huge", "nul", "unicode")
ROLES = [None, "branch_admin", "committee_admin", "county_admin", "city_admin", "province_admin",
         "security_officer", "designer", "auditor"]
_ARG_READ = re.compile(r"""(?:args|values)\.(?:get|getlist)\(\s*["']([A-Za-z0-9_]+)["']""")
_APP = pathlib.Path(__file__).resolve().parent.parent / "app"
# Read through helpers rather than request.args.get: the audit timeline filter, 综合查询, 数据统计.
EXTRA_ARGS = {"from", "to", "action", "actor", "search", "c0_f", "c0_m", "c0_v", "c0_to", "c1_f", "c1_v",
              "view", "org", "date_from", "date_to", "sort", "dir"}
SKIPPED = {"auth.captcha_test_answer", "static"}


def query_args() -> set[str]:
    """Every argument name the application reads from a query string."""
    names = set(EXTRA_ARGS)
    for path in _APP.rglob("*.py"):
        names.update(_ARG_READ.findall(path.read_text(encoding="utf-8")))
    return names


def get_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint not in SKIPPED),
                  key=lambda r: r.rule)


def build_path(rule, values: dict) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[a-z]+:)?%s>" % name, str(values[name]), path)
    return path


def path_values(rule, person_id: int, task_id: str, hostile: str | None) -> dict:
    """Real ids for every path argument, or ``hostile`` for all of them."""
    if hostile is not None:
        return {name: hostile for name in rule.arguments}
    real = {"person_id": person_id, "task_id": task_id, "step": 1, "tab_no": 1, "chart": "category",
            "check_id": "R17", "sha256": "0" * 64}
    return {name: real.get(name, 1) for name in rule.arguments}


@pytest.fixture
def crawl_world(app, demo, actors):
    branch = demo.orgs["branch1"]
    person = simulate.add_applicant(demo.users["branch1:branch_admin"], branch, seq=1, name="爬虫甲")
    simulate.advance(person, actors, until_step=5)
    task_id = db.session.scalar(sa.select(HumanTask.task_id).where(HumanTask.person_id == person.id).limit(1))
    return person.id, task_id


def _token(client, user):
    response = client.post("/api/v1/auth/token", json={"username": user.username, "password": "Demo12345"})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_no_get_route_answers_5xx_to_hostile_values(app, client, auth, demo, crawl_world, role):
    person_id, task_id = crawl_world
    headers = {}
    if role:
        auth.login(demo.users[role])
        headers = _token(client, demo.users[role])
    names = sorted(query_args())
    failures, requests = [], 0
    for rule in get_rules(app):
        slow = rule.rule.endswith(".pdf")
        base = build_path(rule, path_values(rule, person_id, task_id, None))
        cases = [(build_path(rule, path_values(rule, person_id, task_id, VARIANTS[key])), {})
                 for key in PATH_VARIANTS if rule.arguments]
        # A PDF takes seconds: its HTML twin reads the same arguments, so here only the refusals.
        for key, value in VARIANTS.items():
            if not slow or key == "nul":
                cases.append((base, {name: value for name in names}))
        for path, query in cases:
            requests += 1
            try:  # the test app propagates exceptions instead of answering 500
                status = client.get(path, query_string=query,
                                    headers=headers if rule.rule.startswith("/api/") else {}).status_code
            except Exception as exc:  # noqa: BLE001 - any exception is the finding
                status = f"{type(exc).__name__}: {str(exc)[:80]}"
            if not isinstance(status, int) or status >= 500:
                failures.append((status, rule.endpoint, path[:60], sorted(set(query.values()))[:1]))
    assert requests > 300
    assert not failures, "\n".join(map(repr, failures))
