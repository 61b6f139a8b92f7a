"""Issue 22 (the CLI keeps the window every form keeps): `flask scheduler run-job NAME
--today DAY` runs a job for a day that has come, in Viet Nam. A day still to come would
send its reminders early and claim the day, so the scheduler would skip it when it
comes; a day before the programme, or year 1 and 9999, is a typing mistake (and year
9999 overflowed the sweep's sums into a traceback)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import today
from core.db import db
from core.jobs import JobRun
from core.scheduler import JOBS
from inbox.models import Notification


def _rows(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(JobRun)),
            db.session.scalar(select(func.count()).select_from(Notification)),
        )


def _days():
    ahead = today() + timedelta(days=1)
    return [
        (ahead.isoformat(), ahead.strftime("%d/%m/%Y")),
        ("9999-12-31", "31/12/9999"),
        ("0001-01-01", "01/01/1 "),  # as Babel writes year 1
        ("2014-12-31", "31/12/2014"),  # the tests' programme began in 2015
    ]


@pytest.mark.parametrize("job", [job.id for job in JOBS])
@pytest.mark.parametrize("index", range(4))
def test_a_day_outside_the_window_is_refused_and_nothing_runs(app, runner, job, index):
    value, shown = _days()[index]
    result = runner.invoke(args=["scheduler", "run-job", job, "--today", value])
    assert result.exit_code == 2, result.output
    assert "--today" in result.output and shown in result.output, result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert _rows(app) == (0, 0)


def test_today_and_a_day_gone_run(app, runner):
    for day in (today(), today() - timedelta(days=30)):
        args = ["scheduler", "run-job", "followups.sweep", "--today", day.isoformat()]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        assert f"followups.sweep {day.isoformat()}:" in result.output
    assert _rows(app)[0] == 2
