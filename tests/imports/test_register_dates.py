"""Every date column of every register keeps the window the forms keep: nothing after
today in Viet Nam, nothing before the programme began (2015 in the tests' config);
attendance never before the group was founded, before the member joined or after they
left. Each refused date is an error of its row (never written), today is accepted."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

import core.clock
from accounts.models import Role
from core.clock import today
from core.db import db
from groups.meeting_models import Attendance, Meeting
from groups.models import Group
from groups.services import members as member_services
from tests.conftest import HUE
from tests.imports.test_imports import HA_TINH, batch_of, checked, count
from tests.imports.test_readers import xlsx

MEMBERS_HEADER = ["Họ và tên", "Năm sinh", "Nhóm", "Ngày vào nhóm"]
GROUPS_HEADER = ["Tên nhóm", "Xã/Phường", "Huyện/Quận", "Tỉnh/TP", "Ngày thành lập"]
ATTENDANCE_HEADER = ["Nhóm", "Mã thành viên", "Họ và tên", "Ngày họp", "Có mặt"]


def problems(batch) -> dict:
    return {(p["code"], p["field"]): p["rows"] for p in batch.summary_dict["problems"]}


def day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, provinces=(HUE, HA_TINH))


@pytest.fixture
def group(make_group):
    return make_group(HUE, name="Nhóm Thôn Đông", founded_on=date(2025, 1, 6))


def tomorrow() -> date:
    return today() + timedelta(days=1)


# Each register kind's date columns, written three ways: (the cell, the problem or None).
def _windows():
    ahead = tomorrow()
    return [
        (day_text(today()), None),
        (day_text(ahead), "future_date"),
        (day_text(today() + timedelta(days=7)), "future_date"),  # was accepted: a week
        (ahead.isoformat(), "future_date"),
        ("12/03/2014", "before_programme"),
    ]


@pytest.mark.parametrize("index", range(5))
def test_a_groups_founding_day_keeps_the_forms_window(app, client, coordinator, index):
    written, problem = _windows()[index]
    rows = [GROUPS_HEADER, ["Nhóm Hương Sơ", "Phường Hương Sơ", "", "Thành phố Huế", written]]
    batch = checked(client, app, xlsx(rows), kind="groups", filename="nhom.xlsx")
    if problem is None:
        assert batch.summary_dict["counts"]["new"] == 1
        assert not any(p["level"] == "error" for p in batch.summary_dict["problems"])
    else:
        assert problems(batch)[(problem, "founded_on")] == [2]
        assert batch.summary_dict["counts"]["errors"] == 1
        client.post(f"/imports/{batch.id}/import")
        assert count(app, Group) == 0


@pytest.mark.parametrize("index", range(5))
def test_a_joining_day_keeps_the_forms_window(app, client, coordinator, group, index):
    written, problem = _windows()[index]
    rows = [MEMBERS_HEADER, ["Lê Thị Hồng", 1985, group.code, written]]
    batch = checked(client, app, xlsx(rows), filename="tv.xlsx")
    if problem is None:
        assert batch.summary_dict["counts"]["new"] == 1
    else:
        # A day before the programme is before this group's founding too: both are said.
        assert problems(batch)[(problem, "joined_on")] == [2]
        assert batch.summary_dict["counts"]["errors"] == 1


def _next_month() -> str:
    month, year = today().month % 12 + 1, today().year + (today().month == 12)
    return f"{month:02}/{year}"


@pytest.mark.parametrize(
    "written, problem",
    [
        (lambda: str(today().year + 1), "future_date"),  # a year not begun
        (_next_month, "future_date"),  # its 1st is after today
        (lambda: "2014", "before_programme"),
        (lambda: "05/2014", "before_programme"),
    ],
)
def test_an_approximate_joining_day_keeps_the_window(
    app, client, coordinator, make_group, written, problem
):
    make_group(HUE, name="Nhóm Cũ", founded_on=date(2015, 1, 1))
    rows = [MEMBERS_HEADER, ["Lê Thị Hồng", 1985, "Nhóm Cũ", written()]]
    batch = checked(client, app, xlsx(rows), filename="tv.xlsx")
    assert problems(batch)[(problem, "joined_on")] == [2]
    assert ("year_only", "joined_on") not in problems(batch)
    assert ("month_only", "joined_on") not in problems(batch)


def test_this_year_and_this_month_are_accepted_as_approximate(app, client, coordinator, make_group):
    make_group(HUE, name="Nhóm Cũ", founded_on=date(2015, 1, 1))
    month = f"{today().month:02}/{today().year}"
    rows = [MEMBERS_HEADER, ["Lê Thị Hồng", 1985, "Nhóm Cũ", str(today().year)]]
    rows.append(["Trần Văn Hải", 1980, "Nhóm Cũ", month])
    batch = checked(client, app, xlsx(rows), filename="tv.xlsx")
    assert batch.summary_dict["counts"]["new"] == 2
    assert problems(batch)[("year_only", "joined_on")] == [2]
    assert problems(batch)[("month_only", "joined_on")] == [3]


def attendance(group_code, member_code, day) -> list:
    return [ATTENDANCE_HEADER, [group_code, member_code, "", day, "x"]]


@pytest.mark.parametrize("index", range(5))
def test_an_attendance_day_keeps_the_forms_window(
    app, client, make_user, make_group, make_member, login_as, index
):
    """Attendance is recorded for a meeting that has happened: the forms accept a meeting
    up to a week ahead, but its marks only up to today; the import writes marks, so today."""
    written, problem = _windows()[index]
    facilitator = login_as(Role.FACILITATOR)
    group = make_group(facilitators=[facilitator], founded_on=date(2015, 1, 1))
    mai = make_member(group, joined_on=date(2015, 1, 1))
    batch = checked(
        client,
        app,
        xlsx(attendance(group.code, mai.code, written)),
        kind="attendance",
        filename="dd.xlsx",
    )
    if problem is None:
        assert batch.summary_dict["counts"]["new"] == 1
        client.post(f"/imports/{batch.id}/import")
        assert count(app, Attendance) == 1
    else:
        assert problems(batch)[(problem, "held_on")] == [2]
        client.post(f"/imports/{batch.id}/import")
        assert count(app, Attendance) == 0 and count(app, Meeting) == 0


def test_attendance_before_the_group_before_joining_and_after_leaving_is_refused(
    app, client, make_group, make_member, login_as
):
    facilitator = login_as(Role.FACILITATOR)
    group = make_group(facilitators=[facilitator], founded_on=date(2025, 1, 6))
    mai = make_member(group, full_name="Trần Thị Mai", joined_on=date(2025, 3, 3))
    lan = make_member(group, full_name="Lê Thị Lan", joined_on=date(2025, 1, 6))
    with app.app_context():
        from groups.models import Member

        member = db.session.get(Member, lan.id)
        member_services.leave_group(facilitator, member, on=date(2025, 6, 2), reason=None)
        db.session.commit()
    rows = [
        ATTENDANCE_HEADER,
        [group.code, mai.code, "", "06/01/2025", "x"],  # the group's first day, before Mai
        [group.code, mai.code, "", "03/03/2025", "x"],  # her joining day
        [group.code, lan.code, "", "01/06/2025", "x"],  # Lan's last day in the group
        [group.code, lan.code, "", "02/06/2025", "x"],  # the day she left
        [group.code, lan.code, "", "05/01/2025", "x"],  # before the group was founded
    ]
    batch = checked(client, app, xlsx(rows), kind="attendance", filename="dd.xlsx")
    found = problems(batch)
    assert found[("not_member_on_day", "held_on")] == [2, 5, 6]  # 6: before everyone
    assert found[("before_founded", "held_on")] == [6]
    assert batch.summary_dict["counts"]["new"] == 2
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        days = db.session.scalars(select(Meeting.held_on).order_by(Meeting.held_on)).all()
    assert days == [date(2025, 3, 3), date(2025, 6, 1)]


def test_the_limit_is_today_in_viet_nam_not_on_the_servers_clock(
    app, client, make_group, make_member, login_as, monkeypatch
):
    """At 18:00 UTC it is already 01:00 the next day in Viet Nam: a meeting on that Viet
    Nam day is accepted, one the day after is not."""

    class Evening(datetime):
        @classmethod
        def now(cls, tz=None):
            moment = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    monkeypatch.setattr(core.clock, "datetime", Evening)
    assert core.clock.today() == date(2026, 3, 11)
    facilitator = login_as(Role.FACILITATOR)
    group = make_group(facilitators=[facilitator], founded_on=date(2025, 1, 6))
    mai = make_member(group, joined_on=date(2025, 1, 6))
    rows = attendance(group.code, mai.code, "11/03/2026")
    rows.append([group.code, mai.code, "", "12/03/2026", "x"])
    batch = checked(client, app, xlsx(rows), kind="attendance", filename="dd.xlsx")
    assert problems(batch)[("future_date", "held_on")] == [3]
    assert batch.summary_dict["counts"]["new"] == 1
    page = client.get(f"/imports/{batch_of(app, batch.id).id}").get_data(as_text=True)
    assert "Ngày sau hôm nay" in page


def test_a_year_or_a_month_is_kept_with_its_precision_and_shown_so(
    app, client, coordinator, make_group
):
    """2019 is kept as the year 2019 (~2019), 05/2023 as that month (~05/2023), never as
    an invented 1 January or 1 May; a full date stays a date. The village comes along."""
    from groups.models import DatePrecision, Member, Membership

    make_group(HUE, name="Nhóm Cũ", founded_on=date(2018, 3, 5))
    rows = [
        ["Họ và tên", "Năm sinh", "Nhóm", "Thôn/Xóm", "Ngày vào nhóm"],
        ["Năm số", 1985, "Nhóm Cũ", "Xóm 3", 2019],
        ["Tháng", 1985, "Nhóm Cũ", "Thôn Đông", "05/2023"],
        ["Ngày đủ", 1985, "Nhóm Cũ", "không rõ", "15/08/2021"],
        ["Năm thành lập", 1985, "Nhóm Cũ", None, "2018"],  # the founding day, still ~2018
    ]
    batch = checked(client, app, xlsx(rows), filename="tv.xlsx")
    assert batch.summary_dict["counts"]["new"] == 4
    assert problems(batch)[("unknown_value", "village")] == [4]
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        kept = {
            m.full_name: (m.id, m.village, ms.joined_on, ms.joined_precision)
            for m, ms in db.session.execute(select(Member, Membership).join(Membership))
        }
    assert {name: value[1:] for name, value in kept.items()} == {
        "Năm số": ("Xóm 3", date(2019, 1, 1), DatePrecision.YEAR),
        "Tháng": ("Thôn Đông", date(2023, 5, 1), DatePrecision.MONTH),
        "Ngày đủ": (None, date(2021, 8, 15), None),
        "Năm thành lập": (None, date(2018, 3, 5), DatePrecision.YEAR),
    }
    shown = {
        name: client.get(f"/members/{value[0]}").get_data(as_text=True)
        for name, value in kept.items()
    }
    assert "từ ~2019" in shown["Năm số"] and "01/01/2019" not in shown["Năm số"]
    assert "Xóm 3" in shown["Năm số"]
    assert "từ ~05/2023" in shown["Tháng"] and "01/05/2023" not in shown["Tháng"]
    assert "từ 15/08/2021" in shown["Ngày đủ"]
    assert "từ ~2018" in shown["Năm thành lập"]
