"""The manual's row actions in the stage lists (取消发展, 调整为…): offered by row, asked in a dialog, done
through the procedure's services, back to the list; never for a person outside the actor's rights."""
import io
import re

from app.extensions import db
from app.people.models import Person
from app.workflow import simulate
from tests.conftest import csrf_token, login


def test_stage_list_rows_offer_cancel_and_move_back_in_dialogs(app, demo):
    branch_user = demo.users["branch1:branch_admin"]
    actors = {"branch_admin": branch_user, "committee_admin": demo.users["committee1:committee_admin"]}
    person = simulate.add_applicant(branch_user, demo.orgs["branch1"], 61, name="赵行动")
    simulate.advance(person, actors, until_step=5)
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.category == "入党积极分子"
    client = app.test_client()
    login(client, branch_user)
    listing = f"/people/?stage={person.stage}"
    html = client.get(listing).get_data(as_text=True)
    row = re.search(r"<tr>(?:(?!</tr>).)*赵行动.*?</tr>", html, re.S).group(0)
    # 调整 into stage 1 reopens a sealed stage (R32): the branch's row offers it too, with a file input (the server
    # makes it a 调整申请 for the county).
    assert f'data-dialog="cancel-{person.id}"' in row and "调整为入党申请人" in row and 'name="files"' in row
    assert re.search(rf'<dialog id="cancel-{person.id}" class="modal"', row)
    assert "<details" not in row and "onclick" not in row  # no inline blocks, no inline code

    auditor = app.test_client()
    login(auditor, demo.users["auditor"])
    assert auditor.post(f"/process/{person.id}/cancel", data={"reason": "x"}).status_code in (400, 403)

    county = app.test_client()
    login(county, demo.users["county_admin"])
    row = re.search(r"<tr>(?:(?!</tr>).)*赵行动.*?</tr>", county.get(listing).get_data(as_text=True), re.S).group(0)
    assert "调整为入党申请人" in row and 'name="files"' in row
    response = county.post(f"/process/{person.id}/move-back", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(county, listing), "target": "applicant", "reason": "材料不全",
        "next": listing, "files": [(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32), "依据.png")]})
    assert response.status_code == 303 and response.headers["Location"].endswith(listing)
    db.session.expire_all()
    assert db.session.get(Person, person.id).category == "入党申请人"
    response = client.post(f"/process/{person.id}/cancel", data={
        "csrf_token": csrf_token(client, listing), "reason": "本人申请", "next": "//evil.example/"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/process/{person.id}")
    db.session.expire_all()
    assert db.session.get(Person, person.id).status == "cancelled"
    assert "赵行动" not in client.get("/people/?stage=1").get_data(as_text=True)
