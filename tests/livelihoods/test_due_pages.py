"""The due list shows every open visit, page by page: none is cut off silently."""

import re
from datetime import timedelta

from sqlalchemy import insert

from accounts.models import Role
from core.clock import today
from core.db import db
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus
from livelihoods.views import DUE_PER_PAGE
from tests.conftest import HUE


def test_every_overdue_visit_is_reachable_page_by_page(
    app, client, login_as, make_group, make_member
):
    login_as(Role.COORDINATOR, provinces=(HUE,))
    group = make_group(HUE)
    member = make_member(group)
    total = DUE_PER_PAGE + 7
    with app.app_context():
        db.session.execute(
            insert(FollowUp),
            [
                dict(
                    kind=FollowUpKind.HOME_VISIT,
                    source_key=f"home:{member.id}:{i}",
                    member_id=member.id,
                    source_on=today() - timedelta(days=30 + i),
                    due_on=today() - timedelta(days=20 + i),
                    status=FollowUpStatus.SCHEDULED,
                )
                for i in range(total)
            ],
        )
        db.session.commit()
    seen = set()
    for number in (1, 2):
        page = client.get(f"/due?page={number}").get_data(as_text=True)
        seen |= set(re.findall(r'href="/follow-ups/(\d+)/visit"', page))
        assert f"{total}" in page  # the count of all of them, on every page
    assert len(seen) == total
    # Past the last page: the last page, not an error.
    assert client.get("/due?page=99").status_code in (200, 404)
