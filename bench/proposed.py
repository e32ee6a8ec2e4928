"""Changes proposed to the lead, measured by ``bench/run.py --proposed`` without editing app/.

``apply()`` creates two indexes and swaps in the functions below (monkeypatching module attributes),
so one bench run shows the effect on the same data. Each function is a drop-in replacement for the
app function of the same name; the docstrings say what changed and why.
"""
import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

# Indexes to add (models + a migration):
#   HumanTask.__table_args__: sa.Index("ix_human_task_role_arrived", "role", "arrived_at", "org_path")
#   Person.__table_args__:    sa.Index("ix_person_stage_status_path", "stage", "status", "org_path")
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_human_task_role_arrived ON human_task (role, arrived_at, org_path)",
    "CREATE INDEX IF NOT EXISTS ix_person_stage_status_path ON person (stage, status, org_path)",
)

# Above this many tasks in scope the inbox walks the arrival-time index instead of sorting the scope,
# and the pager says "1000+" instead of counting every task.
COUNT_CAP = 1000


class _Page(Pagination):
    """A Flask-SQLAlchemy Pagination over callables: items(offset, limit) and total()."""

    def _query_items(self):
        return self._query_args["items"](self._query_offset, self.per_page)

    def _query_count(self):
        return self._query_args["total"]()


def inbox_page(user, view: str = "mine", page: int = 1, per_page: int = 20):
    """One page of the user's ready tasks, newest first (replaces app.inbox.services.inbox_page).

    The current query sorts every task in scope (SEARCH ix_human_task_role_path + TEMP B-TREE FOR
    ORDER BY) and counts them all: O(tasks in scope), 55 + 20 ms for a county with 100,000 tasks.
    Here a capped count (LIMIT 1001, index only) decides the plan:
    - up to 1000 tasks in scope: the same query as now (sorting at most 1000 rows is cheap);
    - more: per role, walk ix_human_task_role_arrived newest first and stop after offset+limit rows
      (the scope test is written ``org_path || ''`` so that SQLite cannot pick the (role, org_path)
      range, which is what forces the full sort), merge the roles, then load those rows by id.
    The total shown is exact up to 1000, else 1001 (the pager should print "1000+", see
    ``page.capped``).
    """
    from app.extensions import db
    from app.inbox.models import HumanTask
    from app.inbox.services import roles_for
    from app.scope import path_prefix, scope_path

    roles = roles_for(user, view) or [""]
    prefix = scope_path(user)
    in_scope = [HumanTask.role.in_(roles), path_prefix(HumanTask.org_path, prefix)]
    capped = db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(HumanTask.id).where(*in_scope).limit(COUNT_CAP + 1).subquery()))
    order = (HumanTask.arrived_at.desc(), HumanTask.id.desc())

    def items(offset, limit):
        if capped <= COUNT_CAP:
            return list(db.session.scalars(sa.select(HumanTask).where(*in_scope).order_by(*order)
                                           .offset(offset).limit(limit)))
        path = HumanTask.org_path.concat("")
        newest = [sa.select(HumanTask.id, HumanTask.arrived_at)
                  .where(HumanTask.role == role, path_prefix(path, prefix))
                  .order_by(*order).limit(offset + limit).subquery() for role in roles]
        merged = sa.union_all(*(sa.select(sub.c.id, sub.c.arrived_at) for sub in newest)).subquery()
        ids = list(db.session.scalars(sa.select(merged.c.id)
                                      .order_by(merged.c.arrived_at.desc(), merged.c.id.desc())
                                      .offset(offset).limit(limit)))
        rows = {t.id: t for t in db.session.scalars(sa.select(HumanTask).where(HumanTask.id.in_(ids)))}
        return [rows[i] for i in ids]

    result = _Page(page=page, per_page=per_page, error_out=False, items=items, total=lambda: capped)
    result.capped = capped > COUNT_CAP
    return result


