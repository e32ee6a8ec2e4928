"""The access policy against the real app: every route × every role × an object in and out of scope.

Each answer is compared with the policy table (app/access/policy.py) through the route table
(app/access/routes.py): a right the role holds → not 401/403 (and not 404 for an object in scope); a right it
lacks → 403; anonymous → the login page (pages) or 401 (API); an object outside the role's subtree → 404.
A route of the app that the route table does not name fails ``test_every_route_names_its_right``.
"""
import pytest
import sqlalchemy as sa

from app.access import policy
from app.access.routes import ROUTES, needed
from app.attachments import services as attachments
from app.auth.roles import ROLES
from app.auth.services import create_user
from app.extensions import db
from app.orgs.services import create_org
from app.realname import services as realname
from app.movebacks import services as movebacks
from app.suspensions import services as suspensions
from app.checks.catalogue import CATALOGUE
from app.reports.catalogue import CHART_BY_KEY
from app.seed import DEMO_PASSWORD
from app.transfers import services as transfers
from app.workflow import services, simulate
from app.workflow.versions import DEVELOPMENT, active_version
from conftest import login

# The demo account used for each role (the branch and committee ones sit above the in-scope objects).
SWEEP_ACCOUNTS = {"branch_admin": "branch1:branch_admin", "committee_admin": "committee1:committee_admin"}
ANONYMOUS = "anonymous"
# Arguments naming an object that belongs to an organisation (scope applies); the others name shared things.
SCOPED = {"person_id", "org_id", "user_id", "transfer_id", "request_id", "task_id", "sha256", "suspension_id",
          "resume_id", "sent_transfer_id", "moveback_id"}


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_every_route_names_its_right(app):
    """A new route fails here until its line is added to app/access/routes.py (the hook would refuse it)."""
    missing, unknown = [], []
    for rule in app.url_map.iter_rules():
        for method in _methods(rule):
            key = needed(rule.endpoint, method)
            if key is None:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
            elif key not in policy.RIGHTS:
                unknown.append(f"{rule.endpoint}: {key}")
    assert not missing, "routes without an entry in app/access/routes.py: " + ", ".join(missing)
    assert not unknown, "routes naming a right the policy does not have: " + ", ".join(unknown)
    stale = set(ROUTES) - {rule.endpoint for rule in app.url_map.iter_rules()}
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"


def test_policy_keeps_its_promises():
    for right in policy.POLICY:
        if right.personal:
            assert not {"designer", "security_officer"} & set(right.roles), right
        if right.writes:
            assert "auditor" not in right.roles, right
    assert {r.key for r in policy.POLICY if "designer" in r.roles and not r.public} == {
        ("session", "use"), ("diagram", "read"), ("printing", "blank"), ("design", "manage")}


def test_a_route_the_table_does_not_name_is_refused_to_everyone(app, demo):
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    client = app.test_client()
    assert client.get("/forgotten").status_code == 403
    login(client, demo.users["province_admin"])
    assert client.get("/forgotten").status_code == 403


def test_menu_is_derived_from_the_policy(app, demo):
    from app.menu import MENU, menu_for
    for role, user in ((r, demo.users[r]) for r in ROLES):
        shown = {item.key for item in menu_for(user)}
        expected = {item.key for item in MENU if policy.role_may(role, *needed(item.endpoint, "GET"))}
        assert shown == expected, role
    assert {i.key for i in menu_for(demo.users["designer"])} == {"designer"}
    assert {i.key for i in menu_for(demo.users["security_officer"])} == {"orgs", "accounts", "sms", "oplog"}


# --- the sweep ---------------------------------------------------------------------------------------------------

