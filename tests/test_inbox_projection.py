"""The inbox projection follows each action: the row of the task that was done is taken over by the task that
follows (one statement on PostgreSQL, sent without waiting for its reply), the new task id is remembered in
task_ref, and a row that had gone missing is written anew rather than left out."""
import sqlalchemy as sa

from app.extensions import db
from app.inbox.models import HumanTask, TaskRef
from app.workflow import services, simulate


def _act_on_next(person, actor):
    ctx = services.load(person)
    task = next(t for t in ctx.ready if not t.is_review)
    services.act(actor, ctx, task.id, "submit" if task.name not in services.reviewed_steps(ctx) else "report",
                 simulate.sample(task.form_key, simulate.stored_sample_file(actor)))
    db.session.commit()
    return task


def _inbox(person):
    return db.session.execute(sa.select(HumanTask.task_id, HumanTask.task_name, HumanTask.person_name)
                              .where(HumanTask.instance_id == person.instance_id)).all()


def test_the_next_task_takes_over_the_row_and_its_id_is_remembered(demo, actors):
    branch = actors["branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 4601, name="收件甲")
    [(before_id, before_name, _)] = _inbox(person)
    row_id = db.session.scalar(sa.select(HumanTask.id).where(HumanTask.task_id == before_id))
    done = _act_on_next(person, branch)
    assert done.id == before_id
    [(task_id, task_name, name)] = _inbox(person)
    ready = services.load(person).ready
    assert [t.id for t in ready] == [task_id] and task_name == ready[0].name != before_name and name == "收件甲"
    # Rewritten in place, not deleted and inserted again.
    assert db.session.scalar(sa.select(HumanTask.id).where(HumanTask.task_id == task_id)) == row_id
    remembered = set(db.session.scalars(sa.select(TaskRef.task_id).where(TaskRef.instance_id == person.instance_id)))
    assert {before_id, task_id} <= remembered


def test_a_missing_row_is_written_anew_by_the_next_action(demo, actors):
    branch = actors["branch_admin"]
    person = simulate.add_applicant(branch, demo.orgs["branch1"], 4602, name="收件乙")
    db.session.execute(sa.delete(HumanTask).where(HumanTask.instance_id == person.instance_id))
    db.session.commit()
    _act_on_next(person, branch)
    [(task_id, _, name)] = _inbox(person)
    assert [t.id for t in services.load(person).ready] == [task_id] and name == "收件乙"
    assert db.session.get(TaskRef, task_id).instance_id == person.instance_id
