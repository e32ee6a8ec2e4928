"""The inbox and stage lists above the count cap: newest first, no gaps or repeats across pages."""
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.inbox import services as inbox
from app.inbox.models import HumanTask
from app.people import services as people_services
from app.workflow import simulate
from tests.conftest import login


def _fill_inbox(demo, n):
    """n ready-task rows spread over two branches (the inbox is a projection: rows are what it reads)."""
    holder = simulate.add_applicant(demo.users["branch1:branch_admin"], demo.orgs["branch1"], 99)
    db.session.execute(sa.delete(HumanTask))
    start = datetime(2026, 1, 1)
    rows = []
    for i in range(n):
        org = demo.orgs["branch1" if i % 2 else "branch3"]
        rows.append({"instance_id": holder.instance_id, "person_id": holder.id, "task_id": f"t{i:05d}", "task_name": "step02_talk",
                     "title": "谈话", "step": 2, "stage": 1, "role": "branch_admin", "org_path": org.path,
                     "person_name": f"人员{i}", "org_name": org.name, "status": "待处理",
                     "arrived_at": start + timedelta(minutes=i * 7 % n)})
    db.session.execute(sa.insert(HumanTask), rows)
    db.session.commit()


def test_capped_inbox_pages_newest_first_without_gaps(app, demo, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_CAP", 50)
    _fill_inbox(demo, 130)
    county = demo.users["county:county_admin"]
    expected = list(db.session.scalars(
        sa.select(HumanTask.task_id).order_by(HumanTask.arrived_at.desc(), HumanTask.id.desc())))
    seen = []
    for number in range(1, 8):
        page = inbox.inbox_page(county, "below", page=number, per_page=20)
        assert page.capped and page.total == 50
        seen += [t.task_id for t in page.items]
        if not page.has_next:
            break
    assert seen == expected and number == 7
    # Below the cap the same order, with an exact total.
    monkeypatch.setattr(inbox, "COUNT_CAP", 100)
    branch = inbox.inbox_page(demo.users["branch1:branch_admin"], "mine", page=1, per_page=200)
    assert not branch.capped and branch.total == 65
    assert [t.task_id for t in branch.items] == [t for t in expected if int(t[1:]) % 2]


def test_capped_inbox_page_says_n_plus(app, demo, client, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_CAP", 30)
    _fill_inbox(demo, 45)
    login(client, demo.users["county:county_admin"])
    html = client.get("/inbox/?view=below").get_data(as_text=True)
    assert "共 30+ 条" in html and "下一页" in html
    assert "第 3 页" in client.get("/inbox/?view=below&page=3").get_data(as_text=True)


def test_stage_page_counts_and_pages_by_index(app, demo):
    branch = demo.users["branch1:branch_admin"]
    people = [simulate.add_applicant(branch, demo.orgs["branch1"], i) for i in range(5)]
    db.session.commit()
    page = people_services.stage_page(branch, 1, per_page=2, page=3)
    assert page.total == 5 and page.pages == 3 and [p.id for p in page.items] == [people[0].id]
    other = people_services.stage_page(demo.users["branch2:branch_admin"], 1)
    assert other.total == 0 and other.items == []
