"""Today in Viet Nam: dates people enter are local dates, timestamps are stored in UTC."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> date:
    return datetime.now(VIETNAM).date()


def day_of(moment: datetime) -> date:
    """The day in Viet Nam of a stored UTC moment (naive ones, as SQLite gives them back,
    are UTC)."""
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(VIETNAM).date()
