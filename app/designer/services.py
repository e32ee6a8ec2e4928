"""Process versions for 流程设计员: save drafts (from the modeler or an upload), validate, activate.

Versions are immutable once activated; a draft may be saved over until it is activated. Deploying
(saving a version) and activating are written to the operations log. Nothing here commits.
"""
from dataclasses import dataclass

import sqlalchemy as sa

from app.designer.validation import Problem, validate
from app.events.models import OperationLog
from app.events.services import log_operation
from app.extensions import db
from app.timeutil import utcnow
from app.workflow import diagram, engine, expressions
from app.workflow.models import ProcessInstance, ProcessVersion
from app.vocab.operations import Operation

MAX_DIAGRAM_BYTES = 2 * 1024 * 1024
EXPRESSION_REFUSED = Operation.PROCESS_EXPRESSION_REFUSED.value
STATE_LABELS = {"draft": "草稿", "active": "已启用", "retired": "已停用"}


class DesignerError(Exception):
    """A designer action was refused; ``message`` is for the page, ``problems`` lists validation failures."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass
class ProcessSummary:
    """One process on the designer's start page."""
    process_id: str
    name: str
    versions: list[ProcessVersion]
    running: dict[int, int]          # version id → running instances

    @property
    def active(self) -> ProcessVersion | None:
        return next((v for v in self.versions if v.state == "active"), None)


def running_counts() -> dict[int, int]:
    """version id → number of running instances on it."""
    rows = db.session.execute(sa.select(ProcessInstance.process_version_id, sa.func.count())
                              .where(ProcessInstance.status == "running")
                              .group_by(ProcessInstance.process_version_id)).all()
    return {version_id: n for version_id, n in rows}


def processes() -> list[ProcessSummary]:
    """Every process with its versions, newest version first."""
    versions = db.session.scalars(sa.select(ProcessVersion).order_by(
        ProcessVersion.process_id, ProcessVersion.version.desc())).all()
    counts = running_counts()
    result: dict[str, ProcessSummary] = {}
    for version in versions:
        summary = result.setdefault(version.process_id, ProcessSummary(version.process_id, version.name, [], counts))
        summary.versions.append(version)
    return list(result.values())


def versions_of(process_id: str) -> list[ProcessVersion]:
    """The versions of one process, newest first."""
    return list(db.session.scalars(sa.select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                                   .order_by(ProcessVersion.version.desc())))


def _process_name(root, process_id: str) -> str:
    process = diagram.find_process(root, process_id)
    if process is None:
        found = "、".join(diagram.process_ids(root)) or "无"
        raise DesignerError(f"流程图中没有 id 为 {process_id} 的流程（找到：{found}）")
    return (process.get("name") or process_id)[:120]


def save_draft(actor, process_id: str, xml: bytes, comment: str = "",
               base: ProcessVersion | None = None) -> ProcessVersion:
    """Deploy a diagram as a draft: over ``base`` if that is a draft, else as the next version number."""
    if len(xml) > MAX_DIAGRAM_BYTES:
        raise DesignerError("流程图文件不能超过 2 MB")
    try:
        root = diagram.safe_parse(xml)
    except diagram.DiagramError as exc:
        raise DesignerError(str(exc)) from exc
    name = _process_name(root, process_id)
    comment = (comment or "").strip()[:2000]
    if base is not None and base.state == "draft":
        version = base
        version.bpmn_xml, version.checksum, version.name = xml, engine.checksum(xml), name
        version.comment = comment or version.comment
        version.author_id, version.created_at = actor.id, utcnow()
    else:
        latest = db.session.scalar(sa.select(sa.func.max(ProcessVersion.version))
                                   .where(ProcessVersion.process_id == process_id)) or 0
        version = ProcessVersion(process_id=process_id, version=latest + 1, name=name, bpmn_xml=xml,
                                 checksum=engine.checksum(xml), state="draft", author_id=actor.id,
                                 comment=comment, created_at=utcnow())
        db.session.add(version)
    db.session.flush()
    log_operation(actor, "process.deploy", target=f"{process_id} v{version.version}",
                  detail={"version_id": version.id, "checksum": version.checksum,
                          "base_version_id": getattr(base, "id", None), "comment": comment})
    return version


