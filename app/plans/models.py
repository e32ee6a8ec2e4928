"""One organisation's 计划发展数 for one year, set by its parent (the province's by the province admin)."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import utcnow


class PlanQuota(db.Model):
    __tablename__ = "plan_quota"
    __table_args__ = (sa.UniqueConstraint("org_id", "year", name="uq_plan_quota_org_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))  # uq_plan_quota_org_year leads with it
    year: Mapped[int]
    quota: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
