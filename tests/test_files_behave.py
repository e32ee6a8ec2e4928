"""Files on step forms: an upload survives an error elsewhere in the form, a file shows its name, type and
size (never its hash), a portrait (2寸照片) is a picture on the person's pages and sheets."""
import io
import re

import pytest

from app.extensions import db
from app.people.models import Person
from app.workflow import services, simulate
from forms import get_form_class
from forms.codec import to_formdata
from tests.conftest import csrf_token, login

HASH = re.compile(r"[0-9a-f]{64}")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _visible_text(html: str) -> str:
    """What a reader sees: tags (and the hashes in their attributes) removed."""
    return re.sub(r"<[^>]+>", " ", html)


def _application(demo, **overrides):
    data = simulate.sample("step01_application", "0" * 64, org_id=demo.orgs["branch1"].id,
                           id_number=simulate.make_id_number(41), **overrides)
    form = to_formdata(get_form_class("step01_application"), data)
    form.poplist("application_scans")
    return form


@pytest.fixture
def branch(app, demo):
    client = app.test_client()
    login(client, demo.users["branch1:branch_admin"])
    return client


def test_upload_survives_an_error_in_another_field_and_is_shown_by_name(branch, demo):
    form = _application(demo, name="")
    form.update({"csrf_token": csrf_token(branch, "/process/new"), "action": "submit"})
    form.add("application_scans", (io.BytesIO(simulate.TINY_PNG), "入党申请书.png"))
    response = branch.post("/process/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请填写姓名" in html
    kept = re.findall(r'name="application_scans" value="([0-9a-f]{64})"', html)
    assert len(kept) == 1  # the file is cited again by the form shown, the user does not choose it again
    text = _visible_text(html)
    assert "入党申请书.png" in text and "PNG图片" in text and "KB" in text
    assert not HASH.search(text)
    assert 'class="thumb"' in html and f"/attachments/{kept[0]}" in html
    assert branch.get(f"/attachments/{kept[0]}").data == simulate.TINY_PNG  # the row survived the 422

    again = _application(demo)
    again.update({"csrf_token": csrf_token(branch, "/process/new"), "action": "submit",
                  "application_scans": kept[0]})
    response = branch.post("/process/new", data=again, content_type="multipart/form-data")
    assert response.status_code == 302
    person = db.session.get(Person, int(response.headers["Location"].rsplit("/", 1)[1]))
    data = services.step_view(demo.users["branch1:branch_admin"], services.load(person), 1).data
    assert data["application_scans"] == kept


def test_a_refused_upload_is_not_kept_and_named(branch, demo):
    form = _application(demo)
    form.update({"csrf_token": csrf_token(branch, "/process/new"), "action": "submit"})
    form.add("application_scans", (io.BytesIO(b"MZ not a picture"), "病毒.exe"))
    response = branch.post("/process/new", data=form, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "病毒.exe" in html
    assert not re.findall(r'name="application_scans" value="[0-9a-f]{64}"', html)


def _to_candidate_step(demo):
    actors = {"branch_admin": demo.users["branch1:branch_admin"],
              "committee_admin": demo.users["committee1:committee_admin"]}
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 42, name="李照片")
    ctx = services.load(person)
    step = next(s for s in services.step_catalogue(ctx.instance.process_version_id)
                if s.form_key == "step07_candidate")
    simulate.advance(person, actors, until_step=step.step)
    return person, step


def test_portrait_is_one_picture_shown_on_the_profile_and_the_sheet(app, branch, demo):
    person, step = _to_candidate_step(demo)
    url = f"/process/{person.id}/steps/{step.step}"
    page = branch.get(url).get_data(as_text=True)
    hidden = dict(re.findall(r'name="(task_id|version)" value="([^"]+)"', page))
    data = simulate.sample("step07_candidate", simulate.stored_sample_file(demo.users["branch1:branch_admin"]))
    db.session.commit()
    data.pop("photo", None)
    form = to_formdata(get_form_class("step07_candidate"), data)
    form.update({"csrf_token": csrf_token(branch, url), "action": "save", **hidden})

    refused = form.copy()
    refused.add("photo", (io.BytesIO(PDF), "照片.pdf"))
    response = branch.post(url, data=refused, content_type="multipart/form-data")
    assert response.status_code == 422 and "须为JPG或PNG图片" in response.get_data(as_text=True)

    form.add("photo", (io.BytesIO(simulate.TINY_PNG), "证件照.png"))
    response = branch.post(url, data=form, content_type="multipart/form-data")
    assert response.status_code == 303, re.findall(r'class="error"[^>]*>([^<]+)', response.get_data(as_text=True))

    profile = branch.get(f"/people/{person.id}/info").get_data(as_text=True)
    assert 'data-testid="portrait"' in profile
    sheet = branch.get(f"/printing/person/{person.id}?stage=3").get_data(as_text=True)
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"[^>]*data-testid="sheet-photo"', sheet)
    assert "已上传" not in sheet
    outsider = app.test_client()
    login(outsider, demo.users["branch2:branch_admin"])
    assert outsider.get(f"/people/{person.id}/info").status_code == 404
