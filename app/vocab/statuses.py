"""Statuses of instances, persons, transfers, 实名认证 requests and 暂停发展/归国恢复, with the transitions allowed.

Each ``Lifecycle`` names, per transition, the statuses it leaves from and the status it reaches
(viewflow's ``@status.transition(source=..., target=...)``). A new row may hold any declared status (an
import brings completed records); after that only declared transitions move it.
Code that changes a status asks its lifecycle (``move``/``target``); ``app/vocab/guard.py`` refuses any
assignment to a status column that no declared transition allows.
"""
from dataclasses import dataclass, field

from app.vocab.actions import Action
from app.vocab.labelled import LabelledEnum
from app.vocab.operations import Operation


class InstanceStatus(LabelledEnum):
    """A process instance (development, 接续培养)."""
    RUNNING = ("running", "进行中")
    CANCELLED = ("cancelled", "已取消发展")
    CLOSED = ("closed", "已重新发展（记录关闭）")
    COMPLETED = ("completed", "已完成")
    SUSPENDED = ("suspended", "暂停发展（出国（境））")
    DISQUALIFIED = ("disqualified", "已取消预备党员资格")


class PersonStatus(LabelledEnum):
    """A person in the pipeline."""
    ACTIVE = ("active", "发展中")
    CANCELLED = ("cancelled", "已取消发展")
    CLOSED = ("closed", "已重新发展（记录关闭）")
    COMPLETED = ("completed", "纪实完成")
    SUSPENDED = ("suspended", "暂停发展（出国（境））")
    DISQUALIFIED = ("disqualified", "已取消预备党员资格")


class TransferStatus(LabelledEnum):
    """A 接续培养 request (stored in Chinese since the first release)."""
    PENDING = ("申请中", "申请中")
    DONE = ("已完成", "已完成")
    REFUSED = ("被拒绝", "被拒绝")
    WITHDRAWN = ("已撤回", "已撤回")


class SuspensionStatus(LabelledEnum):
    """A 暂停发展-出国(境) record: suspended, a 归国恢复申请 under review, or restored."""
    SUSPENDED = ("suspended", "暂停发展中")
    RESUMING = ("resuming", "归国恢复审核中")
    RESUMED = ("resumed", "已恢复发展")


class ResumeStatus(LabelledEnum):
    """One 归国恢复申请 (its own resume.bpmn instance): where its two reviews stand."""
    COMMITTEE = ("committee", "待基层党委审核")
    COUNTY = ("county", "待县级审核")
    COMMITTEE_REJECTED = ("committee_rejected", "基层党委审核不通过")
    COUNTY_REJECTED = ("county_rejected", "县级审核不通过")
    RESUMED = ("resumed", "已恢复发展")


class MoveBackStatus(LabelledEnum):
    """One 调整申请 into a sealed stage (its own moveback.bpmn instance): waiting for the county, decided, or
    lapsed because the person's process left the state it was asked in."""
    PENDING = ("pending", "调整申请待县级审核")
    APPROVED = ("approved", "已调整")
    REFUSED = ("refused", "县级审核不通过")
    LAPSED = ("lapsed", "已失效")


class RealnameStatus(LabelledEnum):
    """A 实名认证 request (stored in Chinese since the first release)."""
    DRAFT = ("草稿", "草稿")
    PENDING = ("待认证", "待认证")
    CONFIRMED = ("已认证", "已认证")
    REJECTED = ("不通过", "不通过")


class JobStatus(LabelledEnum):
    """A background job (app/jobs)."""
    QUEUED = ("queued", "排队中")
    RUNNING = ("running", "进行中")
    DONE = ("done", "已完成")
    FAILED = ("failed", "失败")


class DeliveryStatus(LabelledEnum):
    """An outbox event for the member registry (app/registry)."""
    PENDING = ("pending", "待发送")
    DELIVERED = ("delivered", "已送达")
    FAILED = ("failed", "发送失败")


# The diagram reached its end event: not an event of its own, the last task's action finishes it.
FINISH = "finish"


class TransitionRefused(Exception):
    """A status change that no declared transition allows."""


@dataclass(frozen=True)
class Lifecycle:
    """The statuses of one kind of row and the transitions between them."""
    statuses: type[LabelledEnum]
    transitions: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)

    def target(self, transition: str, current: str) -> str:
        """The status ``transition`` (an action, an operation, or FINISH) reaches from ``current``; refused
        when it does not leave from there."""
        sources, target = self.transitions[transition]
        if current not in sources:
            raise TransitionRefused(f"“{self.statuses.label_of(current)}”不能{_label(transition)}")
        return target

    def move(self, row, transition: str, column: str = "status") -> None:
        """Set ``row.<column>`` to the status ``transition`` reaches from its current one."""
        setattr(row, column, self.target(transition, getattr(row, column)))

    def allows(self, old: str | None, new: str) -> bool:
        """Whether ``new`` is declared and some declared transition goes from ``old`` (None: a new row) to it."""
        if new not in self.statuses.values():
            return False
        if old is None:
            return True
        return old == new or any(old in sources and new == target for sources, target in self.transitions.values())


def _label(transition: str) -> str:
    return {**Action.labels(), **Operation.labels(), FINISH: "结束"}.get(transition, transition)


