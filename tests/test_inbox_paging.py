"""The inbox and stage lists above the count cap: newest first, no gaps or repeats across pages."""
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import render_template_string

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


def test_stage_and_info_lists_page_by_keyset_with_a_capped_count(app, demo, client, monkeypatch):
    from app import paging
    from app.people import profile
    branch = demo.users["branch1:branch_admin"]
    people = [simulate.add_applicant(branch, demo.orgs["branch1"], i) for i in range(7)]
    db.session.commit()
    newest_first = [p.id for p in reversed(people)]
    for listing in (lambda **kw: people_services.stage_page(branch, 1, per_page=3, **kw),
                    lambda **kw: profile.search(branch, per_page=3, **kw)):
        first = listing(page=1)
        second = listing(page=2, after=first.next_after)
        third = listing(page=3, after=second.next_after)
        assert [p.id for p in first.items + second.items + third.items] == newest_first
        # 上一页 from page 3 gives page 2 again; the offset of a numbered jump agrees with the cursor.
        assert [p.id for p in listing(page=2, before=third.prev_before).items] == [p.id for p in second.items]
        assert [p.id for p in listing(page=2).items] == [p.id for p in second.items]
        assert first.total == 7 and not first.capped
    monkeypatch.setattr(paging.KeysetPage.__init__, "__kwdefaults__",
                        dict(paging.KeysetPage.__init__.__kwdefaults__, cap=4))
    capped = people_services.stage_page(branch, 1, per_page=3)
    assert capped.capped and capped.total == 4 and capped.has_next
    # The pager: 下一页 and 上一页 carry the cursor, page numbers and the 前往 form do not, and it says what a
    # jump does.
    middle = people_services.stage_page(branch, 1, per_page=2, page=3, after=newest_first[3])
    with app.test_request_context("/people/?stage=1&name="):
        html = render_template_string('{% from "macros.html" import pager %}'
                                      '{{ pager(page, "people.stage_list", stage=1, name="") }}', page=middle)
    assert f"after={newest_first[5]}" in html and f"before={newest_first[4]}" in html
    assert 'href="/people/?page=1&amp;stage=1&amp;name="' in html and "从第一条数起" in html
    assert 'name="after"' not in html and 'name="before"' not in html
    # The page reads the cursor of 下一页.
    login(client, branch)
    rows = client.get(f"/people/?stage=1&after={people[3].id}").get_data(as_text=True)
    assert people[2].name in rows and f'/process/{people[3].id}"' not in rows and f'/process/{people[2].id}"' in rows


def test_a_subtree_list_sorted_from_its_range_pages_like_the_whole_tree(app, demo):
    # The county admin's lists are read from the path range and sorted (app.scope.below_root), the province
    # admin's by walking the id index: both give the same persons newest first, page after page.
    from app.people import profile
    from app.scope import below_root
    b1, b2 = demo.users["branch1:branch_admin"], demo.users["branch3:branch_admin"]
    people = [simulate.add_applicant(b, demo.orgs[key], i)
              for i, (b, key) in enumerate([(b1, "branch1"), (b2, "branch3")] * 4)]
    db.session.commit()
    county, province = demo.users["county_admin"], demo.users["province_admin"]
    assert below_root(county.org.path) and not below_root(province.org.path)
    newest_first = [p.id for p in reversed(people)]
    for user in (county, province):
        for listing in (lambda **kw: people_services.stage_page(user, 1, per_page=3, **kw),
                        lambda **kw: profile.search(user, per_page=3, **kw)):
            first = listing(page=1)
            second = listing(page=2, after=first.next_after)
            third = listing(page=3, after=second.next_after)
            assert [p.id for p in first.items + second.items + third.items][:8] == newest_first
            assert [p.id for p in listing(page=2, before=third.prev_before).items] == [p.id for p in second.items]
            assert [p.id for p in listing(page=3).items] == [p.id for p in third.items]
