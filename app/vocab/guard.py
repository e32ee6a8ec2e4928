"""Hold the code to the declared vocabulary: assigning a status that no transition allows, or naming
an event or an operations-log row with an undeclared action, raises at once (a programming error,
caught by the tests), whichever code path does it."""
import sqlalchemy as sa
from sqlalchemy.orm import attributes

from app.events.models import Event, OperationLog
from app.jobs.models import Job
from app.movebacks.models import MoveBackRequest
from app.people.models import Person
from app.realname.models import RealnameRequest
from app.registry.models import RegistryEvent
from app.suspensions.models import ResumeRequest, Suspension
from app.transfers.models import Transfer
from app.vocab.actions import Action
from app.vocab.operations import Operation
from app.vocab.statuses import (DELIVERY, INSTANCE, JOB, MOVEBACK, PERSON, REALNAME, RESUME, SUSPENSION, TRANSFER, Lifecycle,
                                TransitionRefused)
from app.workflow.models import ProcessInstance

_UNSET = (attributes.NO_VALUE, attributes.NEVER_SET, None)


def _status_check(lifecycle: Lifecycle):
    def check(target, value, oldvalue, initiator):
        old = None if oldvalue in _UNSET else oldvalue
        if not lifecycle.allows(old, value):
            raise TransitionRefused(f"{type(target).__name__}.status: no declared transition {old!r} → {value!r}")
        return value
    return check


def _name_check(names, what: str):
    def check(target, value, oldvalue, initiator):
        return names.require(value, what)
    return check


# Built once at import, so a second install() (one per test app) finds them registered.
_CHECKS = [
    (ProcessInstance.status, _status_check(INSTANCE)), (Person.status, _status_check(PERSON)),
    (Transfer.status, _status_check(TRANSFER)), (RealnameRequest.status, _status_check(REALNAME)),
    (Suspension.status, _status_check(SUSPENSION)), (ResumeRequest.status, _status_check(RESUME)),
    (MoveBackRequest.status, _status_check(MOVEBACK)),
    (Job.status, _status_check(JOB)), (RegistryEvent.status, _status_check(DELIVERY)),
    (Event.action, _name_check(Action, "event action")), (OperationLog.action, _name_check(Operation, "operation")),
]


def install() -> None:
    """Register the checks on the models' columns (once per process)."""
    for column, check in _CHECKS:
        if not sa.event.contains(column, "set", check):
            # active_history loads an expired old status, so the transition is checked from what is stored.
            sa.event.listen(column, "set", check, active_history=True)
