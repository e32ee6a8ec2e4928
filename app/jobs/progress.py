"""Progress of a running job, written in short transactions of its own so the polling page sees it while
the job's own work is still uncommitted."""
import sqlalchemy as sa

from app.extensions import db
from app.jobs.models import Job


class Progress:
    """``step()`` after each unit of work; written at most every ``every`` units."""

    def __init__(self, job_id: int, total: int, every: int = 20):
        self.job_id, self.total, self.done, self.every = job_id, total, 0, max(1, every)
        self._write(status="running")

    def step(self, n: int = 1) -> None:
        """Count ``n`` units done."""
        self.done += n
        if self.done // self.every != (self.done - n) // self.every or self.done == self.total:
            self._write()

    def _write(self, **values) -> None:
        table = Job.__table__
        with db.engine.begin() as conn:
            conn.execute(sa.update(table).where(table.c.id == self.job_id)
                         .values(done=self.done, total=self.total, **values))