class World:
    """Objects in scope (under branch 1 of the demo county) and out of scope (another city's branch)."""

    def __init__(self, demo):
        branch = demo.users["branch1:branch_admin"]
        committee = demo.users["committee1:committee_admin"]
        city2 = create_org("中共莱芜市委员会", "city", demo.orgs["province"])
        county2 = create_org("中共钢城县委员会", "county", city2)
        committee3 = create_org("中共钢城县里辛镇委员会", "committee", county2)
        branch5 = create_org("中共钢城县里辛镇东村支部委员会", "branch", committee3)
        branch6 = create_org("中共钢城县里辛镇西村支部委员会", "branch", committee3)
        far = create_user(username=simulate.make_id_number(100, "19900307", "110101"), name="远支部",
                          role="branch_admin", org=branch5, password=DEMO_PASSWORD, phone="13900000001")
        far2 = create_user(username=simulate.make_id_number(101, "19900307", "110101"), name="远支部二",
                           role="branch_admin", org=branch6, password=DEMO_PASSWORD, phone="13900000002")
        db.session.commit()
        self.far_path = branch5.path
        person_in = simulate.add_applicant(branch, demo.orgs["branch1"], 1, name="范围内")
        # Until step 2 is approved, stage 1 is not sealed (R32): its 人员信息 still edits.
        simulate.advance(person_in, {"branch_admin": branch, "committee_admin": committee}, until_step=2)
        person_out = simulate.add_applicant(far, branch5, 2, name="范围外")
        sha_in = simulate.stored_sample_file(branch)
        sha_out = attachments.store(far, "外.png", simulate.TINY_PNG + b"elsewhere").sha256
        transfer_in = transfers.request_transfer(demo.users["branch2:branch_admin"], person_in.name,
                                                 person_in.id_number, demo.orgs["branch2"].id)
        transfer_out = transfers.request_transfer(far2, person_out.name, person_out.id_number, branch6.id)
        request_in = realname.save(branch, self._realname(demo.orgs["branch1"], sha_in, 200))
        request_out = realname.save(far, self._realname(branch5, sha_out, 201))
        resume_in = self._suspended(branch, demo.orgs["branch1"], 300)
        resume_out = self._suspended(far, branch5, 301)
        sent_in = self._sent(branch, demo.users["branch2:branch_admin"], demo.orgs["branch1"], demo.orgs["branch2"], 302)
        sent_out = self._sent(far, far2, branch5, branch6, 303)
        moveback_in = self._move_back_requested(branch, committee, demo.orgs["branch1"], sha_in, 304)
        moveback_out = self._move_back_requested(far, demo.users["province_admin"], branch5, sha_out, 305)
        db.session.commit()
        task = lambda person: services.load(person).ready[0].id  # noqa: E731
        self.values = {
            "in": {"person_id": person_in.id, "org_id": demo.orgs["branch1"].id,
                   "user_id": demo.users["branch2:branch_admin"].id, "transfer_id": transfer_in.id,
                   "request_id": request_in.id, "task_id": task(person_in), "sha256": sha_in,
                   "suspension_id": resume_in.suspension_id, "resume_id": resume_in.id,
                   "sent_transfer_id": sent_in.id, "moveback_id": moveback_in.id},
            "out": {"person_id": person_out.id, "org_id": branch5.id, "user_id": far.id,
                    "transfer_id": transfer_out.id, "request_id": request_out.id, "task_id": task(person_out),
                    "sha256": sha_out, "suspension_id": resume_out.suspension_id, "resume_id": resume_out.id,
                    "sent_transfer_id": sent_out.id, "moveback_id": moveback_out.id},
        }
        self.shared = {"step": 1, "tab_no": 1, "version_id": active_version(DEVELOPMENT).id,
                       "check_id": CATALOGUE[0].id, "chart": next(iter(CHART_BY_KEY)), "filename": "charts.js",
                       "board_id": demo.orgs["county"].id, "notice_id": 1, "number": 1,
                       # a user's own job, a registry event: none with id 1 here (404 is the answer in scope)
                       "job_id": 1, "event_id": 1, "year": 2025}

    @staticmethod
    def _suspended(admin, branch, seq):
        # A person suspended (暂停发展-出国(境)) whose 归国恢复申请 waits for the committee.
        person = simulate.add_applicant(admin, branch, seq, name=f"暂停{seq}")
        suspension = suspensions.suspend(admin, person, reason="出国", expected_from="2026-01-01",
                                         expected_to="2027-01-01")
        return suspensions.apply_resume(admin, suspension, "已归国")

    @staticmethod
    def _move_back_requested(admin, reviewer, branch, sha, seq):
        # A 积极分子 whose stage 1 is sealed, with the branch's 调整申请 waiting for the county.
        person = simulate.add_applicant(admin, branch, seq, name=f"调整{seq}")
        simulate.advance(person, {"branch_admin": admin, "committee_admin": reviewer}, until_step=4)
        return movebacks.adjust(admin, services.load(person), "applicant", "谈话记录有误", [sha])

    @staticmethod
    def _sent(sender, receiver, from_branch, to_branch, seq):
        # An approved 接续培养: the sending side keeps its read-only record.
        person = simulate.add_applicant(sender, from_branch, seq, name=f"转出{seq}")
        transfer = transfers.request_transfer(receiver, person.name, person.id_number, to_branch.id)
        return transfers.decide(sender, transfer, "approve", "同意")

    @staticmethod
    def _realname(branch, sha, seq):
        data = simulate.sample("step01_application", sha, org_id=branch.id, name=f"实名{seq}",
                               id_number=simulate.make_id_number(seq))
        data["proof_scans"] = [sha]
        return data

    def url(self, rule, where: str) -> str:
        args = {**self.shared, **self.values[where]}
        return rule.build({name: args[name] for name in rule.arguments}, append_unknown=False)[1]


