"""The inbox query: one indexed read of the human_task table, never a workflow load."""
from functools import lru_cache

import sqlalchemy as sa
from flask import url_for

from app.auth.roles import ADMIN_ROLES, admin_rank
from app.db_setup import PIPELINED, update_where, upsert
from app.extensions import db
from app.inbox.models import HumanTask, TaskRef
from app.orgs.models import Organisation
from app.paging import CallablePage
from app.scope import path_prefix, scope_path

# mine: tasks of the user's own role; below: tasks of lower roles the user may also do.
VIEWS = {"mine": "本级待办", "below": "下级待办"}
# Above this many tasks in scope the total is shown as "1000+" and the page comes from the arrival index.
COUNT_CAP = 1000


def roles_for(user, view: str) -> list[str]:
    """The task roles an inbox view lists for this user."""
    rank = admin_rank(user.role)
    if rank < 0:
        return []
    return [user.role] if view == "mine" else ADMIN_ROLES[:rank]


def inbox_page(user, view: str = "mine", page: int = 1, per_page: int = 20, sort: str = "arrived", *,
               name: str = "", step: int | None = None, org=None) -> CallablePage:
    """One page of the user's ready tasks, newest first (``sort="due"``: nearest deadline first, tasks
    without one last); the total is exact up to ``COUNT_CAP``.
    Filters: ``name`` (the person's name contains it), ``step`` (the task's step ordinal), ``org`` (an
    organisation already fetched through the scope helper: its subtree).

    Sorting every task in a county's scope costs O(tasks) (55 ms at 100,000), so a capped count picks
    the plan: up to the cap, sort the scope; above it, walk ``ix_human_task_role_arrived`` newest first
    per role and stop after one page. ``org_path || ''`` in that branch keeps SQLite from choosing the
    (role, org_path) range index, which is what forces the full sort.
    """
    roles = roles_for(user, view) or [""]
    prefix = scope_path(user)
    narrowing = _filters(name, step, org)
    in_scope = [HumanTask.role.in_(roles), path_prefix(HumanTask.org_path, prefix), *narrowing]
    found = db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(HumanTask.id).where(*in_scope).limit(COUNT_CAP + 1).subquery()))
    order = (HumanTask.arrived_at.desc(), HumanTask.id.desc())
    if sort == "due":
        order = (HumanTask.due_date.is_(None), HumanTask.due_date, HumanTask.id)

    def items(offset: int, limit: int) -> list[HumanTask]:
        if found <= COUNT_CAP or sort == "due":  # by deadline: sort the scope (no index walks due dates)
            return list(db.session.scalars(sa.select(HumanTask).where(*in_scope).order_by(*order)
                                           .offset(offset).limit(limit)))
        path = HumanTask.org_path.concat("")
        newest = [sa.select(HumanTask.id, HumanTask.arrived_at)
                  .where(HumanTask.role == role, path_prefix(path, prefix), *narrowing)
                  .order_by(*order).limit(offset + limit).subquery() for role in roles]
        merged = sa.union_all(*(sa.select(sub.c.id, sub.c.arrived_at) for sub in newest)).subquery()
        ids = list(db.session.scalars(sa.select(merged.c.id)
                                      .order_by(merged.c.arrived_at.desc(), merged.c.id.desc())
                                      .offset(offset).limit(limit)))
        rows = {t.id: t for t in db.session.scalars(sa.select(HumanTask).where(HumanTask.id.in_(ids)))}
        return [rows[i] for i in ids]

    return CallablePage(page=page, per_page=per_page, items=items, total=lambda: min(found, COUNT_CAP),
                        capped=found > COUNT_CAP)


def _filters(name: str, step: int | None, org) -> list:
    conditions = []
    name = (name or "").strip()
    if name:
        conditions.append(HumanTask.person_name.contains(name, autoescape=True))
    if step:
        conditions.append(HumanTask.step == step)
    if org is not None:
        conditions.append(path_prefix(HumanTask.org_path, org.path))
    return conditions


def stage_label(stage: int) -> str:
    from app.people.models import STAGES
    return STAGES.get(stage, "")


# Built once: a fresh ``insert()`` computes its cache key again on every execution.
_INSERT_TASKS = sa.insert(HumanTask.__table__).inline().execution_options(**PIPELINED)


def add_new_tasks(rows: list[dict]) -> None:
    """The inbox rows of many instances that had none (HumanTask fields with ``instance_id``), in one
    statement, and their task ids in task_ref: ``replace_tasks`` for a batch of new instances."""
    if rows:
        db.session.execute(_INSERT_TASKS, rows)
        db.session.execute(sa.insert(TaskRef.__table__),
                           [{"task_id": row["task_id"], "instance_id": row["instance_id"]} for row in rows])


