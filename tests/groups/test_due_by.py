"""A group's kept meeting_due_by: every writer moves it, and "overdue today" reads it."""

import random
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.db import db
from core.errors import DomainError
from groups.meeting_models import Meeting, MeetingKind
from groups.models import Cadence, Group, GroupStatus
from groups.services import groups as group_services
from groups.services import meetings as meeting_services
from groups.services import schedule
from groups.services.figures import last_regular_meetings

ADMIN = SimpleNamespace(id=None, role=Role.ADMIN, covers_province=lambda code: True)
FOUNDED = date(2025, 1, 6)


def due_by(app, group) -> date | None:
    with app.app_context():
        return db.session.scalar(select(Group.meeting_due_by).where(Group.id == group.id))


def change_group(app, group, **changes) -> None:
    """Save the group through update_group with some of its details changed."""
    with app.app_context():
        row = db.session.get(Group, group.id)
        values = dict(
            name=row.name,
            province_code=row.province_code,
            commune_code=row.commune_code,
            village=row.village,
            founded_on=row.founded_on,
            status=row.status,
            cadence=row.cadence,
            meeting_weekday=row.meeting_weekday,
            partner=row.partner,
            closed_on=row.closed_on,
        )
        values.update(changes)
        group_services.update_group(ADMIN, row, version=row.version, **values)
        db.session.commit()


def change_meeting(app, meeting, *, held_on: date, kind: MeetingKind = MeetingKind.REGULAR):
    with app.app_context():
        row = db.session.get(Meeting, meeting.id)
        meeting_services.update_meeting(
            ADMIN,
            row,
            version=row.version,
            held_on=held_on,
            kind=kind,
            topics=None,
            decisions=None,
            marks={a.member_id: a.status for a in row.attendance},
            today=held_on,
        )
        db.session.commit()


def test_a_new_active_group_is_due_one_cadence_and_the_grace_after_its_founding(app, make_group):
    weekly = make_group(founded_on=FOUNDED, cadence=Cadence.WEEKLY)
    fortnightly = make_group(founded_on=FOUNDED, cadence=Cadence.FORTNIGHTLY)
    monthly = make_group(founded_on=FOUNDED, cadence=Cadence.MONTHLY)
    forming = make_group(founded_on=FOUNDED, status=GroupStatus.FORMING)
    assert due_by(app, weekly) == FOUNDED + timedelta(days=7 + 3)
    assert due_by(app, fortnightly) == FOUNDED + timedelta(days=14 + 3)
    assert due_by(app, monthly) == FOUNDED + timedelta(days=31 + 3)
    assert due_by(app, forming) is None


def test_recording_a_meeting_moves_the_day(app, make_group, make_meeting):
    group = make_group(founded_on=FOUNDED)
    make_meeting(group, date(2025, 3, 3))
    assert due_by(app, group) == date(2025, 3, 13)


def test_a_late_recorded_older_meeting_does_not_move_the_day(app, make_group, make_meeting):
    group = make_group(founded_on=FOUNDED)
    make_meeting(group, date(2025, 3, 3))
    make_meeting(group, date(2025, 2, 24))
    assert due_by(app, group) == date(2025, 3, 13)


def test_only_regular_meetings_move_the_day(app, make_group, make_meeting):
    group = make_group(founded_on=FOUNDED)
    make_meeting(group, date(2025, 3, 3), kind=MeetingKind.TRAINING)
    assert due_by(app, group) == FOUNDED + timedelta(days=10)


def test_editing_a_meetings_date_or_kind_recomputes_the_day(app, make_group, make_meeting):
    group = make_group(founded_on=FOUNDED)
    earlier = make_meeting(group, date(2025, 2, 24))
    latest = make_meeting(group, date(2025, 3, 3))
    change_meeting(app, latest, held_on=date(2025, 3, 10))
    assert due_by(app, group) == date(2025, 3, 20)
    # Corrected back to before the other meeting: that one is now the latest.
    change_meeting(app, latest, held_on=date(2025, 2, 17))
    assert due_by(app, group) == date(2025, 3, 6)
    change_meeting(app, earlier, held_on=date(2025, 2, 24), kind=MeetingKind.EXTRA)
    assert due_by(app, group) == date(2025, 2, 27)


def test_pausing_or_closing_clears_the_day_and_reopening_sets_it(app, make_group, make_meeting):
    group = make_group(founded_on=FOUNDED)
    make_meeting(group, date(2025, 3, 3))
    change_group(app, group, status=GroupStatus.PAUSED)
    assert due_by(app, group) is None
    change_group(app, group, status=GroupStatus.ACTIVE)
    assert due_by(app, group) == date(2025, 3, 13)
    change_group(app, group, status=GroupStatus.CLOSED, closed_on=date(2025, 3, 4))
    assert due_by(app, group) is None
    change_group(app, group, status=GroupStatus.ACTIVE)
    assert due_by(app, group) == date(2025, 3, 13)


def test_a_cadence_or_founding_day_change_recomputes_the_day(app, make_group, make_meeting):
    group = make_group(founded_on=FOUNDED)
    change_group(app, group, founded_on=date(2025, 1, 13))
    assert due_by(app, group) == date(2025, 1, 23)
    make_meeting(group, date(2025, 3, 3))
    change_group(app, group, cadence=Cadence.MONTHLY)
    assert due_by(app, group) == date(2025, 3, 3) + timedelta(days=31 + 3)
    change_group(app, group, cadence=Cadence.FORTNIGHTLY)
    assert due_by(app, group) == date(2025, 3, 20)


def test_recording_a_meeting_leaves_an_open_edit_of_the_group_valid(app, make_group, make_meeting):
    group = make_group(founded_on=FOUNDED)
    with app.app_context():
        version = db.session.get(Group, group.id).version
    make_meeting(group, date(2025, 3, 3))
    with app.app_context():
        assert db.session.get(Group, group.id).version == version


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_day_says_overdue_exactly_when_is_overdue_does(
    app, make_group, make_member, make_meeting, seed
):
    rng = random.Random(seed)
    groups = []
    for _ in range(8):
        founded = FOUNDED + timedelta(days=rng.randrange(60))
        group = make_group(
            founded_on=founded,
            cadence=rng.choice(list(Cadence)),
            status=rng.choice([GroupStatus.ACTIVE] * 3 + [GroupStatus.PAUSED]),
            meeting_weekday=rng.randrange(7),
        )
        make_member(group, joined_on=founded)
        for _ in range(rng.randrange(4)):
            day = founded + timedelta(days=rng.randrange(120))
            kind = rng.choice([MeetingKind.REGULAR, MeetingKind.REGULAR, MeetingKind.TRAINING])
            try:
                make_meeting(group, day, kind=kind)
            except DomainError:  # the same day and kind drawn twice
                continue
        groups.append(group.id)
    with app.app_context():
        rows = db.session.scalars(select(Group).where(Group.id.in_(groups))).all()
        last = last_regular_meetings(groups)
        for offset in range(0, 200, 3):
            day = FOUNDED + timedelta(days=offset)
            by_hand = {g.id for g in rows if schedule.is_overdue(g, last.get(g.id), day)}
            kept = set(
                db.session.scalars(
                    select(Group.id).where(Group.id.in_(groups), schedule.due_by_passed(day))
                )
            )
            assert kept == by_hand, day