class Requester:
    """A test client acting as one role, through pages (session) and the API (bearer token)."""

    def __init__(self, app, user):
        self.app, self.user = app, user
        self.client = app.test_client()
        self.token = None
        if user is not None:
            self.sign_in()

    def sign_in(self):
        login(self.client, self.user)
        self.token = self.client.post("/api/v1/auth/token", json={
            "username": self.user.username, "password": DEMO_PASSWORD}).get_json()["token"]

    def open(self, url: str, method: str):
        if url.startswith("/api/"):
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            response = self.client.open(url, method=method, json={}, headers=headers)
        else:
            response = self.client.open(url, method=method, data={})
        if self.user is not None and (method, url) in SESSION_ENDING:
            self.sign_in()
        return response


def _answer_fits(response, url: str, endpoint: str, *, allowed: bool, anonymous: bool, where: str,
                 scoped: bool) -> bool:
    """Does the status of ``response`` say what the policy (and scope) says it should?"""
    status = response.status_code
    login_page = status == 302 and "/auth/login" in response.headers.get("Location", "")
    if not allowed:
        if anonymous:
            return status == 401 if url.startswith("/api/") else login_page
        return status == 403
    if where == "out":
        return status == 404
    if login_page:
        return endpoint == "auth.logout"  # its answer is the login page
    return status not in (401, 403) and not (scoped and status == 404)


# The sweep's own sign-out and token revocation: the requester signs in again after them.
SESSION_ENDING = {("POST", "/auth/logout"), ("DELETE", "/api/v1/auth/token")}


@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
def test_sweep(app, demo, role):
    world = World(demo)
    user = None if role == ANONYMOUS else demo.users[SWEEP_ACCOUNTS.get(role, role)]
    app.config["WTF_CSRF_ENABLED"] = False  # the sweep posts empty forms: let them reach the views
    requester = Requester(app, user)
    wrong, checked = [], 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        scoped = bool(SCOPED & set(rule.arguments))
        for method in _methods(rule):
            right = policy.right(*needed(rule.endpoint, method))
            allowed = right.public or (user is not None and role in right.roles)
            for where in ("in", "out") if scoped else ("in",):
                if where == "out" and user is not None and world.far_path.startswith(user.org.path):
                    continue  # a province-level account reaches everything: no object lies outside its scope
                url = world.url(rule, where)
                response = requester.open(url, method)
                checked += 1
                if not _answer_fits(response, url, rule.endpoint, allowed=allowed, anonymous=user is None,
                                    where=where, scoped=scoped):
                    wrong.append(f"{method} {url} [{where}] → {response.status_code} (policy: "
                                 f"{'allowed' if allowed else 'denied'} {right.area}.{right.action})")
    assert checked > 100
    assert not wrong, f"{role}: {len(wrong)} answers differ from the policy:\n" + "\n".join(wrong)


def test_designer_and_security_officer_see_no_personal_data(app, demo):
    """The issue's list, by hand: each page that showed an applicant to them is now 403 (401 on the API)."""
    world = World(demo)
    person_id = world.values["in"]["person_id"]
    urls = ["/people/", "/people/info", f"/process/{person_id}", f"/process/{person_id}/steps/1",
            f"/people/{person_id}/info", f"/attachments/{world.values['in']['sha256']}",
            f"/printing/person/{person_id}", "/query/", "/query/export.xlsx", f"/query/evidence/{person_id}.zip",
            "/checks/", "/archive/", "/inbox/", f"/audit/people/{person_id}",
            f"/api/v1/people/{person_id}", f"/api/v1/tasks/{world.values['in']['task_id']}", "/api/v1/tasks"]
    name = db.session.scalar(sa.text("SELECT name FROM person WHERE id = :id"), {"id": person_id})
    for role in ("designer", "security_officer"):
        requester = Requester(app, demo.users[role])
        for url in urls:
            response = requester.open(url, "GET")
            assert response.status_code == 403, (role, url, response.status_code)
            assert name not in response.get_data(as_text=True)
        # The API answers JSON.
        assert requester.open(f"/api/v1/people/{person_id}", "GET").get_json() == {"error": "没有权限执行此操作"}


def test_operations_log_hides_applicants_from_the_security_officer(app, demo):
    World(demo)  # its 实名校验 requests log realname.save rows naming the applicant
    security, auditor = Requester(app, demo.users["security_officer"]), Requester(app, demo.users["auditor"])
    shown = security.open("/audit/operations?action=realname.save", "GET").get_data(as_text=True)
    assert 'data-action="realname.save"' in shown and "实名200" not in shown
    assert "姓名：实名200" in auditor.open("/audit/operations?action=realname.save", "GET").get_data(as_text=True)


def test_readme_shows_the_policy_as_it_is():
    import pathlib
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert policy.as_markdown() in readme, "README's Security table is stale: paste `python -m app.access.policy`"
