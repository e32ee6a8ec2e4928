"""计划分配: read and change the plan numbers of an organisation's direct sub-organisations.

R21: the children's numbers of a year sum to no more than their parent's number. It is checked in
both directions: handing out more than the parent holds is refused, and so is lowering a number
below what that organisation has already handed to its own children (they must give it back first).
"""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.access.policy import allows
from app.events.services import log_operation
from app.extensions import db
from app.orgs.models import Organisation
from app.people.models import Person
from app.plans.models import PlanQuota
from app.scope import select_in_scope
from app.timeutil import utcnow

# Plans reach down to the 党支部 (one level below the 基层党委); 党小组 get none.
PLANNED_LEVELS = ("province", "city", "county", "committee", "branch")


class PlanError(Exception):
    """The input was refused; ``fields`` maps a form field name to its message."""

    def __init__(self, fields: dict[str, str], rule: str | None = None):
        super().__init__("；".join(fields.values()))
        self.fields = fields
        self.rule = rule  # "R21" when the numbers themselves broke it (not when one was unreadable)


@dataclass
class ChildRow:
    org: Organisation
    quota: int | None        # None: not assigned yet
    actual: int              # persons of the subtree who became 预备党员 in the year
    handed_down: int         # the sum of this child's own children's numbers


@dataclass
class PlanView:
    year: int
    org: Organisation
    own_quota: int | None
    own_actual: int
    own_editable: bool       # the province admin sets the province's own number
    children: list[ChildRow]

    @property
    def assigned(self) -> int:
        return sum(row.quota or 0 for row in self.children)


def may_plan(actor) -> bool:
    """County admins and above distribute plans (manual §2.5)."""
    return allows(actor, "plans", "manage")


def _children(actor, org=None) -> list[Organisation]:
    stmt = (select_in_scope(Organisation, actor)
            .where(Organisation.parent_id == (org or actor.org).id, Organisation.level.in_(PLANNED_LEVELS))
            .order_by(Organisation.id))
    return list(db.session.scalars(stmt))


def _quotas(org_ids: list[int], year: int) -> dict[int, PlanQuota]:
    if not org_ids:
        return {}
    rows = db.session.scalars(sa.select(PlanQuota).where(PlanQuota.org_id.in_(org_ids), PlanQuota.year == year))
    return {row.org_id: row for row in rows}


def _handed_down(org_ids: list[int], year: int) -> dict[int, int]:
    """Sum of the plan numbers each organisation has given its direct children, in one query."""
    if not org_ids:
        return {}
    stmt = (sa.select(Organisation.parent_id, sa.func.sum(PlanQuota.quota))
            .join(PlanQuota, PlanQuota.org_id == Organisation.id)
            .where(Organisation.parent_id.in_(org_ids), PlanQuota.year == year)
            .group_by(Organisation.parent_id))
    return {parent_id: int(total or 0) for parent_id, total in db.session.execute(stmt)}


def actual_counts(orgs: list[Organisation], year: int) -> dict[int, int]:
    """Persons under each organisation whose 入党日期 (R31: the 支部大会 that admitted them) falls in ``year``.

    One grouped query: each organisation is joined to the persons whose path lies under its own.
    Closed records (重新发展) are not counted twice: the old record is left out.
    """
    if not orgs:
        return {}
    start, end = date(year, 1, 1), date(year, 12, 31)
    upper = sa.func.substr(Organisation.path, 1, sa.func.length(Organisation.path) - 1, type_=sa.String) + "0"
    stmt = (sa.select(Organisation.id, sa.func.count(Person.id))
            .join(Person, sa.and_(Person.org_path >= Organisation.path, Person.org_path < upper))
            .where(Organisation.id.in_([o.id for o in orgs]), Person.join_date.between(start, end),
                   Person.status != "closed")
            .group_by(Organisation.id))
    counts = {org_id: int(n) for org_id, n in db.session.execute(stmt)}
    return {o.id: counts.get(o.id, 0) for o in orgs}


