"""A member imported into a branch's 党员名册. Members who joined through the procedure here are not copied:
the roster reads them from the person projection (``app.roster.services``)."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.orgs.models import Organisation
from app.timeutil import utcnow


class RosterMember(db.Model):
    __tablename__ = "roster_member"
    __scope_path__ = "org_path"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    org_path: Mapped[str] = mapped_column(sa.String(400), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    # A member belongs to one branch: an ID number appears once in every roster together.
    id_number: Mapped[str] = mapped_column(sa.String(18), unique=True)
    join_date: Mapped[date]                       # 入党日期
    full_date: Mapped[date | None]                # 转正日期; none while 预备党员
    party_status: Mapped[str] = mapped_column(sa.String(10), default="正常")  # 党籍状态
    on_watch: Mapped[bool] = mapped_column(default=False)  # 留党察看
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    org: Mapped[Organisation] = relationship()


class CheckedRosterFile(db.Model):
    """A roster workbook that passed the dry run (校验), kept so that 导入 uses exactly the checked file without
    choosing it again. The bytes are stored under their sha256 (``app.roster.uploads``); the row binds them to
    the user who checked them and the branch they were checked for, and expires."""
    __tablename__ = "roster_checked_file"
    __table_args__ = (sa.UniqueConstraint("sha256", "user_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    rows: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
