"""Values as people meant them (issue 23): a bare year is never an Excel serial day; a
year or a month of joining is kept as its first day with a warning; "không rõ", "KR",
"-", "?" in an optional field leave it empty with a warning and the row is imported; the
category words staff write are read, and an unknown one is asked, never "community"."""

from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.db import db
from groups.models import Gender, GroupRole, Member, MemberCategory, Membership
from imports import cells
from tests.imports.registers import book, titled
from tests.imports.test_imports import HA_TINH, batch_of, checked

HEADER = ["STT", "Họ và tên", "Năm sinh", "Giới tính", "SĐT", "Nhóm", "Ngày vào nhóm"]
HEADER += ["Vai trò", "Đối tượng"]


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, provinces=(HA_TINH,))


@pytest.fixture
def group(make_group):
    return make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2018, 3, 5))


def register(rows) -> bytes:
    people = [[i, *row] for i, row in enumerate(rows, start=1)]
    return book(("Danh sách", lambda ws: titled(ws, HEADER, people)))


def row(
    name,
    joined="01/03/2023",
    *,
    year=1985,
    gender="Nữ",
    phone="0912345678",
    role="TV",
    category="NN",
    group="Nhóm Xóm Giếng",
):
    return [name, year, gender, phone, group, joined, role, category]


def imported(client, app, rows, answers=None):
    batch = checked(client, app, register(rows), filename="so.xlsx")
    if answers:
        client.post(f"/imports/{batch.id}/words", data=answers)
        batch = batch_of(app, batch.id)
    imported.page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        found = {}
        for m in db.session.scalars(select(Member)):
            joined = db.session.scalar(
                select(Membership.joined_on).where(Membership.member_id == m.id)
            )
            found[m.full_name] = (m, joined)
        db.session.expunge_all()
    return batch, found


def problems(batch) -> dict:
    return {(p["code"], p["field"]): p["rows"] for p in batch.summary_dict["problems"]}


@pytest.mark.parametrize("year", [1900, 1905, 1990, 2019, 2024, 2100])
def test_a_year_is_never_an_excel_serial_day(year):
    assert cells.day_of(year) is None and cells.day_of(float(year)) is None
    assert cells.approximate_day(year) == (date(year, 1, 1), cells.YEAR)
    assert cells.approximate_day(str(year)) == (date(year, 1, 1), cells.YEAR)


def test_serial_days_and_months_still_read():
    assert cells.day_of(44958) == date(2023, 2, 1)
    for text in ("05/2023", "5/2023", "T5/2023", "tháng 5/2023", "2023-05", "5.2023"):
        assert cells.approximate_day(text) == (date(2023, 5, 1), cells.MONTH), text
    assert cells.approximate_day("13/2023") == (None, None)
    assert cells.approximate_day("31/02/2023") == (None, None)


def test_joining_years_and_months_kept_as_first_day_with_a_warning(app, client, coordinator, group):
    rows = [
        row("Năm số", 2019),
        row("Năm chữ", "2019"),
        row("Tháng", "05/2023"),
        row("Tháng chữ", "T6/2022"),
        row("Năm thành lập", 2018),  # the group's founding year: its founding day
        row("Ngày đủ", "15/08/2021"),
    ]
    batch, found = imported(client, app, rows)
    assert batch.summary_dict["counts"]["errors"] == 0
    found = {k: v[1] for k, v in found.items()}
    assert found == {
        "Năm số": date(2019, 1, 1),
        "Năm chữ": date(2019, 1, 1),
        "Tháng": date(2023, 5, 1),
        "Tháng chữ": date(2022, 6, 1),
        "Năm thành lập": date(2018, 3, 5),
        "Ngày đủ": date(2021, 8, 15),
    }
    assert problems(batch)[("year_only", "joined_on")] == [5, 6, 9]
    assert problems(batch)[("month_only", "joined_on")] == [7, 8]
    assert all(d.year > 1905 for d in found.values())
    assert "Chỉ ghi năm" in imported.page and "Chỉ ghi tháng" in imported.page


def test_a_year_before_the_group_and_a_bad_date_are_errors(app, client, coordinator, group):
    batch, found = imported(client, app, [row("Trước", 2017), row("Sai", "31/02/2023")])
    assert problems(batch)[("before_founded", "joined_on")] == [5]
    assert problems(batch)[("bad_date", "joined_on")] == [6]
    assert found == {}


@pytest.mark.parametrize("unknown", ["không rõ", "KR", "-", "?", "k.r", "Không rõ"])
def test_not_known_in_optional_fields_is_empty_with_a_warning(
    app, client, coordinator, group, unknown
):
    rows = [
        row(
            "Lê Thị Hồng",
            unknown,
            year=unknown,
            gender=unknown,
            phone=unknown,
            role=unknown,
            category="NN",
        ),
    ]
    batch, found = imported(client, app, rows)
    assert batch.summary_dict["counts"]["errors"] == 0
    for key in ("joined_on", "birth_year", "gender", "phone", "role"):
        assert problems(batch)[("unknown_value", key)] == [5]
    member, joined = found["Lê Thị Hồng"]
    assert member.birth_year is None and member.phone is None
    assert member.gender == Gender.UNDISCLOSED
    assert joined == date(2018, 3, 5)  # no joining day: the group's founding day


