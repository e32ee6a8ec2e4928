"""The worker's daily reminder task (08:00 Beijing time)."""
from app.deadlines import reminders
from app.jobs.queue import periodic
from app.timeutil import local_today


@periodic({"hour": "0", "minute": "0"})  # huey's crontab in UTC (utc=True): 08:00 in Beijing
def send_deadline_reminders() -> None:
    """One SMS per deadline due within a week or overdue, sent once."""
    reminders.send_due(local_today())
