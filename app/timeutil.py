"""Server time: one function so that every stored timestamp is naive UTC."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, as naive UTC (what SQLite and PostgreSQL columns without time zone hold)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_today():
    """Today's date in China (UTC+8), for dates a user reads as calendar days (a step's completion day)."""
    from datetime import timedelta
    return (utcnow() + timedelta(hours=8)).date()
