"""Dates at the ends of the calendar in every query-string filter of every page (R4).

`/audit?start=0001-01-01` and `?end=9999-12-31` answered 500: the audit viewer read its
dates with its own field, unbounded, then turned them into instants the database or
Python could not hold. Every page and file that lists things (the targets of
tests/test_bad_input.py, which fails when a list is added without one) gets every date
parameter name any of them reads, with each extreme value: never a 5xx.
"""

import pytest

from accounts.models import Role
from tests import test_bad_input
from tests.conftest import login

world = test_bad_input.world
DAY_NAMES = ("from", "to", "start", "end", "on", "day")
EXTREME_DAYS = ("0001-01-01", "9999-12-31", "0000-01-01", "10000-01-01")
EXTREME_MONTHS = ("0001-01", "9999-12", "0000-00", "10000-01")


def get_targets(w) -> dict:
    return {
        **test_bad_input.query_lists(w),
        **test_bad_input.export_lists(w),
        **test_bad_input.support_pages(w),
    }


def queries():
    """Each name alone (a refusal of one must not hide another), and the periods' pairs."""
    for value in EXTREME_DAYS:
        for name in DAY_NAMES:
            yield {name: value}
        for period in ("custom", "month", "year"):
            yield {"period": period, "start": value, "end": value, "on": value}
    yield {"period": "custom", "start": "0001-01-01", "end": "9999-12-31"}
    yield {"from": "0001-01-01", "to": "9999-12-31"}
    yield {"start": "0001-01-01", "end": "9999-12-31"}
    for value in EXTREME_MONTHS:
        yield {"month": value}


def test_every_date_filter_takes_the_ends_of_the_calendar(app, world):
    failures = []
    for name, (user, url, _fields) in get_targets(world).items():
        client = world.as_(user)
        for query in queries():
            response = client.get(url, query_string=query)
            if response.status_code >= 500:
                failures.append((name, query, response.status_code))
    assert not failures


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "0001-01-01"}, "Ngày không được trước"),
        ({"end": "9999-12-31"}, "Ngày không được sau hôm nay"),
        ({"start": "1999-12-31", "end": "2999-01-01"}, "Ngày không được trước"),
        ({"start": "2026-02-30"}, "Ngày không hợp lệ"),
    ],
)
def test_the_audit_viewer_says_what_is_wrong_with_a_date(app, client, make_user, query, message):
    login(client, make_user(Role.ADMIN))
    response = client.get("/audit", query_string=query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_the_audit_viewer_takes_the_programme_window(app, client, make_user):
    login(client, make_user(Role.ADMIN))
    with app.app_context():
        from core.clock import today
        from core.dates import first_day

        start, end = first_day().isoformat(), today().isoformat()
    response = client.get("/audit", query_string={"start": start, "end": end})
    assert response.status_code == 200