def replace_tasks(instance_id: int, rows: list[dict], before: list[str] | None = None) -> None:
    """The inbox projection of one instance: its human_task rows become ``rows`` (HumanTask fields);
    each task id is also remembered in task_ref, so a late request for it is known as a lost race.

    ``before``: the task ids the rows showed until now, if the caller knows them. Then rows are rewritten
    in place (one UPDATE per task that replaced another, the usual step-to-step move) instead of all
    deleted and inserted again; rows of tasks still ready are rewritten too (their status may change).
    On PostgreSQL the UPDATE of a row taken over by a new task also remembers the new id (``_move_task``)."""
    table = HumanTask.__table__
    # Core statements on the session's connection: Session.execute's ORM dispatch has nothing to do for them.
    connection = db.session.connection()
    one_statement = connection.dialect.name == "postgresql"
    known = set()   # task ids already in task_ref (their row was there, or its move remembered the id)
    if before is None:
        # The ORM's delete, so task rows loaded in this session are known to be gone.
        db.session.execute(sa.delete(HumanTask).where(HumanTask.instance_id == instance_id))
        fresh = rows
    else:
        fresh = []
        old = list(before)
        for row in rows:
            # A task still ready keeps its row; otherwise take over the row of a task that left.
            reuse = row["task_id"] if row["task_id"] in old else (old[0] if old else None)
            if reuse is None:
                fresh.append(row)
                continue
            params = {"k_instance_id": instance_id, "k_task_id": reuse,
                      **{f"v_{name}": value for name, value in row.items()}}
            if one_statement and reuse != row["task_id"]:
                statement, complete = _move_task(tuple(row))
                if complete:
                    # It inserts the row itself if there was none to take over: nothing to read back.
                    connection.execute(statement, params, execution_options=PIPELINED)
                    moved = 1
                else:
                    moved = connection.execute(statement, params).scalar()
            else:
                moved = connection.execute(update_where(table, tuple(row), ("instance_id", "task_id")),
                                           params).rowcount
            if moved == 1:
                old.remove(reuse)
                if reuse == row["task_id"] or one_statement:
                    known.add(row["task_id"])
            else:
                fresh.append(row)
        if old:
            db.session.execute(sa.delete(HumanTask).where(HumanTask.instance_id == instance_id,
                                                          HumanTask.task_id.in_(old)))
    if fresh:
        connection.execute(_INSERT_TASKS, [{"instance_id": instance_id, **row} for row in fresh])
    new_ids = [row["task_id"] for row in rows if row["task_id"] not in known]
    if new_ids:
        # A task offered before (a restored instance) is already known: one statement either way.
        connection.execute(upsert(TaskRef.__table__, ("task_id", "instance_id"), ("task_id",)),
                           [{"task_id": task_id, "instance_id": instance_id} for task_id in new_ids],
                           execution_options=PIPELINED)


@lru_cache(maxsize=32)
def _move_task(columns: tuple[str, ...]) -> tuple[sa.TextClause, bool]:
    """PostgreSQL: ``update_where``'s UPDATE of a human_task row taken over by a new task, and the new task id
    into task_ref, as one statement (a data-modifying WITH; SQLite has none): one round trip and one
    statement's overhead less per completion. Returns the statement, and whether it is complete: when
    ``columns`` hold every column a new row needs, it also inserts the row if there was none to take over, so
    its caller need not read its result (the number of rows moved) and may pipeline it."""
    table = HumanTask.__table__
    sets = ", ".join(f"{table.c[name].name} = :v_{name}" for name in columns)
    needed = {c.name for c in table.c if not (c.primary_key or c.nullable or c.server_default is not None)}
    complete = needed <= {"instance_id", *columns}
    added = ""
    if complete:
        added = (f"added AS (INSERT INTO {table.name} (instance_id, {', '.join(columns)}) "
                 f"SELECT :k_instance_id, {', '.join(f':v_{name}' for name in columns)} "
                 f"WHERE NOT EXISTS (SELECT FROM moved)), ")
    sql = (f"WITH moved AS (UPDATE {table.name} SET {sets} WHERE instance_id = :k_instance_id AND "
           f"task_id = :k_task_id RETURNING task_id), {added}"
           f"remembered AS (INSERT INTO {TaskRef.__tablename__} (task_id, instance_id) "
           f"VALUES (:v_task_id, :k_instance_id) ON CONFLICT (task_id) DO NOTHING) "
           f"SELECT count(*) FROM moved")
    binds = [sa.bindparam(f"v_{name}", type_=table.c[name].type) for name in columns]
    binds += [sa.bindparam("k_instance_id", type_=table.c.instance_id.type),
              sa.bindparam("k_task_id", type_=table.c.task_id.type)]
    return sa.text(sql).bindparams(*binds), complete


def replace_request_tasks(ctx, *, process: str, subject_id: int, title: str, org_path: str, person_name: str,
                          role_of, now) -> None:
    """The inbox projection of a small request procedure (归国恢复, 调整申请): each ready review waits in the
    待办事项 of its lane's role (``role_of(task)``) at the person's branch and the admins above it."""
    rows = [{"person_id": None, "task_id": t.id, "task_name": t.name, "title": f"{title}{t.title}",
             "role": role_of(t), "org_path": org_path, "person_name": person_name,
             "org_name": _org_name(org_path), "arrived_at": now, "process": process,
             "subject_id": subject_id, "status": "待审核"}
            for t in ctx.ready] if ctx.instance.status == "running" else []
    replace_tasks(ctx.instance.id, rows)


def _org_name(path: str) -> str:
    org_id = int(path.strip("/").split("/")[-1])
    return db.session.scalar(sa.select(Organisation.name).where(Organisation.id == org_id)) or ""


def instance_of_task(task_id: str) -> int | None:
    """The instance an engine task id was offered for (even after it was done), or None."""
    return db.session.scalar(sa.select(TaskRef.instance_id).where(TaskRef.task_id == task_id))


# The page that opens a task, by the procedure its row names.
_PAGES = {
    "development": lambda t: url_for("workflow.step", person_id=t.person_id, step=t.step),
    "transfer": lambda t: url_for("transfers.show", transfer_id=t.subject_id),
    "realname": lambda t: url_for("realname.show", request_id=t.subject_id),
    "resume": lambda t: url_for("suspensions.request_page", resume_id=t.subject_id),
    "moveback": lambda t: url_for("movebacks.show", moveback_id=t.subject_id),
}


def task_url(task: HumanTask) -> str:
    """Where 马上处理 leads for an inbox row."""
    return _PAGES[task.process](task)
