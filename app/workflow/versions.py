"""Deployed process versions: loading the diagrams in bpmn/ and finding the active version."""
import os

import sqlalchemy as sa
from flask import abort

from app.extensions import db
from app.workflow import diagram, engine
from app.workflow.models import ProcessVersion

BPMN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "bpmn")
# The process id of the development procedure in bpmn/development.bpmn.
DEVELOPMENT = "development"


def active_version(process_id: str) -> ProcessVersion:
    """The version new instances of ``process_id`` start on."""
    version = db.session.scalar(sa.select(ProcessVersion).where(
        ProcessVersion.process_id == process_id, ProcessVersion.state == "active"))
    if version is None:
        raise LookupError(f"流程 {process_id} 没有已启用的版本，请先运行 flask init-db")
    return version


def get_version(version_id: int) -> ProcessVersion:
    """A version by id, or 404."""
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        abort(404)
    return version


def load_bundled_diagrams(actor=None) -> list[ProcessVersion]:
    """Deploy each bpmn/<id>.bpmn as version 1 (active) unless that process already has versions."""
    created = []
    for filename in sorted(os.listdir(BPMN_DIR)):
        if not filename.endswith(".bpmn"):
            continue
        process_id = filename[:-5]
        exists = db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)
                                   .where(ProcessVersion.process_id == process_id))
        if exists:
            continue
        with open(os.path.join(BPMN_DIR, filename), "rb") as fh:
            xml = fh.read()
        engine.parse(xml, process_id, filename)  # refuse to deploy what does not parse
        version = ProcessVersion(process_id=process_id, version=1, name=diagram.process_name(xml, process_id), bpmn_xml=xml,
                                 checksum=engine.checksum(xml), state="active",
                                 author_id=getattr(actor, "id", None), comment="随系统安装的初始版本")
        from app.timeutil import utcnow
        version.activated_at = utcnow()
        db.session.add(version)
        created.append(version)
    db.session.flush()
    return created


def _diagram_by_ref(ref: str) -> tuple[bytes, str]:
    # The engine asks for a diagram it has not parsed yet in this process (first load after start-up).
    digest, process_id = ref.split(":", 1)
    xml = db.session.scalar(sa.select(ProcessVersion.bpmn_xml).where(
        ProcessVersion.checksum == digest, ProcessVersion.process_id == process_id).limit(1))
    if xml is None:
        raise LookupError(f"流程定义 {ref} 不存在")
    return xml, process_id


engine.set_spec_loader(_diagram_by_ref)
