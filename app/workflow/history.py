"""Read-side queries over an instance's events for the pages: reviews of a step, step dates."""
from datetime import datetime

import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.orgs.models import Organisation


# The person's page and a step's page read these on every visit: statements built once, with bound
# parameters, skip building the statement and its cache key per call; they run on the session's connection
# (Core: plain rows, none of the ORM's execution and loading steps), since no ORM object is read and events
# are written by Core statements (``insert_events``), so no autoflush is needed first.
_ID = sa.bindparam("instance_id")
# Only the columns the page shows, as plain rows: no Event entities (identity map, the whole data) to build.
_REVIEWS = (sa.select(Event.action, Event.actor_name, Event.created_at, Event.data["opinion"].as_string(),
                      Organisation.name)
            .outerjoin(Organisation, Organisation.id == Event.org_id)
            .where(Event.instance_id == _ID, Event.task_name == sa.bindparam("task_name"),
                   Event.action.in_(("approve", "reject"))).order_by(Event.seq))
_LAST_ACTIONS = (sa.select(Event.task_name, Event.action, Event.created_at)
                 .where(Event.instance_id == _ID, Event.task_name != "").order_by(Event.seq))
_FIRST_ACTIONS = (sa.select(Event.task_name, sa.func.min(Event.created_at))
                  .where(Event.instance_id == _ID, Event.task_name != "").group_by(Event.task_name))
_IMPORT = sa.select(Event.data, Event.created_at).where(Event.instance_id == _ID, Event.action == "import").limit(1)


def _read(stmt: sa.Select, params: dict) -> sa.CursorResult:
    return db.session.connection().execute(stmt, params)


def step_reviews(instance_id: int, review_task: str) -> list[dict]:
    """本阶段审核情况: every approve/reject of a review task, oldest first."""
    rows = _read(_REVIEWS, {"instance_id": instance_id, "task_name": review_task}).all()
    return [{"result": "通过" if action == "approve" else "不通过", "org": org_name or "", "reviewer": actor_name,
             "at": created_at, "opinion": opinion or ""}
            for action, actor_name, created_at, opinion, org_name in rows]


def step_last_actions(instance_id: int) -> dict[str, tuple[str, datetime]]:
    """task name → (last action, when) for every task this instance's events name."""
    rows = _read(_LAST_ACTIONS, {"instance_id": instance_id}).all()
    return {name: (action, at) for name, action, at in rows}


def step_action_times(instance_id: int) -> tuple[dict[str, tuple[str, datetime]], dict[str, datetime]]:
    """(task name → (last action, when), task name → first action time) for every task the events name."""
    last = step_last_actions(instance_id)
    first = dict(_read(_FIRST_ACTIONS, {"instance_id": instance_id}).all())
    return last, first


def imported_steps(instance_id: int) -> tuple[set[str], datetime | None]:
    """(data keys of the steps an ``import`` event brought in, when) for 数据导入's persons; (set(), None) else."""
    row = _read(_IMPORT, {"instance_id": instance_id}).first()
    if row is None:
        return set(), None
    return set((row.data or {}).get("steps") or {}), row.created_at


def events_of(instance_id: int, limit: int = 200) -> list[Event]:
    """The instance's events, oldest first."""
    return list(db.session.scalars(sa.select(Event).where(Event.instance_id == instance_id)
                                   .order_by(Event.seq).limit(limit)))
