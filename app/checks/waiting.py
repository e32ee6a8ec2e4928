"""Where in the procedure a person waits for a fact, read from the deployed diagrams.

A deadline check ("still no talk a month after the application") flags a person only while they stand
at the step that would record the missing value. Which step that is comes from the diagrams: the tasks
whose form feeds the fact (forms' ``feeds``), with their reviews; the task names of every deployed version
of the development process are taken, so persons on an older version are judged by their own diagram.
"""
import sqlalchemy as sa

from forms import feeds

from app.extensions import db
from app.workflow.models import ProcessVersion
from app.workflow.versions import DEVELOPMENT


def _names(steps) -> set[str]:
    return {s.name for s in steps} | {s.review_name for s in steps if s.review_name}


def waiting_tasks(fact: str, *, or_before: bool = False) -> list[str]:
    """Names of the user tasks (edit and review) of the steps whose form feeds ``fact``; with
    ``or_before``, of every step up to the last such step in the diagram's order as well."""
    from app.workflow.services import step_catalogue
    versions = db.session.scalars(sa.select(ProcessVersion.id).where(
        ProcessVersion.process_id == DEVELOPMENT, ProcessVersion.state != "draft")).all()
    names: set[str] = set()
    for version_id in versions:
        steps = step_catalogue(version_id)
        feeding = [s for s in steps if fact in feeds(s.form_key).values()]
        if feeding and or_before:
            last = max(s.step for s in feeding)
            feeding = [s for s in steps if s.step <= last]
        names |= _names(feeding)
    return sorted(names)
