"""Claims that make scheduled jobs run once per period, whatever runs them."""

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, utcnow


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("job_id", "period"),)


def claim(job_id: str, period: str) -> bool:
    """Claim (job, period) inside the current transaction; False if already claimed.

    The claim commits with the job's work, or rolls back with it: a failed run can be
    run again, and a second process waits for the first and then finds the claim.
    """
    try:
        with db.session.begin_nested():
            db.session.add(JobRun(job_id=job_id, period=period))
    except IntegrityError:
        return False
    return True
