"""The columns of the onboarding template, generated from the forms registry and the diagram's steps.

One sheet per stage of the active development diagram; a sheet holds 所属党支部, 当前步骤 and every data field of
every step of that stage and the earlier ones (a repeating group gets ``GROUP_SLOTS`` numbered copies of its row
fields, at least its minimum). Attachments are not in the template: an imported step keeps its scans in the
system it came from, and they can be added later through 人员信息. Fields whose choices the page fills from the
database (the branch, 党小组, a pick from the 党员名册) are left out too: the branch is 所属党支部 and the others
are optional.
"""
import functools
from dataclasses import dataclass

from forms import get_form_class
from forms.codec import blank_form, schema

from app.people.models import STAGES
from app.workflow.services import StepDef, step_catalogue

ORG = "_org"
STEP = "_step"
GROUP_SLOTS = 3
# Fields a step form fills from the database at run time, never from a file.
_RUNTIME_CHOICES = ("org_id",)


@dataclass(frozen=True)
class Column:
    """One column of a stage's sheet: its key (hidden second header row) and Chinese label (first row)."""
    key: str
    label: str
    step: StepDef | None = None
    field: str = ""               # the form's top-level field
    index: int | None = None      # the row of a repeating group
    sub: str = ""                 # the row's field
    kind: str = "string"          # the codec schema's type: string, text, date, integer, select, boolean…
    choices: tuple = ()           # (value, label) of a select field


def _skipped_fields(form_cls) -> set[str]:
    form = blank_form(form_cls)
    return set(_RUNTIME_CHOICES) | set(getattr(form, "org_choices", {}) or {})


def step_columns(step: StepDef) -> list[Column]:
    """The columns of one step's form, in the order of its sections."""
    form_cls = get_form_class(step.form_key)
    skipped = _skipped_fields(form_cls)
    picks = set(getattr(form_cls, "roster_picks", {}) or {})
    columns = []
    prefix = f"{step.step}.{step.title}·"
    for entry in schema(form_cls):
        name, kind = entry["name"], entry["type"]
        if kind == "attachments" or name in skipped:
            continue
        if kind != "group":
            columns.append(Column(f"{step.data_key}.{name}", prefix + entry["label"], step, name, kind=kind,
                                  choices=_choices(entry)))
            continue
        slots = max(GROUP_SLOTS, entry.get("min_rows") or 0)
        if entry.get("max_rows"):
            slots = min(slots, entry["max_rows"])
        for index in range(slots):
            for sub in entry.get("fields", []):
                if sub["type"] == "attachments" or (name in picks and sub["name"] == "member"):
                    continue
                columns.append(Column(f"{step.data_key}.{name}.{index}.{sub['name']}",
                                      f"{prefix}{entry['label']}{index + 1}·{sub['label']}", step, name, index,
                                      sub["name"], sub["type"], _choices(sub)))
    return columns


def _choices(entry: dict) -> tuple:
    return tuple((c["value"], c["label"]) for c in entry.get("choices", ()))


def stages(version_id: int) -> list[int]:
    """The stages of the diagram version, in order."""
    return sorted({step.stage for step in step_catalogue(version_id)})


def stage_title(stage: int) -> str:
    """A stage's sheet name (Excel allows 31 characters)."""
    return f"{stage}.{STAGES.get(stage, '阶段')}"[:31]


@functools.lru_cache(maxsize=64)
def sheet_columns(version_id: int, stage: int) -> tuple[Column, ...]:
    """所属党支部, 当前步骤, then the fields of every step of ``stage`` and the stages before it (per deployed
    version, which never changes, so cached)."""
    columns = [Column(ORG, "所属党支部"), Column(STEP, "当前步骤")]
    for step in step_catalogue(version_id):
        if step.stage <= stage:
            columns.extend(step_columns(step))
    return tuple(columns)


def reachable_steps(version_id: int, stage: int) -> list[StepDef]:
    """The steps a person on ``stage``'s sheet may stand at."""
    return [step for step in step_catalogue(version_id) if step.stage == stage]
