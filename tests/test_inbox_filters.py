"""待办任务 search: by name, step and organisation, server-side, within scope, below and above the count cap."""
import re

import sqlalchemy as sa

from app.extensions import db
from app.inbox import services as inbox
from app.inbox.models import HumanTask
from tests.conftest import login
from tests.test_inbox_paging import _fill_inbox


def test_inbox_filters_by_name_step_and_organisation(app, demo, client, monkeypatch):
    _fill_inbox(demo, 40)
    db.session.execute(sa.update(HumanTask).where(HumanTask.task_id.in_(["t00003", "t00004"]))
                       .values(step=7, title="确定发展对象人选"))
    db.session.commit()
    county = demo.users["county:county_admin"]
    for cap in (1000, 5):  # the exact plan and the capped plan filter alike
        monkeypatch.setattr(inbox, "COUNT_CAP", cap)
        named = inbox.inbox_page(county, "below", per_page=50, name="人员1")
        assert {t.person_name for t in named.items} == {f"人员{i}" for i in range(40) if str(i).startswith("1")}
        assert {t.task_id for t in inbox.inbox_page(county, "below", per_page=50, step=7).items} == {"t00003", "t00004"}
        branch1 = inbox.inbox_page(county, "below", per_page=50, org=demo.orgs["branch1"]).items
        assert branch1 and all(t.org_path == demo.orgs["branch1"].path for t in branch1)
        assert inbox.inbox_page(county, "below", per_page=50, name="%").items == []  # LIKE is escaped

    login(client, county)
    html = client.get(f"/inbox/?view=below&name=人员3&step=7&org={demo.orgs['branch1'].id}").get_data(as_text=True)
    assert re.findall(r"<td class=\"nowrap\" data-label=\"姓名\">([^<]+)</td>", html) == ["人员3"]
    assert 'value="人员3"' in html and '<option value="7" selected>' in html
    other = app.test_client()
    login(other, demo.users["branch1:branch_admin"])
    assert other.get(f"/inbox/?org={demo.orgs['branch3'].id}").status_code == 404  # another branch's tree
