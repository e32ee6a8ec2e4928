"""The person projection: one row per person in the pipeline, kept in step with their instance.

The instance's event log and engine state are the record; this table exists so that lists,
queries and statistics are plain indexed SQL.
"""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.orgs.models import Organisation
from app.timeutil import utcnow

CATEGORIES = ["入党申请人", "入党积极分子", "发展对象", "预备党员", "正式党员"]
STAGES = {
    1: "申请入党",
    2: "入党积极分子的确定和培养教育",
    3: "发展对象的确定和考察",
    4: "预备党员的接收",
    5: "预备党员的教育、考察和转正",
}


class Person(db.Model):
    __tablename__ = "person"
    __table_args__ = (
        # Stage lists: the page's ids come from this index alone (id last: PostgreSQL's index-only scan; on
        # SQLite the rowid is in every index anyway), sorted within a subtree's range (app.scope.below_root).
        sa.Index("ix_person_stage_list", "stage", "status", "org_path", "id"),
        # 人员信息 and the 审计 person list (persons with an instance): the same for every person of a subtree.
        sa.Index("ix_person_path_id", "org_path", "id", "instance_id"),
        # R18 held by the database too: two requests racing with the same ID number cannot both insert.
        # A record closed by 重新发展 gives its number free, hence partial (both SQLite and PostgreSQL).
        sa.Index("uq_person_id_number_open", "id_number", unique=True,
                 sqlite_where=sa.text("status != 'closed'"), postgresql_where=sa.text("status != 'closed'")),
    )
    __scope_path__ = "org_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), index=True)
    id_number: Mapped[str] = mapped_column(sa.String(18), index=True)
    sex: Mapped[str] = mapped_column(sa.String(4), default="")
    ethnicity: Mapped[str] = mapped_column(sa.String(20), default="")
    birth_date: Mapped[date | None]
    education: Mapped[str] = mapped_column(sa.String(30), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    job: Mapped[str] = mapped_column(sa.String(60), default="")
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    org_path: Mapped[str] = mapped_column(sa.String(400))
    instance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process_instance.id"))

    category: Mapped[str] = mapped_column(sa.String(10), default="入党申请人")
    stage: Mapped[int] = mapped_column(default=1)
    current_step: Mapped[int] = mapped_column(default=1)
    current_task: Mapped[str] = mapped_column(sa.String(80), default="")
    current_title: Mapped[str] = mapped_column(sa.String(120), default="")
    # '' (editing), 待审核, 审核不通过, 已完成
    review_status: Mapped[str] = mapped_column(sa.String(10), default="")
    # active | cancelled | completed | closed (重新发展: kept read-only, ID number free again) | disqualified
    status: Mapped[str] = mapped_column(sa.String(12), default="active", index=True)
    # A 调整申请 waits for the county (move_back_request.pending_person_id names the person): every action on
    # the person must then lapse it or move its version, and the flag spares the other actions that lookup.
    move_back_pending: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    apply_date: Mapped[date | None]
    activist_date: Mapped[date | None]
    candidate_date: Mapped[date | None]
    probationary_date: Mapped[date | None]
    # R31: 入党日期 = the 支部大会 that admitted the person; 预备期满 = one year later plus any extension;
    # 转为正式党员日期 (党龄) = 预备期满, set once the person is a 正式党员 (workflow.services.membership_dates).
    join_date: Mapped[date | None]
    probation_end: Mapped[date | None]
    full_member_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organisation] = relationship()

    @property
    def stage_label(self) -> str:
        return STAGES.get(self.stage, "")


class PersonField(db.Model):
    """One value of a person's step data, projected for 综合查询 and statistics (see app/people/fields.py).

    ``field`` is ``stepNN.name`` (a form field of step NN), ``stepNN.group.name`` (a column of a repeating
    group, the rows' values joined) or ``stepNN._date`` (the day step NN was completed). Text values go to
    ``value_text``, dates to ``value_date``. Rows are rewritten in the same transaction as the action that
    changes the data, so they always match the engine state.
    """
    __tablename__ = "person_field"
    __table_args__ = (
        # person_id last: a condition on (field, value) is answered from the index alone.
        sa.Index("ix_person_field_text", "field", "value_text", "person_id"),
        sa.Index("ix_person_field_date", "field", "value_date", "person_id"),
    )

    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value_text: Mapped[str | None] = mapped_column(sa.String(500))
    value_date: Mapped[date | None]
