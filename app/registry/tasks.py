"""The worker's registry tasks: deliver the events a transaction just committed, and every minute
whatever is due again (retries after back-off, rows a worker left behind)."""
from app.jobs.queue import periodic, task
from app.registry import delivery


@task()
def deliver_events(event_ids: list[int]) -> None:
    """First attempt at events just written (enqueued after their transaction committed)."""
    for event_id in event_ids:
        delivery.deliver(event_id)


@periodic({"minute": "*"})
def deliver_due_events() -> None:
    """Retry what is due."""
    delivery.deliver_due()
