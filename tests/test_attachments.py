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


def test_a_file_cited_from_above_is_granted_to_the_persons_branch(app, demo, actors):
    """The committee cites its own scan in a branch person's step: the branch gets a row of its own (the
    action's check found the file at the committee, not at the branch, so the grant still writes one)."""
    import sqlalchemy as sa

    from app.attachments import services as attachments
    from app.attachments.models import Attachment
    from app.workflow import services
    committee, branch = demo.users["committee1:committee_admin"], demo.orgs["branch1"]
    person = simulate.add_applicant(actors["branch_admin"], branch, 5)
    # The first step after the application whose form takes files.
    simulate.advance(person, actors, until_step=next(
        s.step for s in services.step_catalogue(services.load(person).instance.process_version_id)
        if s.step > 1 and services.attachment_hashes(simulate.sample(s.form_key, "f" * 64))))
    ctx = services.load(person)
    sha = attachments.store(committee, "党委扫描件.png", simulate.TINY_PNG + b"committee").sha256
    db.session.commit()
    paths = sa.select(Attachment.org_path).where(Attachment.sha256 == sha)
    assert branch.path not in db.session.scalars(paths).all()
    task = ctx.ready[0]
    with app.test_request_context():
        data = simulate.sample(task.form_key, sha)
        assert services.attachment_hashes(data) == [sha]
        services.act(committee, ctx, task.id, "save", data)
        db.session.commit()
    assert branch.path in db.session.scalars(paths).all()
    outsider = app.test_client()
    login(outsider, demo.users["branch1:branch_admin"])
    assert outsider.get(f"/attachments/{sha}").status_code == 200