def upload(actor, filename: str, data: bytes, comment: str, process_id: str = "") -> ProcessVersion:
    """A ``.bpmn`` file as a new draft; the process id comes from the file when not given."""
    if not (filename or "").lower().endswith((".bpmn", ".xml")):
        raise DesignerError("请上传 .bpmn 文件")
    if not process_id:
        try:
            ids = diagram.process_ids(diagram.safe_parse(data))
        except diagram.DiagramError as exc:
            raise DesignerError(str(exc)) from exc
        if not ids:
            raise DesignerError("流程图中没有流程（bpmn:process）")
        process_id = ids[0]
    return save_draft(actor, process_id, data, comment or f"上传 {filename}")


def check(version: ProcessVersion) -> list[Problem]:
    """The validation problems of a version ([] when it may be activated)."""
    return validate(version.bpmn_xml, version.process_id)


def activate(actor, version: ProcessVersion) -> ProcessVersion:
    """Make a validated version the one new instances start on; the previous active one is retired."""
    if version.state == "active":
        raise DesignerError("该版本已经是启用状态")
    problems = check(version)
    if problems:
        raise DesignerError("流程图未通过校验，不能启用", problems)
    # Lock every version of the process (PostgreSQL), so two designers activating at once end with one
    # active version: the second waits, then sees the first one's choice and retires it.
    siblings = db.session.scalars(sa.select(ProcessVersion).where(ProcessVersion.process_id == version.process_id)
                                  .with_for_update().execution_options(populate_existing=True)).all()
    if version.state == "active":
        raise DesignerError("该版本已经是启用状态")
    previous = [v for v in siblings if v.state == "active"]
    for old in previous:
        old.state = "retired"
    db.session.flush()  # one active version per process at every moment
    version.state, version.activated_at = "active", utcnow()
    db.session.flush()
    log_operation(actor, "process.activate", target=f"{version.process_id} v{version.version}",
                  detail={"version_id": version.id, "checksum": version.checksum,
                          "previous_version_ids": [v.id for v in previous]})
    return version


def _causes(error: BaseException):
    # The engine wraps the evaluator's error (SpiffWorkflow's task exception keeps it as ``exception``).
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = getattr(error, "exception", None) or error.__cause__ or error.__context__


def refused_expression(error: BaseException) -> expressions.ExpressionError | None:
    """The diagram expression's error behind an engine failure, or None if the failure is not one."""
    return next((e for e in _causes(error) if isinstance(e, expressions.ExpressionError)), None)


def report_refused_expression(actor, error: BaseException) -> OperationLog:
    """Tell the designers that a diagram expression failed at run time (an operations-log row naming the
    version, the element and the reason; the version page lists them)."""
    cause = refused_expression(error)
    task = next((e.task for e in _causes(error) if getattr(e, "task", None) is not None), None)
    workflow = getattr(task, "workflow", None)
    ref = getattr(getattr(workflow, "top_workflow", workflow), "spec_ref", "") or ""
    checksum, _, process_id = ref.partition(":")
    version = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.checksum == checksum,
                                                                ProcessVersion.process_id == process_id))
    element = getattr(getattr(task, "task_spec", None), "name", "") or ""
    return log_operation(actor, EXPRESSION_REFUSED,
                         target=f"{process_id} v{version.version}" if version else process_id,
                         detail={"version_id": version.id if version else None, "element": element,
                                 "error": str(cause or error)[:500]})


def refused_expressions(version: ProcessVersion, limit: int = 20) -> list[OperationLog]:
    """The latest run-time refusals of this version's expressions, newest first."""
    return db.session.scalars(sa.select(OperationLog).where(
        OperationLog.action == EXPRESSION_REFUSED,
        OperationLog.target == f"{version.process_id} v{version.version}")
        .order_by(OperationLog.id.desc()).limit(limit)).all()
