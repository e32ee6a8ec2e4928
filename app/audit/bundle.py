"""The JSON record bundle of one instance, and its offline check.

A bundle holds the events exactly as stored (with their hashes), every process version they ran on
(diagram XML and checksum), and the attachments cited (sha256, name, type, size). Anyone can check it
without the database: recompute the chain, the diagram checksums and the file hashes (README,
"Verifying an exported record"); ``flask audit verify-bundle`` also replays it.
"""
import base64
import hashlib
import os
from datetime import datetime

import sqlalchemy as sa

from app.attachments.models import Attachment
from app.audit import records
from app.audit.replay import ReplayError, replay
from app.audit.verify import check_chain
from app.events.services import log_operation
from app.extensions import db
from app.timeutil import utcnow

FORMAT = "dangyuan-record/1"


def _json_event(event: dict) -> dict:
    out = {key: value for key, value in event.items() if key != "id"}
    out["created_at"] = event["created_at"].isoformat(timespec="microseconds")
    return out


def build(person, actor) -> dict:
    """The bundle of a person's instance; logs the export in the operations log."""
    events = records.event_dicts(person.instance_id)
    info = records.instance_row(person.instance_id)
    version_ids = {info.process_version_id} | {e["data"].get("process_version_id") for e in events
                                               if e["action"] == "start" and e["data"]}
    hashes = sorted({sha for e in events for sha in e["attachments"] or []})
    files = {row.sha256: row for row in db.session.scalars(
        sa.select(Attachment).where(Attachment.sha256.in_(hashes)).order_by(Attachment.id))} if hashes else {}
    log_operation(actor, "audit.export", target=f"person:{person.id}",
                  detail={"instance_id": person.instance_id, "events": len(events)})
    return {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(timespec="seconds") + "Z",
        "person": {"id": person.id, "name": person.name, "id_number": person.id_number,
                   "organisation": person.org.name if person.org else "", "org_path": person.org_path},
        "instance": {"id": info.id, "status": info.status, "process_version_id": info.process_version_id},
        "process_versions": [
            {"id": v["id"], "process_id": v["process_id"], "version": v["version"], "checksum": v["checksum"],
             "bpmn_xml_base64": base64.b64encode(bytes(v["bpmn_xml"])).decode()}
            for v in records.version_rows(version_ids - {None})],
        "events": [_json_event(e) for e in events],
        "attachments": [{"sha256": sha, "filename": files[sha].filename if sha in files else "",
                         "mime": files[sha].mime if sha in files else "",
                         "size": files[sha].size if sha in files else None} for sha in hashes],
        "last_hash": events[-1]["hash"] if events else "",
    }


def verify(bundle: dict, files_dir: str | None = None) -> list[tuple[int | None, str]]:
    """(seq or None, message) for everything wrong with a bundle, checked without the database."""
    if bundle.get("format") != FORMAT:
        return [(None, f"不是可识别的数据包格式（应为 {FORMAT}）")]
    events = [{**e, "created_at": datetime.fromisoformat(e["created_at"])} for e in bundle["events"]]
    problems = list(check_chain(events))
    if events and bundle.get("last_hash") != events[-1]["hash"]:
        problems.append((events[-1]["seq"], "末条哈希与数据包记录的不符"))
    versions = {}
    for v in bundle["process_versions"]:
        xml = base64.b64decode(v["bpmn_xml_base64"])
        if hashlib.sha256(xml).hexdigest() != v["checksum"]:
            problems.append((None, f"流程版本 {v['id']} 的定义与其校验值不符"))
        versions[v["id"]] = (xml, v["process_id"])

    def load(version_id):
        if version_id not in versions:
            raise LookupError(version_id)
        return versions[version_id]

    try:
        snap = replay(events, load)
    except ReplayError as exc:
        problems.append((exc.seq, exc.message))
    else:
        if snap.status != bundle["instance"]["status"]:
            problems.append((snap.seq, f"重放结果状态为“{snap.status}”，数据包记录为“{bundle['instance']['status']}”"))
    if files_dir:
        for item in bundle["attachments"]:
            path = os.path.join(files_dir, item["sha256"])
            if not os.path.exists(path):
                problems.append((None, f"附件 {item['sha256'][:12]}… 不在目录中"))
            elif _file_sha256(path) != item["sha256"]:
                problems.append((None, f"附件 {item['sha256'][:12]}… 的内容与哈希不符"))
    return problems


def _file_sha256(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()
