"""Every role around a Huế member with support records (tests/support/helpers.py)."""

import pytest

from accounts.models import Role
from tests.conftest import NGHE_AN
from tests.support.helpers import make_records


@pytest.fixture
def support_world(app, make_user, make_group, make_member):
    users = {
        "member": make_user(Role.MEMBER),
        "facilitator": make_user(Role.FACILITATOR),
        "other_facilitator": make_user(Role.FACILITATOR),
        "coordinator": make_user(Role.COORDINATOR),  # Huế
        "other_coordinator": make_user(Role.COORDINATOR, provinces=(NGHE_AN,)),
        "admin": make_user(Role.ADMIN),
    }
    group = make_group(facilitators=[users["facilitator"]])
    other_group = make_group(NGHE_AN, facilitators=[users["other_facilitator"]])
    member = make_member(group)
    with app.app_context():
        ids = make_records(users["facilitator"].id, member.id)
    return users, {"member": member.id, "group": group.id, "other_group": other_group.id, **ids}