def stage_page(user, stage: int, *, name: str = "", org=None, page: int = 1, per_page: int = 20):
    """One page of active persons at a stage (replaces app.people.services.stage_page).

    Now: without statistics SQLite answers ``org_path range AND stage = ? AND status = 'active'``
    from ix_person_status (status = ?), i.e. it reads every active person row, for every user: the
    count alone is 60-120 ms at 100,000 persons even for a branch admin with 50 persons.
    Here: ix_person_stage_status_path makes the filter one index range (count: index only), and the
    page is picked by id on that index before the 20 rows (and their organisations) are read.
    """
    from app.extensions import db
    from app.people.models import Person
    from app.scope import path_prefix, scope_path

    prefix = org.path if org is not None and org.path.startswith(scope_path(user)) else scope_path(user)
    where = [Person.stage == stage, Person.status == "active", path_prefix(Person.org_path, prefix)]
    if name.strip():
        where.append(Person.name.contains(name.strip(), autoescape=True))

    def items(offset, limit):
        ids = (sa.select(Person.id).where(*where).order_by(Person.id.desc()).offset(offset).limit(limit)
               .scalar_subquery())
        return list(db.session.scalars(sa.select(Person).where(Person.id.in_(ids))
                                       .options(joinedload(Person.org)).order_by(Person.id.desc())).unique())

    def count():
        return db.session.scalar(sa.select(sa.func.count()).select_from(
            sa.select(Person.id).where(*where).subquery()))

    return _Page(page=page, per_page=per_page, error_out=False, items=items, total=count)


def _post_review(ctx, view, form):
    """app.workflow.views._post_review without the second ``services.load``: nothing was committed
    since ``step()`` loaded ``ctx`` in this request, so the instance row and the workflow are current
    and the optimistic version check still guards the write. Saves one engine load (JSON parse and
    task-tree rebuild, 2-3 ms) and one SELECT per approval."""
    from flask import flash, redirect, request, url_for
    from flask_login import current_user

    from app.extensions import db
    from app.workflow import services
    from app.workflow.services import WorkflowError
    from app.workflow.views import _apply_errors, _version_from_form

    action = request.form.get("action", "")
    if action not in view.actions:
        flash("不能执行该操作", "error")
        return None
    form.validate()
    try:
        services.act(current_user, ctx, view.review_task.id, action,
                     opinion=form.opinion.data or "", expected_version=_version_from_form())
        db.session.commit()
    except services.Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("workflow.step", person_id=ctx.person.id, step=view.step.step)), 303
    except WorkflowError as exc:
        db.session.rollback()
        _apply_errors(form, exc)
        return None
    flash("审核通过" if action == "approve" else "已退回，等待重新编辑上报")
    return redirect(url_for("workflow.person", person_id=ctx.person.id)), 303


def _post_edit(ctx, view, form):
    """app.workflow.views._post_edit committing and reloading only when files were uploaded: the
    commit that keeps uploads expires the instance, and only then must the workflow be reloaded (a
    stale workflow saved under the fresh version would lose someone else's action). A post citing
    files already stored (the usual case after the first save) skips a commit and a second engine load."""
    from flask import flash, redirect, request, url_for
    from flask_login import current_user

    from app.extensions import db
    from app.workflow import services
    from app.workflow.services import WorkflowError
    from app.workflow.views import _apply_errors, _save_upload, _version_from_form
    from forms.codec import to_data
    from forms.fields import store_uploads

    action = request.form.get("action", "")
    if action not in view.actions:
        flash("不能执行该操作", "error")
        return None
    if not form.validate():
        return None
    try:
        if store_uploads(form, _save_upload):
            db.session.commit()  # stored files stay even if the record is refused below
            ctx = services.load(ctx.person)
        services.act(current_user, ctx, view.edit_task.id, action, to_data(form),
                     expected_version=_version_from_form())
        db.session.commit()
    except services.Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("workflow.step", person_id=ctx.person.id, step=view.step.step)), 303
    except WorkflowError as exc:
        db.session.rollback()
        _apply_errors(form, exc)
        return None
    flash({"save": "已保存", "submit": "已提交，进入下一步骤", "report": "已上报，等待基层党委审核"}[action])
    target = url_for("workflow.step", person_id=ctx.person.id, step=view.step.step) if action == "save" \
        else url_for("workflow.person", person_id=ctx.person.id)
    return redirect(target), 303


def apply(app) -> None:
    """Create the indexes and swap in the functions above (for this process only)."""
    from app.extensions import db
    from app.inbox import services as inbox_services
    from app.people import services as people_services
    from app.workflow import views as workflow_views

    with app.app_context():
        for ddl in INDEXES:
            db.session.execute(sa.text(ddl))
        db.session.commit()
        db.session.remove()
    inbox_services.inbox_page = inbox_page
    people_services.stage_page = stage_page
    workflow_views._post_review = _post_review
    workflow_views._post_edit = _post_edit