def test_unreadable_optional_values_warn_and_the_row_is_imported(app, client, coordinator, group):
    rows = [row("Lê Thị Hồng", year="tám lăm", phone="12", gender="gái", role="phó")]
    batch, found = imported(client, app, rows)
    assert batch.summary_dict["counts"]["errors"] == 0
    assert {"bad_year", "bad_phone", "bad_gender", "bad_role"} <= {c for c, _ in problems(batch)}
    assert found["Lê Thị Hồng"][0].birth_year is None


@pytest.mark.parametrize(
    ("word", "category"),
    [
        ("Nạn nhân bị mua bán trở về", MemberCategory.SURVIVOR),
        ("nan nhan bi mua ban tro ve", MemberCategory.SURVIVOR),
        ("NN", MemberCategory.SURVIVOR),
        ("N.N", MemberCategory.SURVIVOR),
        ("Nạn nhân (bị mua bán)", MemberCategory.SURVIVOR),
        ("Người di cư trở về", MemberCategory.MIGRANT),
        ("DC", MemberCategory.MIGRANT),
        ("Lao động di cư", MemberCategory.MIGRANT),
        ("Cộng đồng", MemberCategory.COMMUNITY),
        ("CĐ", MemberCategory.COMMUNITY),
    ],
)
def test_category_words(app, client, coordinator, group, word, category):
    batch, found = imported(client, app, [row("Lê Thị Hồng", category=word)])
    assert found["Lê Thị Hồng"][0].category == category, batch.summary_dict


def test_an_unknown_category_word_is_asked_never_community(app, client, coordinator, group):
    rows = [row("A", category="Hộ nghèo"), row("B", category="hộ nghèo"), row("C", category="NN")]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    assert problems(batch)[("unknown_category", "category")] == [5, 6]
    (word,) = batch.summary_dict["words"]
    assert word["rows"] == 2
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert 'name="word_0"' in page
    client.post(f"/imports/{batch.id}/words", data={"word_0": "bogus"})
    assert batch_of(app, batch.id).summary_dict["counts"]["errors"] == 2
    client.post(f"/imports/{batch.id}/words", data={"word_0": "migrant"})
    batch = batch_of(app, batch.id)
    assert batch.summary_dict["counts"] == {"new": 3, "matched": 0, "warnings": 0, "errors": 0}
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        stored = dict(db.session.execute(select(Member.full_name, Member.category)).all())
    assert stored == {"A": "migrant", "B": "migrant", "C": "survivor"}


def test_roles_and_a_year_on_a_meeting_date(app, client, login_as, make_group, make_member):
    facilitator = login_as(Role.FACILITATOR)
    group = make_group(facilitators=[facilitator])
    member = make_member(group, full_name="Trần Thị Mai")
    rows = [["Nhóm", "Mã thành viên", "Ngày họp", "Có mặt"], [group.code, member.code, 2025, "x"]]
    data = book(("S", lambda ws: titled(ws, rows[0], rows[1:], signatures=False)))
    batch = checked(client, app, data, kind="attendance", filename="dd.xlsx")
    assert problems(batch)[("bad_date", "held_on")] == [5]  # a meeting needs its day
    assert GroupRole.MEMBER  # (roles are read in test_not_known_in_optional_fields…)


def test_a_file_without_a_category_column_is_asked_once_for_all_its_rows(
    app, client, coordinator, group
):
    """No silent "community": every row says it, the page asks once, and the answer is
    the category of every row."""
    header = ["STT", "Họ và tên", "Năm sinh", "Nhóm", "Ngày vào nhóm"]
    people = [[1, "Lê Thị Hồng", 1985, "Nhóm Xóm Giếng", "01/03/2023"]]
    people.append([2, "Hồ Thị Na", 1990, "Nhóm Xóm Giếng", "01/03/2023"])
    data = book(("Danh sách", lambda ws: titled(ws, header, people)))
    batch = checked(client, app, data, filename="so.xlsx")
    assert problems(batch)[("no_category_column", "category")] == [5, 6]
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Đối tượng của mọi người trong tệp" in page and 'name="file_category"' in page
    client.post(f"/imports/{batch.id}/words", data={"file_category": "survivor"})
    batch = batch_of(app, batch.id)
    assert ("no_category_column", "category") not in problems(batch)
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        kept = db.session.scalars(select(Member.category)).all()
    assert kept == [MemberCategory.SURVIVOR, MemberCategory.SURVIVOR]
