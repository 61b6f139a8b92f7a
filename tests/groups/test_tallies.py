"""Meeting tallies (present_count, marked_count): written with the attendance, whatever
writes it. tests/conftest.py checks every meeting after every test as well; these say
what the numbers are."""

from datetime import date

from sqlalchemy import select, update

from accounts.models import Role
from core.db import db
from groups.meeting_models import Meeting
from tests.conftest import login, stale_tallies
from tests.groups.helpers import meeting_data, version_in
from tests.imports.test_imports import checked
from tests.imports.test_readers import xlsx

MARCH_3 = date(2025, 3, 3)


def tallies(app) -> dict[date, tuple[int, int]]:
    with app.app_context():
        return {
            held_on: (present, marked)
            for held_on, present, marked in db.session.execute(
                select(Meeting.held_on, Meeting.present_count, Meeting.marked_count)
            )
        }


def test_recording_then_correcting_a_meeting_sets_its_tallies(
    app, client, facilitator_group, make_member
):
    group = facilitator_group.group
    lan, an, anh = (make_member(group, full_name=n) for n in ("Lan", "An", "Ánh"))
    response = client.post(
        f"/groups/{group.id}/meetings/new",
        data=meeting_data(MARCH_3, {lan.id: "present", an.id: "absent", anh.id: "present"}),
    )
    assert response.status_code == 302
    assert tallies(app) == {MARCH_3: (2, 3)}

    url = response.headers["Location"] + "/edit"
    version = version_in(client.get(url).get_data(as_text=True))
    corrected = client.post(
        url,
        data=meeting_data(
            MARCH_3, {lan.id: "excused", an.id: "absent", anh.id: "present"}, version=version
        ),
    )
    assert corrected.status_code == 302
    assert tallies(app) == {MARCH_3: (1, 3)}


def test_an_attendance_import_adds_to_new_and_existing_meetings(
    app, client, make_user, make_group, make_member, make_meeting
):
    facilitator = make_user(Role.FACILITATOR)
    group = make_group(facilitators=[facilitator])
    mai = make_member(group, full_name="Trần Thị Mai")
    make_meeting(group, date(2025, 1, 6), {mai.id: "absent"})
    # Joined on the meeting's day but added after it: unmarked there until the import.
    lan = make_member(group, full_name="Lê Thị Lan", joined_on=date(2025, 1, 6))
    login(client, facilitator)
    rows = [
        ["Nhóm", "Mã thành viên", "Họ và tên", "Ngày họp", "Có mặt"],
        [group.code, lan.code, "", "06/01/2025", "x"],
        [group.code, mai.code, "", "13/01/2025", "x"],
        [group.code, lan.code, "", "13/01/2025", "phép"],
    ]
    batch = checked(client, app, xlsx(rows), kind="attendance", filename="diem-danh.xlsx")
    assert batch.summary_dict["counts"]["new"] == 3
    client.post(f"/imports/{batch.id}/import")
    assert tallies(app) == {date(2025, 1, 6): (1, 2), date(2025, 1, 13): (1, 2)}


def test_the_check_after_every_test_finds_a_stale_tally(app, make_group, make_member, make_meeting):
    group = make_group()
    make_member(group)
    meeting = make_meeting(group, MARCH_3)
    with app.app_context():
        assert stale_tallies() == []
        db.session.execute(update(Meeting).where(Meeting.id == meeting.id).values(present_count=0))
        assert stale_tallies() == [meeting.id]
        db.session.rollback()
