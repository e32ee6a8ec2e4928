"""The daily reminder: one SMS per deadline that is due within SOON_DAYS (or already overdue), to the
admin whose task it is, sent through the SMS sender interface and recorded so it is never sent twice.

Each deadline is claimed (its reminder row inserted and committed) before the SMS goes out: two workers
running the same day race on the row's unique key and only the winner sends. A claimed deadline whose SMS
then failed stays recorded with the failed message (the 短信发件箱 shows it), not retried.
"""
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.deadlines.models import DeadlineReminder
from app.deadlines.rules import SOON_DAYS
from app.extensions import db
from app.inbox.models import HumanTask
from app.jobs.queue import end_transaction
from app.orgs.models import Organisation
from app.sms.services import send_sms


def due_tasks(today: date) -> list[HumanTask]:
    """Inbox rows whose deadline is within SOON_DAYS (or past) and not yet reminded."""
    reminded = sa.select(DeadlineReminder.id).where(DeadlineReminder.instance_id == HumanTask.instance_id,
                                                    DeadlineReminder.task_name == HumanTask.task_name,
                                                    DeadlineReminder.due_date == HumanTask.due_date)
    return list(db.session.scalars(sa.select(HumanTask).where(
        HumanTask.due_date.is_not(None), HumanTask.due_date <= today + timedelta(days=SOON_DAYS),
        ~reminded.exists()).order_by(HumanTask.due_date, HumanTask.id)))


def recipient(task: HumanTask) -> User | None:
    """The account of the task's role nearest above the person's organisation (active, with a phone)."""
    return db.session.scalar(
        sa.select(User).join(Organisation, User.org_id == Organisation.id)
        .where(User.role == task.role, User.disabled.is_(False), User.phone != "",
               sa.literal(task.org_path).startswith(Organisation.path))
        .order_by(sa.func.length(Organisation.path).desc(), User.id).limit(1))


def text_for(task: HumanTask, today: date) -> str:
    """The reminder's words."""
    left = (task.due_date - today).days
    when = f"已逾期{-left}天" if left < 0 else f"剩余{left}天"
    return (f"【发展党员纪实】{task.person_name}的“{task.title}”期限为{task.due_date.isoformat()}"
            f"（{task.due_rule}），{when}，请及时办理。")


def send_due(today: date) -> int:
    """Send the reminders due ``today``; returns how many were sent. Commits per deadline."""
    sent = 0
    for task in due_tasks(today):
        user = recipient(task)
        claim = DeadlineReminder(instance_id=task.instance_id, task_name=task.task_name, rule=task.due_rule,
                                 due_date=task.due_date, user_id=user.id if user else None)
        db.session.add(claim)
        try:
            end_transaction()
        except IntegrityError:  # another worker claimed it first
            end_transaction(ok=False)
            continue
        if user is not None:
            claim.sms_message_id = send_sms(user.phone, text_for(task, today), "deadline",
                                            org_path=user.org.path).id
            end_transaction()
            sent += 1
    return sent
