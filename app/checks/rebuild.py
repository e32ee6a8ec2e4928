"""Rebuild check facts from the engine state, for persons recorded before the facts existed.

The workflow service keeps ``check_fact`` current on every action; this is for a database that had
persons before this table was added (``flask checks rebuild-facts``), and it reads the same source of
truth: the step data in each person's process instance.
"""
import re

import sqlalchemy as sa

from app.checks.projection import record_step
from app.extensions import db
from app.people.models import Person

_STEP_KEY = re.compile(r"^step\d{2}$")


def latest_step_data(wf) -> dict:
    """{stepNN: data} as the latest task sees it (task data carries every earlier step's data forward)."""
    from app.workflow import engine
    ready = engine.ready_tasks(wf, with_data=True)
    done = engine.completed_tasks(wf)
    data = ready[0].data if ready else (done[-1].data if done else {})
    return {key: value for key, value in data.items() if _STEP_KEY.match(key) and isinstance(value, dict)}


def rebuild_facts(person: Person) -> None:
    """Write the person's fact row from their instance's step data."""
    from app.workflow.services import load
    for key, data in sorted(latest_step_data(load(person).wf).items()):
        record_step(person, key, data)


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
