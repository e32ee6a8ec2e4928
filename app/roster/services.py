"""党员名册: the members of a branch — persons who became 预备党员/正式党员 through the procedure here (read from
the person projection, never copied) and members imported from a workbook — and who of them may serve as
培养联系人 (R06) or 入党介绍人 (R09) when a step picks them."""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.events.services import log_operation
from app.extensions import db
from app.orgs.models import Organisation
from app.paging import CallablePage
from app.people.models import Person
from app.roster.models import RosterMember
from app.scope import path_prefix
from app.vocab.operations import Operation

MEMBER_CATEGORIES = ("预备党员", "正式党员")
# A cancelled or closed record never made a member; a completed one is a 正式党员.
MEMBER_STATUSES = ("active", "completed")
PERSON, IMPORTED = "p", "m"


@dataclass(frozen=True)
class Member:
    """One row of a roster, whichever its source; ``key`` names it in a step's data ("p:12", "m:5")."""
    kind: str
    id: int
    name: str
    id_number: str
    join_date: date | None
    full_date: date | None
    full_member: bool
    party_status: str
    on_watch: bool
    org_name: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def category(self) -> str:
        return "正式党员" if self.full_member else "预备党员"

    @property
    def source_label(self) -> str:
        return "本支部发展" if self.kind == PERSON else "导入"


def _union(prefix: str):
    persons = (sa.select(sa.literal(PERSON).label("kind"), Person.id, Person.name, Person.id_number,
                         Person.probationary_date.label("join_date"), Person.full_member_date.label("full_date"),
                         (Person.category == "正式党员").label("full_member"),
                         sa.literal("正常").label("party_status"), sa.false().label("on_watch"), Person.org_id)
               .where(path_prefix(Person.org_path, prefix), Person.category.in_(MEMBER_CATEGORIES),
                      Person.status.in_(MEMBER_STATUSES)))
    imported = (sa.select(sa.literal(IMPORTED), RosterMember.id, RosterMember.name, RosterMember.id_number,
                          RosterMember.join_date, RosterMember.full_date, RosterMember.full_date.is_not(None),
                          RosterMember.party_status, RosterMember.on_watch, RosterMember.org_id)
                .where(path_prefix(RosterMember.org_path, prefix)))
    return sa.union_all(persons, imported).subquery("roster")


def _members(stmt) -> list[Member]:
    return [Member(kind=r.kind, id=r.id, name=r.name, id_number=r.id_number, join_date=r.join_date,
                   full_date=r.full_date, full_member=bool(r.full_member), party_status=r.party_status,
                   on_watch=bool(r.on_watch), org_name=r.org_name or "") for r in db.session.execute(stmt)]


def _ordered(org: Organisation):
    roster = _union(org.path)
    return roster, (sa.select(roster, Organisation.name.label("org_name"))
                    .outerjoin(Organisation, Organisation.id == roster.c.org_id)
                    .order_by(roster.c.name, roster.c.kind, roster.c.id))


def roster_page(org: Organisation, page: int = 1, per_page: int = 20) -> CallablePage:
    """The roster of ``org`` and its subtree (``org`` already fetched within the user's scope), by name."""
    roster, stmt = _ordered(org)
    return CallablePage(page=page, per_page=per_page,
                        items=lambda offset, limit: _members(stmt.offset(offset).limit(limit)),
                        total=lambda: db.session.scalar(sa.select(sa.func.count()).select_from(roster)))


def branch_members(branch: Organisation) -> list[Member]:
    """Every member of a branch's roster (the choices a step offers as 本支部党员)."""
    return _members(_ordered(branch)[1])


def member_by_key(branch: Organisation, key) -> Member | None:
    """The member ``key`` ("p:12" / "m:5") if it is in ``branch``'s roster, else None."""
    kind, _, number = str(key or "").partition(":")
    if kind not in (PERSON, IMPORTED) or not number.isdigit() or len(number) > 12:
        return None
    roster, stmt = _ordered(branch)
    found = _members(stmt.where(roster.c.kind == kind, roster.c.id == int(number)))
    return found[0] if found else None


def serving_refusal(member: Member, role: str) -> str:
    """Why ``member`` may not serve as ``role`` (培养联系人 R06, 入党介绍人 R09), '' when they may."""
    if not member.full_member:
        return f"{role}须为正式党员（{member.name}为预备党员）"
    if member.party_status != "正常":
        return f"{member.name}的党籍状态为“{member.party_status}”，不能担任{role}"
    if member.on_watch:
        return f"{member.name}正受留党察看处分，不能担任{role}"
    return ""


def known_id_numbers(numbers: list[str]) -> set[str]:
    """Which of ``numbers`` are already members somewhere (imported, or a member through the procedure)."""
    if not numbers:
        return set()
    found = set(db.session.scalars(sa.select(RosterMember.id_number).where(RosterMember.id_number.in_(numbers))))
    found |= set(db.session.scalars(sa.select(Person.id_number).where(
        Person.id_number.in_(numbers), Person.category.in_(MEMBER_CATEGORIES), Person.status.in_(MEMBER_STATUSES))))
    return found


def add_members(actor, branch: Organisation, rows: list[dict]) -> int:
    """Write checked import rows into ``branch``'s roster and log one ``roster.import`` operation."""
    for row in rows:
        db.session.add(RosterMember(org_id=branch.id, org_path=branch.path, created_by=actor.id, **row))
    db.session.flush()
    log_operation(actor, Operation.ROSTER_IMPORT.value, target=branch.name,
                  detail={"org_id": branch.id, "count": len(rows)})
    return len(rows)
