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


def _latest_reports(instance_id) -> sa.Select:
    """The instance's 上报 events, newest first (one of them: LIMIT 1)."""
    return (sa.select(Event.actor_id).where(Event.instance_id == instance_id, Event.action == "report")
            .order_by(Event.seq.desc()).limit(1))


# Built once: asked on every review page and action (no statement and cache key built per call).
_REPORTER = _latest_reports(sa.bindparam("instance_id")).where(Event.task_name == sa.bindparam("task_name"))


def latest_report(instance_id_column) -> tuple[sa.Label, sa.Label]:
    """The task name and the actor of the instance's latest 上报, as two columns to add to the SELECT that
    loads the instance (the loader keeps them as the Context's ``latest_report``): the review a page or an
    action is about is nearly always the one that report made ready, so it needs no statement of its own."""
    latest = _latest_reports(instance_id_column)
    return (latest.with_only_columns(Event.task_name).scalar_subquery().label("latest_report_task"),
            latest.scalar_subquery().label("latest_report_actor"))


def reporter_id(ctx, review_task) -> int | None:
    """The account that reported the pass awaiting ``review_task`` in ``ctx``'s instance, or None if no report
    is on record."""
    instance = ctx.instance
    latest = ctx.latest_report   # (instance version, task name, actor) as read with the instance, or None
    if latest is not None and latest[0] == instance.version and latest[1] == review_task.review_of:
        return latest[2]
    # A page and its action ask several times per request (buttons, allowed actions, the action itself).
    cache = g.setdefault("_reporters", {}) if has_app_context() else {}
    key = (instance.id, review_task.review_of, review_task.pass_no)
    if key not in cache:
        cache[key] = db.session.scalar(_REPORTER, {"instance_id": instance.id, "task_name": review_task.review_of})
    return cache[key]


def reported_by(actor, ctx, task) -> bool:
    """True if ``task`` is a review and ``actor`` reported the pass it reviews (so may not review it)."""
    if not getattr(task, "is_review", False) or getattr(actor, "id", None) is None:
        return False
    return reporter_id(ctx, task) == actor.id


def review_refusal(actor, ctx, task) -> str | None:
    """Why ``actor`` may not 审核 ``task`` (policy, then separation of duties), or None; None for edit tasks."""
    if not getattr(task, "is_review", False):
        return None
    if not allows(actor, "process", "review"):
        return NO_REVIEW
    if reported_by(actor, ctx, task):
        return OWN_REPORT
    return None
