"""The auditor's pages over HTTP: people in scope, timeline with filters, replay as of event N,
verification page, JSON bundle with offline check, dossier HTML/PDF, the operations log, and the rule
that an auditor changes nothing (403 on every state-changing route, web and API)."""
import json
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa

from app.audit import records
from app.events.models import Event, OperationLog
from app.extensions import db
from app.people.models import Person
from app.workflow import services, simulate
from app.workflow.models import ProcessInstance
from tests.conftest import count, csrf_token, login


@pytest.fixture
def auditor(app, demo):
    client = app.test_client()
    login(client, demo.users["auditor"])
    return client


def _ctx(person_id):
    db.session.expire_all()
    return services.load(db.session.get(Person, person_id))


@pytest.fixture
def rejected(demo, actors):
    """A person whose step 2 was reported (#3), rejected (#4), reported again (#5) and approved (#6)."""
    branch, committee = actors["branch_admin"], actors["committee_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 1, name="李审计")
    sha = simulate.stored_sample_file(branch)
    pid = person.id
    for actor, action, kwargs in (
            (branch, "report", {"data": simulate.sample("step02_talk", sha, talk_date="2020-01-21")}),
            (committee, "reject", {"opinion": "谈话记录不完整"}),
            (branch, "report", {"data": simulate.sample("step02_talk", sha, talk_date="2020-02-02")}),
            (committee, "approve", {"opinion": "同意"})):
        ctx = _ctx(pid)
        services.act(actor, ctx, ctx.ready[0].id, action, **kwargs)
        db.session.commit()
    return db.session.get(Person, pid)


def _html(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_menu_and_people_in_scope(app, demo, auditor, rejected, actors):
    html = _html(auditor.get("/audit/"))
    assert 'data-menu="audit"' in html and 'data-menu="oplog"' in html
    assert "李审计" in html
    assert "李审计" in _html(auditor.get("/audit/?q=李审"))
    assert "李审计" not in _html(auditor.get("/audit/?q=王五"))
    # An auditor of another committee sees neither the person nor their pages.
    from app.auth.services import create_user
    other = create_user(username="110101199003070310", name="另一审计", role="auditor", org=demo.orgs["committee2"],
                        password="Demo12345")
    db.session.commit()
    client = app.test_client()
    login(client, other)
    assert "李审计" not in _html(client.get("/audit/"))
    for path in ("", "/replay", "/verify", "/export.json", "/dossier"):
        assert client.get(f"/audit/people/{rejected.id}{path}").status_code == 404
    # A branch admin has no audit menu.
    branch = app.test_client()
    login(branch, actors["branch_admin"])
    assert branch.get("/audit/").status_code == 403
    assert branch.get("/audit/operations").status_code == 403


def test_timeline_shows_every_event_and_filters(auditor, rejected):
    html = _html(auditor.get(f"/audit/people/{rejected.id}"))
    assert re.findall(r'data-seq="(\d+)"', html) == ["1", "2", "3", "4", "5", "6"]
    assert "赵党委" in html and "基层党委管理员" in html and "中共宁阳县东疏镇委员会" in html
    assert "谈话记录不完整" in html and "2020-02-02" in html and "2.党组织派人谈话（审核）" in html
    rejects = _html(auditor.get(f"/audit/people/{rejected.id}?action=reject"))
    assert re.findall(r'data-action="(\w+)"', rejects) == ["reject"]
    by_actor = _html(auditor.get(f"/audit/people/{rejected.id}?actor=赵党委"))
    assert re.findall(r'data-action="(\w+)"', by_actor) == ["reject", "approve"]
    assert re.findall(r'data-seq="(\d+)"', _html(auditor.get(f"/audit/people/{rejected.id}?to=2000-01-01"))) == []


def test_timeline_data_reads_as_the_form_labels_it_and_an_amend_as_old_to_new(auditor, rejected, demo):
    ctx = _ctx(rejected.id)
    talk = next(s for s in services.step_catalogue(ctx.instance.process_version_id) if s.form_key == "step02_talk")
    # Stage 1 is sealed by the approval (R32): the county's 更正 is the change the timeline shows.
    county = demo.users["county:county_admin"]
    services.correct_step(county, ctx, talk.step, {"talk_date": "2020-02-03"}, reason="笔误",
                          attachments=[simulate.stored_sample_file(county)], expected_version=ctx.instance.version)
    db.session.commit()
    html = _html(auditor.get(f"/audit/people/{rejected.id}"))
    fields = re.findall(r'<dl class="event-fields">(.*?)</dl>', html, re.S)
    text = re.sub(r"<[^>]+>", " ", " ".join(fields))
    assert "审核结果" in text and "不通过" in text and "审核意见" in text and "谈话记录不完整" in text
    assert "谈话时间" in text or "谈话日期" in text
    for raw in ("decision", "reject", "opinion", "step02", "{"):
        assert raw not in text, raw
    amend = re.search(r'data-action="correct".*?</tr>', html, re.S).group(0)
    assert re.search(r'class="old">2020-02-02</span> → <span class="new">2020-02-03', amend)


def _div_attr(html, name):
    match = re.search(rf"{name}='([^']*)'", html)
    return json.loads(match.group(1))


def test_replay_shows_the_state_as_of_each_event(auditor, rejected):
    after_reject = _html(auditor.get(f"/audit/people/{rejected.id}/replay?n=4"))
    assert 'data-step="2" data-status="ready" data-review="审核不通过"' in after_reject
    assert _div_attr(after_reject, "data-current") == ["step02_talk"]
    assert "step01_application" in _div_attr(after_reject, "data-done")
    flows = _div_attr(after_reject, "data-flows")
    xml = auditor.get(re.search(r'data-xml-url="([^"]+)"', after_reject).group(1)).get_data(as_text=True)
    assert flows and all(f'id="{flow}"' in xml for flow in flows)
    assert "2020-01-21" in after_reject and "2020-02-02" not in after_reject
    awaiting = _html(auditor.get(f"/audit/people/{rejected.id}/replay?n=5"))
    assert 'data-step="2" data-status="review" data-review="待审核"' in awaiting
    assert "2020-02-02" in awaiting
    final = _html(auditor.get(f"/audit/people/{rejected.id}/replay"))
    assert 'data-step="2" data-status="done" data-review="审核通过"' in final
    assert 'data-step="3" data-status="ready"' in final
    assert len(_div_attr(final, "data-flows")) > len(flows)
    first = _html(auditor.get(f"/audit/people/{rejected.id}/replay?n=1"))
    assert 'data-step="1" data-status="ready"' in first and _div_attr(first, "data-current") == ["step01_application"]


def test_replay_reads_the_log_not_todays_state(auditor, rejected):
    db.session.execute(sa.text("UPDATE process_instance SET state = REPLACE(state, '2020-02-02', '1999-09-09')"))
    db.session.execute(sa.text("UPDATE person SET name = '改名'"))
    db.session.commit()
    html = _html(auditor.get(f"/audit/people/{rejected.id}/replay"))
    assert "2020-02-02" in html and "1999-09-09" not in html


def test_verify_page_for_scope_and_person(auditor, rejected, demo, actors):
    simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 2, name="第二人")
    assert 'data-testid="verify-start"' in _html(auditor.get("/audit/verify"))
    # The scope's verification is a job: started by a POST, run by the worker (at once in tests), shown on its page.
    html = _html(auditor.post("/audit/verify", data={"csrf_token": csrf_token(auditor, "/audit/")},
                              follow_redirects=True))
    assert 'data-job-status="done"' in html
    assert 'data-testid="verify-clean"' in html and "核验实例 2 个" in html
    db.session.execute(sa.text("UPDATE event SET data = '{}' WHERE instance_id = :i AND seq = 4"),
                       {"i": rejected.instance_id})
    db.session.commit()
    html = _html(auditor.post("/audit/verify", data={"csrf_token": csrf_token(auditor, "/audit/")},
                              follow_redirects=True))
    assert 'data-testid="verify-dirty"' in html
    assert f'data-kind="chain" data-instance="{rejected.instance_id}" data-seq="4"' in html
    person_html = _html(auditor.get(f"/audit/people/{rejected.id}/verify"))
    assert "核验实例 1 个" in person_html and 'data-seq="4"' in person_html
    assert count(OperationLog, OperationLog.action == "audit.verify") == 3


def test_export_bundle_verifies_offline_and_detects_tampering(app, auditor, rejected, tmp_path):
    response = auditor.get(f"/audit/people/{rejected.id}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    bundle = response.get_json()
    assert [e["action"] for e in bundle["events"]] == ["start", "submit", "report", "reject", "report", "approve"]
    assert bundle["process_versions"][0]["checksum"] and bundle["attachments"]
    assert count(OperationLog, OperationLog.action == "audit.export") == 1
    files = tmp_path / "files"
    files.mkdir()
    for item in bundle["attachments"]:
        (files / item["sha256"]).write_bytes(open(records.file_path(item["sha256"]), "rb").read())
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    script = [sys.executable, "scripts/verify_bundle.py", str(path), "--files", str(files)]
    assert subprocess.run(script, capture_output=True).returncode == 0
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify-bundle", str(path), "--files", str(files)])
    assert result.exit_code == 0, result.output
    bundle["events"][3]["data"]["opinion"] = "同意"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    offline = subprocess.run(script, capture_output=True, text=True)
    assert offline.returncode == 1 and "event #4: content does not match its hash" in offline.stdout
    result = runner.invoke(args=["audit", "verify-bundle", str(path)])
    assert result.exit_code == 1 and "事件 #4" in result.output


def test_cli_export_writes_the_same_bundle(app, rejected, tmp_path):
    out = tmp_path / "b.json"
    result = app.test_cli_runner().invoke(args=["audit", "export", str(rejected.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["last_hash"] == records.event_dicts(rejected.instance_id)[-1]["hash"]


def _pdf_fonts(pdf: bytes) -> set[bytes]:
    """Font names of a PDF, including those inside compressed object streams."""
    import zlib
    names = set(re.findall(rb"/BaseFont\s*/([\w+-]+)", pdf))
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            names |= set(re.findall(rb"/BaseFont\s*/([\w+-]+)", zlib.decompress(match.group(1))))
        except zlib.error:
            pass
    return names


def test_dossier_html_and_pdf(auditor, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 3, name="档案人")
    simulate.advance(person, actors, until_step=None)
    html = _html(auditor.get(f"/audit/people/{person.id}/dossier"))
    assert html.count('class="step"') == 25 and "css/dossier.css" in html and "入党材料" in html
    assert html.count("审核结果") == 7
    pdf = auditor.get(f"/audit/people/{person.id}/dossier.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and any(b"Noto-Serif-CJK-SC" in name for name in _pdf_fonts(pdf.data))
    assert count(OperationLog, OperationLog.action == "audit.dossier") == 2


def test_operations_log_viewer_filters_and_scope(app, demo, auditor, rejected):
    security = app.test_client()
    login(security, demo.users["security_officer"])
    html = _html(security.get("/audit/operations"))
    assert 'data-action="login"' in html and "褚审计" in html
    logins = _html(security.get("/audit/operations?action=login"))
    assert set(re.findall(r'data-action="([\w.]+)"', logins)) == {"login"}
    assert _html(auditor.get("/audit/operations?actor=冯安全")).count('data-action="login"') == 1
    assert 'data-action' not in _html(auditor.get("/audit/operations?to=2000-01-01"))
    # A failed login naming an account in scope is shown; one naming no account is not (below the root).
    client = app.test_client()
    token = csrf_token(client)
    client.post("/auth/login", data={"csrf_token": token, "username": demo.users["branch_admin"].username,
                                     "password": "wrong", "captcha": "x"})
    from app.events.services import log_operation
    log_operation(None, "login.failed", target="nobody-at-all", detail={"reason": "unknown"})
    db.session.commit()
    html = _html(auditor.get("/audit/operations?action=login.failed"))
    assert "nobody-at-all" not in html


# POSTs that only start reading work in the background (a job row for its progress; the verification logs
# itself as it did when it ran inline): the auditor may start them.
STARTS_A_READING_JOB = {"audit.verify_scope_start", "query.export_job"}


def _state_changing_rules(app):
    # Every state-changing route except the account's own session (login, logout, its token) and the public
    # forms of anonymous visitors (activation, forgotten password).
    from app.access.policy import right
    from app.access.routes import needed
    for rule in app.url_map.iter_rules():
        if rule.endpoint in STARTS_A_READING_JOB:
            continue
        methods = [m for m in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"})
                   if needed(rule.endpoint, m) not in (("public", "use"), ("session", "use"))]
        assert all(right(*needed(rule.endpoint, m)).writes for m in methods), rule
        if methods:
            yield rule, methods


def test_auditor_gets_403_on_every_state_changing_route(app, demo, auditor, rejected, actors):
    ctx = _ctx(rejected.id)
    values = {"person_id": rejected.id, "step": 3, "org_id": demo.orgs["county"].id,
              "user_id": actors["branch_admin"].id, "task_id": ctx.ready[0].id}
    before = (count(Event), db.session.get(ProcessInstance, rejected.instance_id).version)
    token = csrf_token(auditor, "/audit/")
    api_token = app.test_client().post("/api/v1/auth/token", json={
        "username": demo.users["auditor"].username, "password": "Demo12345"}).get_json()["token"]
    tried = []
    for rule, methods in _state_changing_rules(app):
        # Routes added later get id 1 for any argument not named here: the rule must hold for them too.
        url = rule.build({arg: values.get(arg, 1) for arg in rule.arguments}, append_unknown=False)[1]
        for method in methods:
            if url.startswith("/api/"):
                response = auditor.open(url, method=method, json={"action": "approve", "data": {}},
                                        headers={"Authorization": f"Bearer {api_token}"})
            else:
                response = auditor.open(url, method=method, data={"csrf_token": token, "action": "submit",
                                                                  "reason": "x", "target": "applicant"})
            assert response.status_code == 403, (method, url, response.status_code)
            tried.append(url)
    assert len(tried) >= 17 and any("/cancel" in u for u in tried) and any(u.startswith("/api/") for u in tried)
    db.session.expire_all()
    assert (count(Event), db.session.get(ProcessInstance, rejected.instance_id).version) == before
    # The same request from the branch admin goes through: the 403 above is the auditor rule, not a bad request.
    branch = app.test_client()
    login(branch, actors["branch_admin"])
    response = branch.post(f"/process/{rejected.id}/cancel", data={"csrf_token": csrf_token(branch, "/inbox/"),
                                                                   "reason": "测试"})
    assert response.status_code == 303 and count(Event) == before[0] + 1
