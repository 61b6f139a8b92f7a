"""Local fixtures for the groups tests: a logged-in facilitator with a Huế group."""

from types import SimpleNamespace

import pytest

from accounts.models import Role
from core.db import db
from groups.models import Member
from groups.services import members as member_services
from tests.groups.helpers import NOBODY


@pytest.fixture
def facilitator_group(login_as, make_group):
    """Log the client in as a facilitator and give them a weekly Huế group (Mondays)."""
    user = login_as(Role.FACILITATOR)
    group = make_group(facilitators=[user], name="Nhóm Thôn Đông")
    return SimpleNamespace(user=user, group=group)


@pytest.fixture
def leave(app):
    """End a member's current membership on a date (committed)."""

    def do(member, on, reason=None):
        with app.app_context():
            row = db.session.get(Member, member.id)
            member_services.leave_group(NOBODY, row, on=on, reason=reason)
            db.session.commit()

    return do
