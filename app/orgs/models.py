"""The organisation tree, stored with a materialised path so a subtree is one prefix query."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutil import utcnow

# Levels from the top of a province down; the order matters (a child is one level lower or more).
LEVELS = {
    "province": "省委",
    "city": "市委",
    "county": "县(区)委",
    "committee": "基层党委",
    "branch": "党支部",
    "group": "党小组",
}
LEVEL_ORDER = list(LEVELS)


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    level: Mapped[str] = mapped_column(sa.String(16))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    # "/1/5/12/": ids from the root down, ending with this organisation's own id.
    path: Mapped[str] = mapped_column(sa.String(400), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped["Organisation | None"] = relationship(remote_side=[id])

    @property
    def level_label(self) -> str:
        return LEVELS.get(self.level, self.level)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent (excluding self)."""
        return [int(x) for x in self.path.strip("/").split("/")[:-1] if x]

    def is_within(self, other: "Organisation") -> bool:
        """True if self is other or lies in other's subtree."""
        return self.path.startswith(other.path)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"