INSTANCE = Lifecycle(InstanceStatus, transitions={
    Action.CANCEL: ((InstanceStatus.RUNNING,), InstanceStatus.CANCELLED),
    # 停止发展 decided by the diagram (公示未通过, 政审不合格): the same 历史库 list, restored the same way.
    Action.STOP: ((InstanceStatus.RUNNING,), InstanceStatus.CANCELLED),
    # 取消预备党员资格 ends the process at its own end event: never 正式党员, nothing restores it.
    Action.DISQUALIFY: ((InstanceStatus.RUNNING,), InstanceStatus.DISQUALIFIED),
    Action.RESTORE: ((InstanceStatus.CANCELLED,), InstanceStatus.RUNNING),
    Action.REDEVELOP: ((InstanceStatus.CANCELLED,), InstanceStatus.CLOSED),
    # 暂停发展-出国(境) pauses the instance where it stands; 归国恢复 (after two approvals) resumes it there.
    Action.SUSPEND: ((InstanceStatus.RUNNING,), InstanceStatus.SUSPENDED),
    Action.RESUME: ((InstanceStatus.SUSPENDED,), InstanceStatus.RUNNING),
    FINISH: ((InstanceStatus.RUNNING,), InstanceStatus.COMPLETED),
})

PERSON = Lifecycle(PersonStatus, transitions={
    Action.CANCEL: ((PersonStatus.ACTIVE,), PersonStatus.CANCELLED),
    Action.STOP: ((PersonStatus.ACTIVE,), PersonStatus.CANCELLED),
    Action.DISQUALIFY: ((PersonStatus.ACTIVE,), PersonStatus.DISQUALIFIED),
    Action.RESTORE: ((PersonStatus.CANCELLED,), PersonStatus.ACTIVE),
    Action.REDEVELOP: ((PersonStatus.CANCELLED,), PersonStatus.CLOSED),
    Action.SUSPEND: ((PersonStatus.ACTIVE,), PersonStatus.SUSPENDED),
    Action.RESUME: ((PersonStatus.SUSPENDED,), PersonStatus.ACTIVE),
    FINISH: ((PersonStatus.ACTIVE,), PersonStatus.COMPLETED),
})

TRANSFER = Lifecycle(TransferStatus, transitions={
    Action.APPROVE: ((TransferStatus.PENDING,), TransferStatus.DONE),
    Action.REJECT: ((TransferStatus.PENDING,), TransferStatus.REFUSED),
    Action.WITHDRAW: ((TransferStatus.PENDING,), TransferStatus.WITHDRAWN),
})

SUSPENSION = Lifecycle(SuspensionStatus, transitions={
    Operation.SUSPENSION_RESUME_APPLY: ((SuspensionStatus.SUSPENDED,), SuspensionStatus.RESUMING),
    # A refusal at either level leaves the person suspended; the branch may apply again.
    Operation.SUSPENSION_COMMITTEE_REJECT: ((SuspensionStatus.RESUMING,), SuspensionStatus.SUSPENDED),
    Operation.SUSPENSION_COUNTY_REJECT: ((SuspensionStatus.RESUMING,), SuspensionStatus.SUSPENDED),
    Action.RESUME: ((SuspensionStatus.RESUMING,), SuspensionStatus.RESUMED),
})

RESUME = Lifecycle(ResumeStatus, transitions={
    Operation.SUSPENSION_COMMITTEE_APPROVE: ((ResumeStatus.COMMITTEE,), ResumeStatus.COUNTY),
    Operation.SUSPENSION_COMMITTEE_REJECT: ((ResumeStatus.COMMITTEE,), ResumeStatus.COMMITTEE_REJECTED),
    Operation.SUSPENSION_COUNTY_APPROVE: ((ResumeStatus.COUNTY,), ResumeStatus.RESUMED),
    Operation.SUSPENSION_COUNTY_REJECT: ((ResumeStatus.COUNTY,), ResumeStatus.COUNTY_REJECTED),
})

MOVEBACK = Lifecycle(MoveBackStatus, transitions={
    Operation.MOVE_BACK_APPROVE: ((MoveBackStatus.PENDING,), MoveBackStatus.APPROVED),
    Operation.MOVE_BACK_REJECT: ((MoveBackStatus.PENDING,), MoveBackStatus.REFUSED),
    Operation.MOVE_BACK_LAPSE: ((MoveBackStatus.PENDING,), MoveBackStatus.LAPSED),
})

# 实名认证 has no instance yet: its status changes are operations-log rows.
REALNAME = Lifecycle(RealnameStatus, transitions={
    # A refused request, once corrected, is reported again.
    Operation.REALNAME_REPORT: ((RealnameStatus.DRAFT, RealnameStatus.REJECTED), RealnameStatus.PENDING),
    Operation.REALNAME_CONFIRM: ((RealnameStatus.PENDING,), RealnameStatus.CONFIRMED),
    Operation.REALNAME_REJECT: ((RealnameStatus.PENDING,), RealnameStatus.REJECTED),
})

# A job's progress is written by the worker in its own short transactions (app/jobs/progress.py).
JOB = Lifecycle(JobStatus, transitions={
    FINISH: ((JobStatus.QUEUED, JobStatus.RUNNING), JobStatus.DONE),
    "fail": ((JobStatus.QUEUED, JobStatus.RUNNING), JobStatus.FAILED),
})

# Attempts are counted on the row; after the last one it is failed until someone presses 重试.
DELIVERY = Lifecycle(DeliveryStatus, transitions={
    "deliver": ((DeliveryStatus.PENDING,), DeliveryStatus.DELIVERED),
    "give_up": ((DeliveryStatus.PENDING,), DeliveryStatus.FAILED),
    Operation.REGISTRY_RETRY: ((DeliveryStatus.FAILED, DeliveryStatus.PENDING), DeliveryStatus.PENDING),
})
