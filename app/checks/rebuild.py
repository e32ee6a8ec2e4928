"""Rebuild check facts from the engine state, for persons recorded before the facts existed.

The workflow service keeps ``check_fact`` current on every action; this is for a database that had
persons before this table was added (``flask checks rebuild-facts``), and it reads the same source of
truth: the step data in each person's process instance.
"""
import sqlalchemy as sa

from app.checks.projection import record_step
from app.extensions import db
from app.people.models import Person


def latest_step_data(ctx) -> list[tuple[object, dict]]:
    """(step, its data) for each step of the instance's diagram holding data, in the diagram's order, as
    the latest task sees it (task data carries every earlier step's data forward)."""
    from app.workflow import engine
    from app.workflow.services import step_catalogue
    ready = engine.ready_tasks(ctx.wf, with_data=True)
    done = engine.completed_tasks(ctx.wf)
    data = ready[0].data if ready else (done[-1].data if done else {})
    return [(step, data[step.data_key]) for step in step_catalogue(ctx.instance.process_version_id)
            if isinstance(data.get(step.data_key), dict)]


def rebuild_facts(person: Person) -> None:
    """Write the person's fact row from their instance's step data."""
    from app.workflow.services import load
    for step, data in latest_step_data(load(person)):
        record_step(person, step.form_key, data)


def rebuild_all(batch: int = 500) -> int:
    """Rebuild the facts of every person with an instance, committing per batch; returns how many."""
    done, last_id = 0, 0
    while True:
        persons = db.session.scalars(sa.select(Person).where(Person.instance_id.is_not(None), Person.id > last_id)
                                     .order_by(Person.id).limit(batch)).all()
        if not persons:
            return done
        for person in persons:
            rebuild_facts(person)
        db.session.commit()
        done += len(persons)
        last_id = persons[-1].id
