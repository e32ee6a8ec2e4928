"""The declared vocabulary: statuses, process actions and operations-log names, each with its Chinese
label, and the status transitions allowed. Code, templates and the API take names and labels from
here; ``app/vocab/guard.py`` refuses an undeclared name or status change wherever it is written."""
from app.vocab.actions import Action
from app.vocab.labelled import LabelledEnum
from app.vocab.operations import Operation, detail_rows
from app.vocab.statuses import (DELIVERY, FINISH, INSTANCE, JOB, MOVEBACK, PERSON, REALNAME, RESUME, SUSPENSION, TRANSFER,
                                DeliveryStatus, InstanceStatus, JobStatus, Lifecycle, MoveBackStatus, PersonStatus, RealnameStatus,
                                ResumeStatus, SuspensionStatus, TransferStatus, TransitionRefused)

__all__ = ["Action", "LabelledEnum", "Operation", "detail_rows", "DELIVERY", "FINISH", "INSTANCE", "JOB", "MOVEBACK", "PERSON",
           "REALNAME", "RESUME", "SUSPENSION", "TRANSFER", "DeliveryStatus", "InstanceStatus", "JobStatus",
           "Lifecycle", "MoveBackStatus", "PersonStatus", "RealnameStatus", "ResumeStatus", "SuspensionStatus", "TransferStatus",
           "TransitionRefused", "template_globals"]


def template_globals() -> dict:
    """What every template may use: the enums (``PersonStatus.label_of(p.status)``) and ``detail_rows``."""
    return {"Action": Action, "Operation": Operation, "InstanceStatus": InstanceStatus,
            "PersonStatus": PersonStatus, "TransferStatus": TransferStatus, "RealnameStatus": RealnameStatus,
            "SuspensionStatus": SuspensionStatus, "ResumeStatus": ResumeStatus, "MoveBackStatus": MoveBackStatus, "MoveBackStatus": MoveBackStatus,
            "JobStatus": JobStatus, "DeliveryStatus": DeliveryStatus, "detail_rows": detail_rows}
