"""An event's submitted data as the auditor reads it: labelled fields in the step form's own words, an amend
as old → new, files by name — never raw JSON or the English keys the engine stores."""
from dataclasses import dataclass

from app.attachments.services import describe
from app.vocab.operations import detail_rows
from app.workflow.binding import readonly_sections
from app.workflow.services import MOVE_BACK, StepDef, step_catalogue
from forms import get_form_class
from forms.codec import blank_form

# Keys of the data a procedure action (not a step form) logs, with what their coded values mean.
_ACTION_KEYS = {"decision": "审核结果", "opinion": "审核意见", "reason": "原因", "target": "调整为",
                "sealed": "更正已封存阶段", "request_id": "调整申请编号"}
_DECISIONS = {"approve": "通过", "reject": "不通过"}
_HIDDEN = {"from_ref", "to_ref"}  # diagram references (checksums): the version numbers say the same


@dataclass
class Field:
    """One labelled value; ``old`` is set for an amend (shown as old → new)."""
    label: str
    value: str
    old: str | None = None


def _text(kind: str, value, files: dict) -> str:
    if kind in ("files", "photo"):
        names = [files[h].filename for h in value if h in files]
        hidden = len(value) - len(names)
        return "、".join(names + ([f"另有{hidden}个无权查看的文件"] if hidden else [])) or "无"
    if kind == "rows":
        return "；".join("，".join(f"{label}：{_text(k, v, files)}" for label, (k, v) in row if v) for row in value)
    return value or ""


def _hashes(sections) -> list[str]:
    out = []
    for _, rows in sections:
        for _, (kind, value) in rows:
            if kind in ("files", "photo"):
                out += value
            elif kind == "rows":
                out += _hashes([("", r) for r in value])
    return out


def _form_fields(step: StepDef, data: dict, actor, person) -> dict[str, str]:
    """label → text of a step's form data, in the form's order."""
    sections = readonly_sections(step.form_key, data, actor, person)
    files = describe(actor, _hashes(sections))
    return {label: _text(kind, value, files) for _, rows in sections for label, (kind, value) in rows}


def event_fields(event, step: StepDef | None, actor, person) -> list[Field]:
    """The labelled fields of one event's data (``step`` is the step its task belongs to, if any)."""
    data = dict(event.data or {})
    key = step.data_key if step else ""
    if step and isinstance(data.get(key), dict) and "before" in data:  # amend: only what changed
        changed, before = data[key], data.get("before") or {}
        new = _form_fields(step, changed, actor, person)
        old = _form_fields(step, before, actor, person)
        labels = _labels_of(step, changed)
        return [Field(label, new.get(label, ""), old.get(label, "")) for label in labels]
    if step and isinstance(data.get(key), dict):
        return [Field(label, text) for label, text in _form_fields(step, data[key], actor, person).items() if text]
    if event.action == "import" and isinstance(data.get("steps"), dict):
        return _imported_fields(data, actor, person)
    fields = []
    for name, value in data.items():
        if name in _HIDDEN:
            continue
        if name in _ACTION_KEYS:
            text = _DECISIONS.get(value, value) if name == "decision" else \
                MOVE_BACK.get(value, {}).get("label", value) if name == "target" else \
                "是（R32，县级组织部门办理）" if name == "sealed" and value is True else value
            fields.append(Field(_ACTION_KEYS[name], str(text or "—")))
        else:
            fields += [Field(label, text) for label, text in detail_rows({name: value})]
    return fields


def _imported_fields(data: dict, actor, person) -> list[Field]:
    """数据导入: every imported step's data, each label prefixed with its step."""
    fields = []
    for step in step_catalogue(int(data["process_version_id"])):
        values = data["steps"].get(step.data_key)
        if isinstance(values, dict):
            fields += [Field(f"{step.step}.{step.title}·{label}", text)
                       for label, text in _form_fields(step, values, actor, person).items() if text]
    return fields


def _labels_of(step: StepDef, changed: dict) -> list[str]:
    form = blank_form(get_form_class(step.form_key))
    return [form[name].label.text for name in changed if name in form._fields]
