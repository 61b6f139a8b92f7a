"""Issue 25, bad input: a submission key that is not this sending's to use.

A key claimed by another person, this person's key sent to another group's form, a key
that is not one the app draws, a body replayed after the group was closed: each gets a
clear answer, nothing is written twice, never a 500.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import today
from core.db import db
from core.submissions import new_key
from groups.meeting_models import Meeting
from groups.models import GroupStatus, Member
from tests.conftest import HUE, login
from tests.core.test_offline import meeting_form
from tests.test_bad_input import group_forms, world  # noqa: F401 - the fixture, shared
from tests.test_submissions import plausible


def count(app, model, **where) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        found = db.session.scalar(stmt)
        db.session.rollback()
        return found


def test_a_key_another_person_used_is_refused_and_says_nothing_of_their_record(
    app,
    world,  # noqa: F811
    make_user,
):
    user, url, fields = group_forms(world)["create_member"]
    first = world.as_(user)
    key = new_key()
    saved = first.post(url, data=plausible(fields, key, first.csrf_token()), csrf=False)
    assert saved.status_code == 302
    before = count(app, Member)

    # Another facilitator of the same group sends a form carrying that key.
    other = make_user(world.facilitator.role, username="nguoikhac")
    with app.app_context():
        from groups.models import Group, group_facilitators

        db.session.execute(
            group_facilitators.insert().values(group_id=world.group.id, user_id=other.id)
        )
        db.session.commit()
        assert db.session.get(Group, world.group.id) is not None
    client = app.test_client()
    login(client, other)
    data = plausible(fields, key, client.csrf_token())
    data["full_name"] = "Phạm Văn Khác"
    answer = client.post(url, data=data, csrf=False)
    assert answer.status_code == 409
    page = answer.get_data(as_text=True)
    assert "khóa của một phiếu khác" in page  # said in Vietnamese, in the app's look
    assert f'href="{saved.location}"' not in page  # nothing said of where the first one led
    assert count(app, Member) == before


def test_a_key_sent_to_another_groups_form_is_refused(app, world, make_group):  # noqa: F811
    client = world.as_(world.facilitator)
    second = make_group(HUE, facilitators=[world.facilitator], name="Nhóm Thứ Hai")
    day = (today() - timedelta(days=1)).isoformat()
    data = meeting_form(client, world.group.id, held_on=day)
    first = client.post(f"/groups/{world.group.id}/meetings/new", data=data, csrf=False)
    assert first.status_code == 302
    replayed = client.post(f"/groups/{second.id}/meetings/new", data=data, csrf=False)
    assert replayed.status_code == 409
    assert "khóa của một phiếu khác" in replayed.get_data(as_text=True)
    assert count(app, Meeting, group_id=second.id) == 0
    assert count(app, Meeting, group_id=world.group.id) == 2  # the world's and this one
    # The same form sent again is still answered with the meeting it made.
    again = client.post(f"/groups/{world.group.id}/meetings/new", data=data, csrf=False)
    assert again.status_code == 303 and again.location == first.location


@pytest.mark.parametrize(
    "key", ["abc", "x" * 65, "../../etc/passwd", "ключ-ключ-ключ-ключ", "a b c d e f g h i j k l"]
)
def test_a_malformed_key_is_refused_with_the_form_as_typed_and_a_fresh_key(app, world, key):  # noqa: F811
    user, url, fields = group_forms(world)["create_member"]
    client = world.as_(user)
    before = count(app, Member)
    data = plausible(fields, key, client.csrf_token())
    data["full_name"] = "Đỗ Thị Gấm"
    answer = client.post(url, data=data, csrf=False)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Phiếu bị hỏng trên đường gửi" in page and "Đỗ Thị Gấm" in page
    assert count(app, Member) == before
    fresh = re.search(r'name="submission"[^>]*value="([^"]+)"', page).group(1)
    assert fresh != key and re.fullmatch(r"[A-Za-z0-9_-]{16,64}", fresh)
    data["submission"] = fresh
    assert client.post(url, data=data, csrf=False).status_code == 302
    assert count(app, Member) == before + 1


def test_a_body_replayed_after_the_group_was_closed(app, world):  # noqa: F811
    client = world.as_(world.facilitator)
    url = f"/groups/{world.group.id}/meetings/new"
    day = (today() - timedelta(days=1)).isoformat()
    saved = meeting_form(client, world.group.id, held_on=day, topics="Buổi cuối")
    unsent = {**saved, "held_on": (today() - timedelta(days=2)).isoformat()}
    unsent["submission"] = new_key()
    first = client.post(url, data=saved, csrf=False)
    assert first.status_code == 302
    with app.app_context():
        from groups.models import Group

        group = db.session.get(Group, world.group.id)
        group.status, group.closed_on, group.meeting_due_by = GroupStatus.CLOSED, today(), None
        db.session.commit()
    before = count(app, Meeting)
    # The saved one, sent again: answered with the meeting it made, nothing twice.
    again = client.post(url, data=saved, csrf=False)
    assert again.status_code == 303 and again.location == first.location
    # One never sent, replayed now: refused in words, nothing written.
    late = client.post(url, data=unsent, csrf=False)
    assert late.status_code in (403, 409), late.status_code
    assert 'class="error' in late.get_data(as_text=True) or "<h1>" in late.get_data(as_text=True)
    assert count(app, Meeting) == before
