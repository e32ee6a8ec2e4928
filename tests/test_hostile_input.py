"""Hostile input ends in 400/404/422 with the usual HTML and JSON shapes, never a 5xx: huge integers, NUL
characters, deep or mistyped JSON, far dates, event dates in the future; ID and phone numbers are normalised
(NFKC, ASCII digits, upper-case X) before validation and before R18, which the database holds too."""
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.people.models import Person
from app.timeutil import local_today
from app.workflow import simulate
from forms import get_form_class
from forms.codec import to_formdata
from forms.validators import ascii_digits, normalize_id_number
from tests.conftest import count, csrf_token, login
from tests.rows import add_person

HUGE = "99999999999999999999"


def _token(client, user):
    response = client.post("/api/v1/auth/token", json={"username": user.username, "password": "Demo12345"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def api(client, demo):
    return _token(client, demo.users["branch1:branch_admin"])


def _upload(client, headers):
    response = client.post("/api/v1/attachments", headers=headers,
                           data={"file": (io.BytesIO(simulate.TINY_PNG), "scan.png")})
    return response.get_json()["sha256"]


def test_a_nul_in_the_username_before_login_is_a_400_page(client):
    token = csrf_token(client)
    response = client.post("/auth/login", data={"csrf_token": token, "username": "1101\x00", "password": "x",
                                                "captcha": "x"})
    assert response.status_code == 400
    assert "不允许的字符" in response.get_data(as_text=True)


def test_a_nul_in_a_query_value_or_a_json_string_is_a_400(client, demo, api):
    login(client, demo.users["county_admin"])
    assert client.get("/people/info?q=\x00").status_code == 400
    response = client.post("/api/v1/auth/token", json={"username": "a\x00", "password": "x"})
    assert response.status_code == 400 and response.get_json() == {"error": "请求体须为JSON"}
    response = client.get("/api/v1/tasks?view=\x00", headers=api)
    assert response.status_code == 400 and "NUL" in response.get_json()["error"]


def test_json_nested_100000_deep_before_login_is_a_400(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json() == {"error": "请求体须为JSON"}


def test_mistyped_json_fields_are_422(client, demo, api):
    response = client.post("/api/v1/applicants", headers=api, json={"action": ["save"]})
    assert response.status_code == 422 and "action" in response.get_json()["fields"]
    sha = _upload(client, api)
    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id)
    created = client.post("/api/v1/applicants", headers=api, json={"data": data}).get_json()
    task_id = created["ready"][0]["id"]
    for body in ({"action": ["save"]}, {"action": "save", "data": ["x"]}, {"action": "save", "data": "x"},
                 {"action": {"a": 1}}, {"action": "save", "version": HUGE}, {"action": "save", "opinion": [1]}):
        response = client.post(f"/api/v1/tasks/{task_id}", headers=api, json=body)
        assert response.status_code in (400, 409, 422), (body, response.status_code)
        assert "error" in response.get_json()


def test_huge_integers_in_pages_and_paths(client, demo, api):
    login(client, demo.users["county_admin"])
    assert client.get(f"/inbox/?page={HUGE}").status_code == 200
    assert client.get(f"/people/?page={HUGE}&org={HUGE}").status_code == 200
    assert client.get(f"/process/{HUGE}").status_code == 404
    assert client.get(f"/orgs/{HUGE}").status_code == 404
    response = client.get(f"/api/v1/people/{HUGE}", headers=api)
    assert response.status_code == 404 and response.get_json()["error"]
    assert client.get(f"/api/v1/tasks?page={HUGE}&per_page={HUGE}", headers=api).status_code == 200


def test_far_dates_on_audit_pages(client, demo):
    person = simulate.add_applicant(demo.users["branch1:branch_admin"], demo.orgs["branch1"], 1)
    login(client, demo.users["auditor"])
    for query in ("to=9999-12-31", "from=0001-01-01", "from=9999-12-31&to=9999-12-31"):
        assert client.get(f"/audit/people/{person.id}?{query}").status_code == 200
        assert client.get(f"/audit/operations?{query}").status_code == 200


@pytest.mark.parametrize("day, message", [
    ("9999-12-31", "谈话时间应在1900年至2100年之间"),
    ("1899-12-31", "谈话时间应在1900年至2100年之间"),
    (None, "谈话时间不能晚于今天"),
])
def test_step_dates_out_of_bounds_or_in_the_future_are_refused_beside_the_field(client, demo, api, day, message):
    day = day or (local_today() + timedelta(days=1)).isoformat()
    sha = _upload(client, api)
    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id)
    created = client.post("/api/v1/applicants", headers=api, json={"data": data}).get_json()
    task_id = created["ready"][0]["id"]
    step = simulate.sample("step02_talk", sha, talk_date=day)
    response = client.post(f"/api/v1/tasks/{task_id}", headers=api, json={"action": "submit", "data": step})
    assert response.status_code == 422
    assert response.get_json()["fields"]["talk_date"] == [message]
    today = simulate.sample("step02_talk", sha, talk_date=local_today().isoformat())
    response = client.post(f"/api/v1/tasks/{task_id}", headers=api, json={"action": "save", "data": today})
    assert response.status_code == 200


def test_the_step_page_shows_the_date_message_beside_the_field_with_the_input_kept(app, demo, actors):
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1)
    client = app.test_client()
    login(client, actors["branch_admin"])
    data = simulate.sample("step02_talk", simulate.stored_sample_file(actors["branch_admin"]), talk_date="9999-12-31")
    db.session.commit()
    form = to_formdata(get_form_class("step02_talk"), data)
    page = client.get(f"/process/{person.id}/steps/2").get_data(as_text=True)
    form["version"] = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    form["task_id"] = re.search(r'name="task_id"[^>]*value="([^"]+)"', page).group(1)
    form.update({"csrf_token": csrf_token(client, f"/process/{person.id}/steps/2"), "action": "report"})
    response = client.post(f"/process/{person.id}/steps/2", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)', html)
    assert "谈话时间应在1900年至2100年之间" in html and 'value="9999-12-31"' in html


