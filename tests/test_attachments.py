"""Attachments: checked by content, stored by hash, downloadable only within scope."""
import io

from app.extensions import db
from app.workflow import simulate
from tests.conftest import csrf_token, login


def test_download_only_within_scope_and_content_checked(app, demo):
    branch = demo.users["branch1:branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 3)
    from app.workflow import services
    sha = services.attachment_hashes(services.step_view(branch, services.load(person), 1).data)[0]

    own, committee, outsider = app.test_client(), app.test_client(), app.test_client()
    login(own, branch)
    login(committee, demo.users["committee1:committee_admin"])
    login(outsider, demo.users["branch2:branch_admin"])
    response = own.get(f"/attachments/{sha}")
    assert response.status_code == 200 and response.data == simulate.TINY_PNG
    assert committee.get(f"/attachments/{sha}").status_code == 200
    assert outsider.get(f"/attachments/{sha}").status_code == 404
    assert own.get("/attachments/../../etc/passwd").status_code == 404
    assert own.get("/attachments/" + "a" * 64).status_code == 404


def test_cancel_with_a_non_image_attachment_is_refused(app, demo):
    branch = demo.users["branch1:branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 4)
    client = app.test_client()
    login(client, branch)
    response = client.post(f"/process/{person.id}/cancel", data={
        "csrf_token": csrf_token(client), "reason": "本人申请",
        "files": (io.BytesIO(b"#!/bin/sh\necho hi"), "evil.png")}, content_type="multipart/form-data")
    # The cancel dialog again, the reason kept, the message beside it.
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "不是JPG、PNG图片或PDF文件" in page and ">本人申请</textarea>" in page
    db.session.expire_all()
    assert db.session.get(type(person), person.id).status == "active"
