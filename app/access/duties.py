"""Separation of duties: whoever 上报 a pass of a step cannot also 审核 that pass.

The reporter is read from the event log (the latest ``report`` event on the edit task the review belongs to:
the report that made this review ready), so the rule holds whatever role or organisation the account has,
including a higher admin who acted for the branch.
"""
import sqlalchemy as sa
from flask import g, has_app_context

from app.access.policy import allows
from app.events.models import Event
from app.extensions import db

OWN_REPORT = "本人上报的内容须由其他账号审核，不能审核本人上报的步骤"
NO_REVIEW = "没有审核权限"
# Built once: asked on every review page and action (no statement and cache key built per call).
_REPORTER = (sa.select(Event.actor_id)
             .where(Event.instance_id == sa.bindparam("instance_id"), Event.task_name == sa.bindparam("task_name"),
                    Event.action == "report")
             .order_by(Event.seq.desc()).limit(1))


def reporter_id(instance_id: int, review_task) -> int | None:
    """The account that reported the pass awaiting ``review_task``, or None if no report is on record."""
    # A page and its action ask several times per request (buttons, allowed actions, the action itself);
    # the answer cannot change within one request, because reporting and reviewing are separate requests.
    cache = g.setdefault("_reporters", {}) if has_app_context() else {}
    key = (instance_id, review_task.review_of, review_task.pass_no)
    if key not in cache:
        cache[key] = db.session.scalar(_REPORTER, {"instance_id": instance_id, "task_name": review_task.review_of})
    return cache[key]


def reported_by(actor, instance_id: int, task) -> bool:
    """True if ``task`` is a review and ``actor`` reported the pass it reviews (so may not review it)."""
    if not getattr(task, "is_review", False) or getattr(actor, "id", None) is None:
        return False
    return reporter_id(instance_id, task) == actor.id


def review_refusal(actor, instance_id: int, task) -> str | None:
    """Why ``actor`` may not 审核 ``task`` (policy, then separation of duties), or None; None for edit tasks."""
    if not getattr(task, "is_review", False):
        return None
    if not allows(actor, "process", "review"):
        return NO_REVIEW
    if reported_by(actor, instance_id, task):
        return OWN_REPORT
    return None
