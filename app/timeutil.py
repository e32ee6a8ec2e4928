"""Server time: stored timestamps are naive UTC; pages show them in the users' time zone (Beijing time)."""
from datetime import datetime, timedelta, timezone

# China keeps one offset all year; a fixed zone avoids depending on the tz database being installed.
DISPLAY_ZONE = timezone(timedelta(hours=8), "北京时间")


def utcnow() -> datetime:
    """Now, as naive UTC (what SQLite and PostgreSQL columns without time zone hold)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored naive-UTC timestamp formatted in Beijing time ('' for None); the Jinja filter ``local``."""
    if value is None:
        return ""
    return value.replace(tzinfo=timezone.utc).astimezone(DISPLAY_ZONE).strftime(fmt)


def utc_start_of_local_day(day) -> datetime:
    """The naive-UTC instant at which a Beijing calendar day begins (for filtering stored timestamps by day)."""
    return datetime.combine(day, datetime.min.time(), DISPLAY_ZONE).astimezone(timezone.utc).replace(tzinfo=None)


def local_date(value: datetime):
    """The calendar day in China of a stored naive-UTC timestamp (a step's completion day)."""
    return value.replace(tzinfo=timezone.utc).astimezone(DISPLAY_ZONE).date()


def local_today():
    """Today's date in China (UTC+8), for dates a user reads as calendar days (a step's completion day)."""
    return datetime.now(DISPLAY_ZONE).date()
