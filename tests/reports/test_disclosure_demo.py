"""The demo, as its coordinator downloads it (issue 21): the attack of
tests/reports/attacker.py over every set of the coordinator's four provinces and the
last two whole months and the range over both (six months and their ranges with
DISCLOSURE_ATTACK=full: bench/disclosure_attack.py), on the demo's own data. No "<5"
anywhere; no amount, share or median over fewer than the threshold of values (the demo
had 88); an amount is labelled đồng, never a number; nothing recovered by differencing."""

import os
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from accounts.models import User
from core.clock import today
from core.db import db
from demo.data import DEMO_PASSWORD
from groups.models import Group
from reports.periods import Period
from reports.suppression import protection
from tests.reports import attacker


def test_the_demo_publishes_no_false_statement_and_no_statistic_over_too_few(app, client, runner):
    assert runner.invoke(args=["demo", "--no-serve"]).exit_code == 0
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "coordinator"))
        provinces = tuple(sorted(user.province_codes))
        groups = dict(
            db.session.execute(
                select(Group.id, Group.province_code).where(Group.province_code.in_(provinces))
            ).all()
        )
        coordinator = SimpleNamespace(id=user.id, username=user.username, password=DEMO_PASSWORD)
        how = protection()
    months = 6 if os.environ.get("DISCLOSURE_ATTACK") == "full" else 2
    first = Period.containing("month", today()).start
    for _ in range(months):
        first = Period.containing("month", first - timedelta(days=1)).start
    variant = attacker.Variant(provinces=provinces, months=months, first=first, groups=False)
    reading = attacker.read_everything(app, client, coordinator, None, groups, variant)
    texts = [b for b in reading.bodies if not b.startswith(b"PK")]
    assert not [b for b in texts if b"<5" in b or b"&lt;5" in b]
    assert attacker.statistics_over_too_few(reading, how.threshold, how.amount_base) == []
    hidden = sum(v == "[c]" for values in reading.published.values() for v in values.values())
    assert hidden > 0, "the demo has statistics over too few values: they must be hidden"
    outcome = attacker.attack(reading, how.base)
    assert outcome.small > 0
    assert outcome.recovered == [] and outcome.inconsistent == [] and outcome.off_grid == []