@pytest.mark.parametrize("written", [
    "３６０４２６１９９１０１０１００７１",                 # fullwidth
    "٣٦٠٤٢٦١٩٩١٠١٠١٠٠٧١",                               # Arabic-Indic
    " 360426199101010071 ",
])
def test_id_numbers_in_other_digits_are_the_same_number(client, demo, api, written):
    assert normalize_id_number(written) == "360426199101010071"
    sha = _upload(client, api)
    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id,
                           id_number="360426199101010071")
    assert client.post("/api/v1/applicants", headers=api, json={"data": data}).status_code == 201
    again = dict(data, id_number=written, phone="１３８００１３８０００")
    response = client.post("/api/v1/applicants", headers=api, json={"data": again})
    assert response.status_code == 422
    assert "已存在" in response.get_json()["fields"]["id_number"][0]
    assert count(Person) == 1


def test_a_fullwidth_id_and_phone_are_stored_in_ascii(client, demo, api):
    assert normalize_id_number("３４０５２４１９８００１０１００１ｘ") == "34052419800101001X"
    assert ascii_digits("١٣٨٠٠١٣٨٠٠٠") == "13800138000"
    sha = _upload(client, api)
    data = simulate.sample("step01_application", sha, org_id=demo.orgs["branch1"].id,
                           id_number="３４０５２４１９８００１０１００１ｘ", phone="١٣٨٠٠١٣٨٠٠٠",
                           birth_date="1980-01-01")
    response = client.post("/api/v1/applicants", headers=api, json={"data": data})
    assert response.status_code == 201, response.get_json()
    person = db.session.get(Person, response.get_json()["person"]["id"])
    assert (person.id_number, person.phone) == ("34052419800101001X", "13800138000")


def test_r18_is_held_by_a_unique_index_among_open_records(demo):
    branch = demo.orgs["branch1"]
    add_person(branch, id_number="360426199101010071", status="closed")
    add_person(branch, id_number="360426199101010071", status="closed")
    add_person(branch, id_number="360426199101010071", status="cancelled")
    db.session.commit()
    with pytest.raises(IntegrityError):
        add_person(branch, id_number="360426199101010071")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 3


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)


def test_a_login_name_in_fullwidth_digits_is_the_same_account(client, demo):
    user = demo.users["branch1:branch_admin"]
    assert user.username.isascii() and any(ch.isdigit() for ch in user.username)
    response = client.post("/api/v1/auth/token", json={"username": _fullwidth(user.username), "password": "Demo12345"})
    assert response.status_code == 200, response.get_json()


def test_a_transfer_request_finds_the_person_by_an_id_number_in_other_digits(demo):
    from app.transfers import services as transfers
    from app.workflow import simulate as sim
    person = sim.add_applicant(demo.users["branch1:branch_admin"], demo.orgs["branch1"], seq=901)
    receiver = demo.users["branch3:branch_admin"]
    transfer = transfers.request_transfer(receiver, person.name, _fullwidth(person.id_number), demo.orgs["branch3"].id)
    assert transfer.person_id == person.id
