"""Comparing two versions of a diagram: tasks, gateways, conditions and forms added, removed or changed."""
from dataclasses import dataclass, field

from app.designer.validation import properties
from app.workflow import diagram
from app.workflow.diagram import BPMN_NS, NS

_KINDS = {"userTask": "用户任务", "scriptTask": "脚本任务", "exclusiveGateway": "排他网关",
          "parallelGateway": "并行网关", "inclusiveGateway": "包容网关", "sequenceFlow": "连线",
          "startEvent": "开始事件", "endEvent": "结束事件", "lane": "泳道"}
# What is compared for each element, with the label shown to the designer.
_FIELDS = (("name", "名称"), ("formKey", "表单"), ("dataKey", "数据键"), ("lane", "泳道"), ("step", "步骤号"), ("stage", "阶段"),
           ("reviewOf", "审核对象"), ("default", "默认出口"), ("source", "起点"), ("target", "终点"),
           ("condition", "条件"), ("script", "脚本"))


@dataclass
class Change:
    """One element that differs between the two versions."""
    element_id: str
    kind: str
    name: str
    change: str                      # added | removed | changed
    details: list[tuple[str, str, str]] = field(default_factory=list)   # (label, old, new)


def _text(element, path: str) -> str:
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def describe(xml: bytes) -> dict[str, dict]:
    """element id → {kind, field: value} for the elements a designer changes the procedure with."""
    root = diagram.safe_parse(xml)
    lanes = {ref.text: lane.get("name") or "" for lane in root.iter(f"{{{BPMN_NS}}}lane")
             for ref in lane.findall("bpmn:flowNodeRef", NS)}
    result = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        local = element.tag.split("}", 1)[1]
        if local not in _KINDS or not element.get("id"):
            continue
        item = {"kind": _KINDS[local], "name": element.get("name") or ""}
        if local == "userTask":
            item.update({k: v for k, v in properties(element).items()
                         if k in ("formKey", "dataKey", "step", "stage", "reviewOf")})
            item["lane"] = lanes.get(element.get("id"), "")
        elif local == "scriptTask":
            item["script"] = _text(element, "bpmn:script")
        elif local.endswith("Gateway"):
            item["default"] = element.get("default") or ""
        elif local == "sequenceFlow":
            item.update(source=element.get("sourceRef") or "", target=element.get("targetRef") or "",
                        condition=_text(element, "bpmn:conditionExpression"))
        result[element.get("id")] = item
    return result


def compare(old_xml: bytes, new_xml: bytes) -> list[Change]:
    """What changed from ``old_xml`` to ``new_xml``, removed first, then changed, then added."""
    old, new = describe(old_xml), describe(new_xml)
    changes = []
    for element_id in sorted(old.keys() - new.keys()):
        changes.append(Change(element_id, old[element_id]["kind"], old[element_id]["name"], "removed"))
    for element_id in sorted(old.keys() & new.keys()):
        details = [(label, old[element_id].get(key, ""), new[element_id].get(key, ""))
                   for key, label in _FIELDS if old[element_id].get(key, "") != new[element_id].get(key, "")]
        if details:
            changes.append(Change(element_id, new[element_id]["kind"], new[element_id]["name"], "changed", details))
    for element_id in sorted(new.keys() - old.keys()):
        item = new[element_id]
        details = [(label, "", item[key]) for key, label in _FIELDS if item.get(key) and key != "name"]
        changes.append(Change(element_id, item["kind"], item["name"], "added", details))
    return changes


def marks(changes: list[Change]) -> dict[str, str]:
    """element id → added | changed, for highlighting the newer diagram in the viewer."""
    return {c.element_id: c.change for c in changes if c.change != "removed"}
