"""The outbox follows the development procedure: a projection of the runner writes the registry's events
in the same transaction as the action (the transactional outbox), and asks the worker to deliver them
once that transaction commits.

Which step publishes what is declared by its form (``registry_event`` in forms/), found through the task
that completed: the review's step for an approval, the task itself for a step submitted without review.
Actions that came from the registry itself (their data carry ``registry_key``) are not sent back.
"""
from app.extensions import db
from app.orgs.models import Organisation
from app.registry import events
from app.registry.events import EventKind
from app.workflow import runner
from app.workflow import services as workflow
from app.workflow.versions import DEVELOPMENT
from forms import registry_event

# The category a person has while a 预备党员 (the diagram's ``category`` property of those steps).
PROBATIONARY_CATEGORY = "预备党员"


def _completed_form(change: runner.Change) -> str | None:
    """The form of the step this event completed, or None."""
    action, task, ctx = change.event["action"], change.task, change.ctx
    if task is None:
        return None
    if action == "approve" and task.is_review:
        step = workflow.step_of(ctx, task)
        return step.form_key if step else None
    if action == "submit" and task.name not in workflow.reviewed_steps(ctx):
        return task.form_key
    return None


def _stopped(change: runner.Change) -> bool:
    """This event ended the procedure: 取消发展, or the last step leading to an end event."""
    action, status = change.event["action"], change.ctx.instance.status
    return action == "cancel" or (status == "completed" and action in ("submit", "approve"))


@runner.projection(DEVELOPMENT)
def _outbox(change: runner.Change) -> None:
    """Add the registry's events this change causes (after the person projection ran)."""
    event, person = change.event, change.ctx.person
    if (event.get("data") or {}).get("registry_key"):
        return
    rows = []
    # An outcome the diagram decided with this action (延长预备期, 取消预备党员资格 …) replaces the step's
    # ordinary meaning: a 转正 approval that extended the probation is not a 转正.
    decided = (event.get("outcome") or {}).get("action")
    kind = None if decided else registry_event(_completed_form(change) or "")
    if kind:
        rows.append(events.record(kind, person, person.org))
    elif event["action"] == "transfer":
        from_org = db.session.get(Organisation, event["data"]["from_org_id"])
        to_org = db.session.get(Organisation, event["data"]["to_org_id"])
        rows.append(events.record(EventKind.TRANSFER_OUT, person, from_org, from_organisation=from_org,
                                  to_organisation=to_org))
        rows.append(events.record(EventKind.TRANSFER_IN, person, to_org, from_organisation=from_org,
                                  to_organisation=to_org))
    elif decided == "disqualify" or (_stopped(change) and person.category == PROBATIONARY_CATEGORY
                                     and person.full_member_date is None):
        # 取消发展 of a 预备党员, or the procedure ending without 转正 (取消预备党员资格, R29).
        rows.append(events.record(EventKind.PROBATION_REVOKED, person, person.org,
                                  reason=(event.get("data") or {}).get("reason", "")))
    events.deliver_after_commit(rows)