def plan_view(actor, year: int, org=None) -> PlanView:
    """The page's data: an organisation's number and actual count, and one row per direct child. ``org``
    (fetched through the scope helper) is one chosen in the tree, read-only; by default the actor's own,
    whose children's numbers the actor hands down."""
    own = org or actor.org
    children = _children(actor, own)
    ids = [c.id for c in children]
    quotas = _quotas(ids + [own.id], year)
    actual = actual_counts(children + [own], year)
    handed = _handed_down(ids, year)
    rows = [ChildRow(org=c, quota=quotas[c.id].quota if c.id in quotas else None, actual=actual[c.id],
                     handed_down=handed.get(c.id, 0)) for c in children]
    return PlanView(year=year, org=own, own_quota=quotas[own.id].quota if own.id in quotas else None,
                    own_actual=actual[own.id], own_editable=own.parent_id is None, children=rows)


_NOT_A_NUMBER = "请输入非负整数"


def _parse(value, field: str, errors: dict) -> int | None:
    text = (value or "").strip() if isinstance(value, str) else value
    if text in ("", None):
        return None
    try:
        number = int(text)
    except (TypeError, ValueError):
        errors[field] = _NOT_A_NUMBER
        return None
    if number < 0 or number > 1_000_000:
        errors[field] = _NOT_A_NUMBER
        return None
    return number


def save_plans(actor, year: int, form: dict) -> int:
    """【保存】: set the children's numbers (fields ``org_<id>``) and, for the province admin, the
    province's own number (field ``own``). Everything is checked first; any refusal raises PlanError
    and nothing is written. Returns how many numbers changed; each change is one operations-log row."""
    if not may_plan(actor):
        raise PermissionError
    view = plan_view(actor, year)
    errors: dict[str, str] = {}
    new_own = _parse(form.get("own"), "own", errors) if view.own_editable else view.own_quota
    new_children = {row.org.id: _parse(form.get(f"org_{row.org.id}"), f"org_{row.org.id}", errors)
                    for row in view.children}
    for row in view.children:
        field, number = f"org_{row.org.id}", new_children[row.org.id]
        if field not in errors and (number or 0) < row.handed_down:
            errors[field] = (f"该组织已向下级分配 {row.handed_down} 名指标，不能调低到 {number or 0}；"
                             "请先要求其下级党组织调整已分配的指标，回收空余指标")
    total = sum(n or 0 for n in new_children.values())
    own = new_own or 0
    if not errors and total > own:
        if view.own_editable and own < (view.own_quota or 0) and view.assigned > own:
            errors["own"] = (f"已向下级分配 {view.assigned} 名指标，本级计划发展数不能低于该数；"
                             "请先要求下级党组织调整已分配的指标，回收空余指标")
        else:
            errors["total"] = (f"下级党组织计划发展数合计 {total}，超出本级计划发展数 {own}"
                               f"{'（本级计划发展数尚未下达）' if new_own is None else ''}，请调整")
    if errors:
        raise PlanError(errors, rule=None if all(v == _NOT_A_NUMBER for v in errors.values()) else "R21")
    changes = [(row.org, row.quota, new_children[row.org.id]) for row in view.children]
    if view.own_editable:
        changes.append((view.org, view.own_quota, new_own))
    changed = 0
    existing = _quotas([org.id for org, _, _ in changes], year)
    for org, before, after in changes:
        if before == after:
            continue
        row = existing.get(org.id)
        if after is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(PlanQuota(org_id=org.id, year=year, quota=after, updated_by=actor.id))
        else:
            row.quota, row.updated_at, row.updated_by = after, utcnow(), actor.id
        log_operation(actor, "plan.update", target=org.name,
                      detail={"org_id": org.id, "year": year, "from": before, "to": after})
        changed += 1
    return changed
