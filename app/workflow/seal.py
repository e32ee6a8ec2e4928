"""R32 sealed stages: the one answer to "may this step's data still change?", for 发展流程 and 人员信息 alike.

A stage is sealed once the review of its last reviewed step (its closing review, read from the diagram's
``stage`` and ``reviewOf`` properties) has been approved; a later sealed stage seals every earlier one, so a
stage whose closing step was skipped (R03) is sealed with the next. 申请入党日期, 姓名 and 身份证号 hold the
whole record together, so they are sealed as soon as any review was approved. Completed, cancelled and
closed records are read-only. Only a county admin (or above) may correct a sealed value, with a reason and
a file (``services.correct_step``), recorded as its own ``correct`` event.
"""
import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.scope import can_act_as

# Fields that identify the person and date the record; their names are the application form's.
IDENTITY_FIELDS = ("name", "id_number", "apply_date")
READ_ONLY_STATUSES = {"completed": "该人员的发展纪实已完成，记录只读", "cancelled": "该人员已停止发展，记录只读",
                      "closed": "该人员的记录已关闭（重新发展），记录只读",
                      "suspended": "该人员已暂停发展（出国（境）），归国恢复后才能修改",
                      "disqualified": "该人员已取消预备党员资格，记录只读"}
CORRECTOR_ROLE = "county_admin"
SEALED_STAGE = "该阶段已审核通过，数据已封存，党支部和基层党委不能修改；如需更正，请由县级组织部门管理员办理"
SEALED_MOVE_BACK = "该阶段已审核通过，数据已封存，调整回该阶段须由县级组织部门管理员办理（需填写原因并上传依据材料）"
SEALED_IDENTITY = "已有阶段审核通过，申请入党日期、姓名、公民身份证号码不能修改；如需更正，请由县级组织部门管理员办理"


def sealed_stages(ctx, catalogue) -> set[int]:
    """The stages of a person's record whose closing review has been approved (and every earlier stage)."""
    closing = {}
    for step in catalogue:
        if step.review_name:
            closing[step.stage] = step.review_name  # the catalogue is in step order: the last one wins
    approved = ctx.approved_reviews
    top = max((stage for stage, review in closing.items() if review in approved), default=0)
    return {step.stage for step in catalogue if step.stage and step.stage <= top}


def any_review_approved(ctx) -> bool:
    """Has any review of this record ever been approved (the identity fields are sealed from then on)?

    The event log answers when the engine state no longer does: a 调整 (move back) resets the tasks after its
    target, dropping the approved reviews among them, but the approval happened and the seal stays."""
    if ctx.approved_reviews:
        return True
    return db.session.scalar(sa.select(Event.id).where(Event.instance_id == ctx.instance.id,
                                                       Event.action == "approve").limit(1)) is not None


def refusal(ctx, catalogue, step, changed=()) -> str:
    """Why branch and committee may not change ``changed`` fields of ``step`` (empty: they may)."""
    if ctx.instance.status in READ_ONLY_STATUSES:
        return READ_ONLY_STATUSES[ctx.instance.status]
    if step is not None and step.stage in sealed_stages(ctx, catalogue):
        return SEALED_STAGE
    if set(changed) & set(IDENTITY_FIELDS) and any_review_approved(ctx):
        return SEALED_IDENTITY
    return ""


def may_correct(actor, ctx) -> bool:
    """May ``actor`` correct sealed values of this record (a county admin or above, over its subtree)?"""
    return (ctx.instance.status not in ("cancelled", "closed", "suspended")
            and can_act_as(actor, CORRECTOR_ROLE, ctx.person.org_path))
