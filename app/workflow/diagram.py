"""Reading BPMN XML safely, and what a person's diagram shows: steps done, current, flows taken.

Every diagram that comes from outside (an upload, the modeler) is parsed here first, with external
entities, DTD loading and network access off, so a crafted file cannot read local files or call out.
"""
import re
import threading

import sqlalchemy as sa
from lxml import etree

from app.extensions import db
from app.workflow.models import ProcessVersion

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_NO_DOCTYPE = "流程图不得包含 DOCTYPE 声明（外部实体已禁用）"
_FLOW_CACHE: dict[str, dict] = {}
_FLOW_LOCK = threading.Lock()
# Built once: a statement object costs its cache-key walk on every call.
_VERSION_HEADER = sa.select(ProcessVersion.version, ProcessVersion.checksum).where(
    ProcessVersion.id == sa.bindparam("id"))


class DiagramError(ValueError):
    """The bytes are not a diagram we accept; the message is for the process designer."""


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False)


def safe_parse(xml: bytes) -> etree._Element:
    """The root element of a diagram; DiagramError if it does not parse or carries a DOCTYPE."""
    if not isinstance(xml, bytes):
        raise DiagramError("流程图须为 XML 字节串")
    # A BPMN file has no use for a DTD; any DOCTYPE (entities, external subsets) is refused outright.
    if _DOCTYPE.search(xml):
        raise DiagramError(_NO_DOCTYPE)
    try:
        root = etree.fromstring(xml, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise DiagramError(f"XML 无法解析：{exc}") from exc
    docinfo = root.getroottree().docinfo  # the same check again for encodings the byte search misses
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DiagramError(_NO_DOCTYPE)
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise DiagramError("根元素不是 bpmn:definitions")
    return root


def process_ids(root: etree._Element) -> list[str]:
    """Ids of the processes a diagram defines, executable ones first."""
    processes = root.findall("bpmn:process", NS)
    processes.sort(key=lambda p: p.get("isExecutable") != "true")
    return [p.get("id") for p in processes]


def find_process(root: etree._Element, process_id: str):
    """The bpmn:process element with this id, or None."""
    return next((p for p in root.iterfind("bpmn:process", NS) if p.get("id") == process_id), None)


def process_name(xml: bytes, process_id: str) -> str:
    """The process's name attribute (its id when unnamed), at most 120 characters."""
    process = find_process(safe_parse(xml), process_id)
    return ((process.get("name") if process is not None else "") or process_id)[:120]


def flow_map(xml: bytes, checksum: str) -> dict[tuple[str, str], list[str]]:
    """(source id, target id) → sequence flow ids, cached per diagram checksum (versions are immutable)."""
    with _FLOW_LOCK:
        if checksum in _FLOW_CACHE:
            return _FLOW_CACHE[checksum]
    result: dict[tuple[str, str], list[str]] = {}
    for flow in safe_parse(xml).iter(f"{{{BPMN_NS}}}sequenceFlow"):
        result.setdefault((flow.get("sourceRef"), flow.get("targetRef")), []).append(flow.get("id"))
    with _FLOW_LOCK:
        _FLOW_CACHE[checksum] = result
    return result


def trail(version_id: int, wf) -> dict:
    """What the viewer highlights for an instance: ``done`` and ``current`` element ids, ``flows`` taken,
    and ``version`` (the diagram version's number). Reads the version's number and checksum only: its XML
    is parsed once per worker (``flow_map``), not loaded on every page."""
    from app.workflow import engine
    path = engine.trail(wf)
    number, checksum = db.session.execute(_VERSION_HEADER, {"id": version_id}).one()
    with _FLOW_LOCK:
        flows = _FLOW_CACHE.get(checksum)
    if flows is None:
        flows = flow_map(db.session.scalar(sa.select(ProcessVersion.bpmn_xml).where(ProcessVersion.id == version_id)),
                         checksum)
    taken = sorted({fid for pair in path["pairs"] for fid in flows.get(pair, [])})
    return {"done": path["done"], "current": path["current"], "flows": taken, "version": number}
