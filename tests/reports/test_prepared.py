"""Figure statements built once for each shape (reports.indicators.prepared) give each
scope and period its own figures: the same as a statement built for that request."""

from datetime import date

import pytest

from accounts.models import User
from core.db import db
from groups.models import Group
from reports import charts
from reports.indicators import prepared
from reports.indicators.all_sections import compute
from reports.indicators.scope import Scope
from reports.periods import Period
from tests.conftest import HUE, NGHE_AN
from tests.reports import world as world_module

MARCH = Period.containing("month", date(2025, 3, 14))
TODAY = date(2025, 4, 15)
PERIODS = (
    MARCH,
    MARCH.previous(),
    Period.containing("quarter", MARCH.start),
    Period.custom(date(2025, 3, 5), date(2025, 3, 20)),
    Period.custom(date(2025, 2, 10), date(2025, 3, 9)),
)


@pytest.fixture
def world(app, make_user, make_group, make_member, make_meeting):
    return world_module.build(app, make_user, make_group, make_member, make_meeting)


def scopes(world):
    admin = db.session.get(User, world.admin.id)
    a, d = (db.session.get(Group, g.id) for g in (world.groups.a, world.groups.d))
    return [
        Scope(admin),
        Scope(admin, province_code=HUE),
        Scope(admin, province_code=NGHE_AN),
        Scope(admin, provinces=(HUE,)),
        Scope(admin, provinces=(NGHE_AN, HUE)),
        Scope(admin, commune_code=a.commune_code),
        Scope(admin, commune_code=d.commune_code),
        Scope(admin, group_id=a.id),
        Scope(admin, group_id=d.id),
        Scope(db.session.get(User, world.coordinator.id)),
        Scope(db.session.get(User, world.other.id)),
        Scope(db.session.get(User, world.coordinator.id), group_id=world.groups.b.id),
        Scope(db.session.get(User, world.facilitator.id)),
    ]


def figures(scope, period):
    """The figures, the attendance chart and the drill-down rows of a page."""
    kids = [(c.key, c.sums) for c in charts.children(scope, period, TODAY)]
    return {
        **compute(scope, period, TODAY),
        "chart": charts.attendance_by_month(scope, period),
        "children": kids,
    }


def test_a_kept_statement_gives_each_scope_and_period_its_own_figures(app, world):
    with app.app_context():
        fresh = {}
        for i, scope in enumerate(scopes(world)):
            for period in PERIODS:
                prepared.forget()  # built for this request alone
                fresh[i, period] = figures(scope, period)
        kept = {}
        for i, scope in enumerate(scopes(world)):  # built once, for the first of a shape
            for period in PERIODS:
                kept[i, period] = figures(scope, period)
        assert kept == fresh
        # Not all alike: the scopes and periods do differ.
        assert len({repr(sorted(f.items(), key=str)) for f in fresh.values()}) > 10
        assert fresh[1, MARCH]["disbursed_vnd"] == 3_000_000
        assert fresh[2, MARCH]["disbursed_vnd"] == 4_000_000
