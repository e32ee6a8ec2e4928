"""党员信息同步 page: the deliveries in the actor's scope by status, and 重试 of a failed one."""
import sqlalchemy as sa

from app.events.services import log_operation
from app.extensions import db
from app.paging import CallablePage
from app.registry import events
from app.registry.models import RegistryEvent
from app.scope import get_in_scope, select_in_scope
from app.timeutil import utcnow
from app.vocab.statuses import DELIVERY, DeliveryStatus

TABS = {s.value: s.label for s in DeliveryStatus}


def deliveries_page(actor, status: str, *, page: int = 1, per_page: int = 20) -> CallablePage:
    """One page of the events in the actor's scope with ``status``, newest first."""
    base = select_in_scope(RegistryEvent, actor).where(RegistryEvent.status == status)

    def items(offset: int, limit: int) -> list[RegistryEvent]:
        return list(db.session.scalars(base.order_by(RegistryEvent.created_at.desc(), RegistryEvent.id.desc())
                                       .offset(offset).limit(limit)))

    def total() -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))

    return CallablePage(page=page, per_page=per_page, items=items, total=total)


def counts(actor) -> dict[str, int]:
    """Events in the actor's scope per status (the tabs' numbers)."""
    stmt = select_in_scope(RegistryEvent, actor).with_only_columns(RegistryEvent.status, sa.func.count()) \
        .group_by(RegistryEvent.status)
    return {status: n for status, n in db.session.execute(stmt)}


def get_event(actor, event_id) -> RegistryEvent:
    """An event in the actor's scope, or 404."""
    return get_in_scope(RegistryEvent, event_id, actor)


def retry(actor, row: RegistryEvent) -> None:
    """重试: a failed (or waiting) event gets a fresh series of attempts, the first one right away."""
    DELIVERY.move(row, "registry.retry")
    row.attempts, row.next_attempt_at = 0, utcnow()
    log_operation(actor, "registry.retry", target=f"registry_event:{row.id}",
                  detail={"event_id": row.key, "kind": row.kind, "person_id": row.person_id})
    events.deliver_after_commit([row])
