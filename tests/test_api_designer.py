"""流程设计 over the API: versions, BPMN download, upload a draft, validate, activate (refused with problems),
migration preview and run; only the 流程设计员 (403 for others), unknown versions 404, no applicant names."""
import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.workflow import simulate
from app.workflow.models import ProcessInstance
from app.workflow.versions import BPMN_DIR
from tests.api_support import Tokens

SEVEN = b"span_days(step04['publicity_start'], step04['publicity_end']) &gt;= 7"
FIVE = b"span_days(step04['publicity_start'], step04['publicity_end']) &gt;= 5"


@pytest.fixture
def tokens(client, demo):
    return Tokens(client, demo)


def _diagram() -> bytes:
    with open(f"{BPMN_DIR}/development.bpmn", "rb") as fh:
        return fh.read()


def _upload(client, headers, xml: bytes):
    return client.post("/api/v1/designer/versions", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(xml), "development.bpmn"), "comment": "公示改为5天"})


def test_versions_upload_activate_and_migrate(client, demo, actors, tokens):
    headers = tokens["designer"]
    person = simulate.add_applicant(actors["branch_admin"], demo.orgs["branch1"], 1, name="待迁移")
    simulate.advance(person, actors, until_step=4)
    processes = client.get("/api/v1/designer/processes", headers=headers).get_json()["items"]
    development = next(p for p in processes if p["process_id"] == "development")
    v1 = development["versions"][0]
    assert v1["state"] == "active" and v1["running"] == 1
    xml = client.get(f"/api/v1/designer/versions/{v1['id']}/bpmn", headers=headers)
    assert xml.status_code == 200 and xml.data == _diagram() and xml.mimetype == "application/xml"

    created = _upload(client, headers, _diagram().replace(SEVEN, FIVE, 1))
    assert created.status_code == 201, created.get_json()
    v2 = created.get_json()["version"]
    assert v2["state"] == "draft" and v2["version"] == 2 and created.get_json()["problems"] == []
    assert client.get(f"/api/v1/designer/versions/{v2['id']}", headers=headers).get_json()["problems"] == []
    activated = client.post(f"/api/v1/designer/versions/{v2['id']}/activate", headers=headers)
    assert activated.status_code == 200 and activated.get_json()["version"]["state"] == "active"

    preview = client.get(f"/api/v1/designer/versions/{v2['id']}/migration?from={v1['id']}", headers=headers)
    assert preview.get_json()["items"] == [{"person_id": person.id, "ok": True, "reason": ""}]
    assert "待迁移" not in preview.get_data(as_text=True)
    moved = client.post(f"/api/v1/designer/versions/{v2['id']}/migration", headers=headers,
                        json={"from": v1["id"], "person_ids": [person.id]})
    assert moved.status_code == 200 and moved.get_json()["moved"] == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(ProcessInstance.process_version_id).where(
        ProcessInstance.id == person.instance_id)) == v2["id"]
    same = client.get(f"/api/v1/designer/versions/{v2['id']}/migration?from={v2['id']}", headers=headers)
    assert same.status_code == 422


def test_refusals_roles_and_unknown_versions(client, demo, tokens):
    headers = tokens["designer"]
    broken = _diagram().replace(b'id="step02_talk"', b'id="step02_talk_x"', 1)
    problems = client.post("/api/v1/designer/validate", headers=headers,
                           json={"xml": broken.decode(), "process_id": "development"}).get_json()["problems"]
    assert problems
    draft = _upload(client, headers, broken).get_json()["version"]
    refused = client.post(f"/api/v1/designer/versions/{draft['id']}/activate", headers=headers)
    assert refused.status_code == 422 and refused.get_json()["fields"]["problems"]
    assert _upload(client, headers, b"<not xml").status_code == 422
    assert client.post("/api/v1/designer/validate", headers=headers, json={"xml": ""}).status_code == 422
    assert client.get("/api/v1/designer/versions/999999", headers=headers).status_code == 404
    assert client.get("/api/v1/designer/versions/999999/bpmn", headers=headers).status_code == 404
    assert client.get(f"/api/v1/designer/versions/{draft['id']}/migration", headers=headers).status_code == 422
    for role in ("county_admin", "auditor", "security_officer"):
        assert client.get("/api/v1/designer/processes", headers=tokens[role]).status_code == 403
        assert client.post(f"/api/v1/designer/versions/{draft['id']}/activate",
                           headers=tokens[role]).status_code == 403
