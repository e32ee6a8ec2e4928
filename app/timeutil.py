"""Server time: one function so that every stored timestamp is naive UTC."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, as naive UTC (what SQLite and PostgreSQL columns without time zone hold)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
