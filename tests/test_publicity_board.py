"""党务公开: a 公示 recorded on a step is on the public board during its period, without login, cookie or
personal numbers, and leaves it when the period ends or the person leaves the pipeline."""
import io
from datetime import timedelta

import pytest

from app.extensions import db
from app.timeutil import local_today
from app.workflow import services, simulate

PUBLICITY_FORM = "step04_activist_publicity"   # 入党积极分子公示、备案


def _token(client, user):
    response = client.post("/api/v1/auth/token", json={"username": user.username, "password": "Demo12345"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def at_publicity(client, demo):
    """A person of branch 1 at the step recording the 入党积极分子 publicity, and the branch's API token."""
    branch, committee = demo.users["branch1:branch_admin"], demo.users["committee1:committee_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 7, name="公示人")
    simulate.advance(person, {"branch_admin": branch, "committee_admin": committee}, until_task=PUBLICITY_FORM)
    task = next(t for t in services.load(person).ready if t.form_key == PUBLICITY_FORM)
    headers = _token(client, branch)
    sha = client.post("/api/v1/attachments", headers=headers,
                      data={"file": (io.BytesIO(simulate.TINY_PNG), "公示人身份证号360426.png")}).get_json()["sha256"]
    return person, task, headers, sha


def _record(client, headers, task, sha, start, end, action="save", result=""):
    data = simulate.sample(PUBLICITY_FORM, sha)
    data.update(publicity_start=start.isoformat(), publicity_end=end.isoformat(), publicity_result=result,
                publicity_materials=[sha])
    return client.post(f"/api/v1/tasks/{task.id}", headers=headers, json={"action": action, "data": data})


def test_a_saved_publicity_is_on_the_public_board_during_its_period(app, client, demo, at_publicity):
    person, task, headers, sha = at_publicity
    today = local_today()
    saved = _record(client, headers, task, sha, today - timedelta(days=2), today + timedelta(days=4))
    assert saved.status_code == 200, saved.get_json()

    public = app.test_client()
    page = public.get(f"/gongkai/{demo.orgs['branch1'].id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "公示人" in text and "入党积极分子公示" in text and (today + timedelta(days=4)).isoformat() in text
    assert person.id_number not in text and person.id_number[:6] not in text   # no ID number, not even a part
    assert "公示人身份证号" not in text   # the file's name is not shown: it may carry what the notice does not
    assert "Set-Cookie" not in page.headers and "public" in page.headers["Cache-Control"]
    # The county's index lists the subtree; another branch's board does not.
    assert "公示人" in public.get(f"/gongkai/{demo.orgs['county'].id}").get_data(as_text=True)
    assert "公示人" not in public.get(f"/gongkai/{demo.orgs['branch2'].id}").get_data(as_text=True)
    # The material is served to anyone while listed; a cached copy is revalidated by its ETag.
    picture = public.get(page_link(text))
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    again = public.get(f"/gongkai/{demo.orgs['branch1'].id}", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304
    assert public.get("/gongkai/").status_code == 200


def page_link(text: str) -> str:
    start = text.index("/gongkai/", text.index("公示材料") - 200)
    return text[start:text.index('"', start)]


def test_the_result_waits_for_the_end_and_the_notice_leaves_with_the_period(app, client, demo, at_publicity):
    person, task, headers, sha = at_publicity
    today = local_today()
    early = _record(client, headers, task, sha, today - timedelta(days=2), today + timedelta(days=4),
                    action="submit", result="通过")
    assert early.status_code == 422
    assert "公示尚未结束" in early.get_json()["fields"]["publicity_end"][0]
    no_result = _record(client, headers, task, sha, today - timedelta(days=9), today - timedelta(days=1),
                        action="submit")
    assert no_result.status_code == 422 and "publicity_result" in no_result.get_json()["fields"]

    # The period is over: the notice is off the board, and so is its material.
    assert _record(client, headers, task, sha, today - timedelta(days=9), today - timedelta(days=1)).status_code == 200
    board = app.test_client().get(f"/gongkai/{demo.orgs['branch1'].id}").get_data(as_text=True)
    assert "公示人" not in board and "暂无正在公示的人员" in board


def test_a_cancelled_person_leaves_the_board(app, client, demo, at_publicity):
    person, task, headers, sha = at_publicity
    today = local_today()
    assert _record(client, headers, task, sha, today, today + timedelta(days=6)).status_code == 200
    board = f"/gongkai/{demo.orgs['branch1'].id}"
    text = app.test_client().get(board).get_data(as_text=True)
    link = page_link(text)
    services.cancel(demo.users["branch1:branch_admin"], services.load(person), "本人申请退出", [])
    db.session.commit()
    assert "公示人" not in app.test_client().get(board).get_data(as_text=True)
    assert app.test_client().get(link).status_code == 404


def test_unknown_boards_and_files_are_404(app):
    public = app.test_client()
    assert public.get("/gongkai/999999").status_code == 404
    assert public.get("/gongkai/999999/files/1").status_code == 404
    assert public.get("/gongkai/99999999999999999999999").status_code in (400, 404)
