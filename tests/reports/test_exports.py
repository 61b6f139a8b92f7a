"""Exports: what each role gets, in Vietnamese, with codes; names only with a reason."""

import csv
import io
from datetime import date, timedelta
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import select, update

from accounts.models import Role
from core.audit import AuditEvent
from core.db import db
from groups.models import Commune, Group
from tests.conftest import HUE, NGHE_AN, login

MARCH = date(2025, 3, 3)


@pytest.fixture
def scene(app, make_user, make_group, make_member, make_meeting):
    return build_scene(make_user, make_group, make_member, make_meeting)


def build_scene(make_user, make_group, make_member, make_meeting):
    """A Huế group (two members, two March meetings) and a Nghệ An group (one member)."""
    users = {
        "admin": make_user(Role.ADMIN),
        "hue": make_user(Role.COORDINATOR, username="coord.hue"),
        "nghe_an": make_user(Role.COORDINATOR, provinces=(NGHE_AN,), username="coord.na"),
        "fac_hue": make_user(Role.FACILITATOR, username="fac.hue"),
        "fac_na": make_user(Role.FACILITATOR, username="fac.na"),
        "member": make_user(Role.MEMBER),
    }
    hue = make_group(facilitators=[users["fac_hue"]])
    na = make_group(NGHE_AN, facilitators=[users["fac_na"]])
    mai = make_member(hue, full_name="Trần Thị Mai", phone="0905123456")
    lan = make_member(hue, full_name="Lê Thị Lan")
    nam = make_member(na, full_name="Lê Văn Nam")
    make_meeting(hue, MARCH, {lan.id: "absent"})
    make_meeting(hue, date(2025, 3, 10), {lan.id: "excused"})
    make_meeting(na, MARCH)
    return users, hue, na, (mai, lan, nam)


def get_as(app, user, url):
    client = app.test_client()
    login(client, user)
    return client, client.get(url)


def csv_rows(response):
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return list(book.active.iter_rows(values_only=True))


def exports_of(app, actor_id):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.actor_id == actor_id)
        ).all()


def test_members_csv_has_vietnamese_headers_and_codes_only(app, scene):
    users, hue, _na, (mai, lan, nam) = scene
    _c, response = get_as(app, users["hue"], "/exports/table?table=members&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="thanh-vien_') and ".csv" in disposition
    rows = csv_rows(response)
    assert rows[0][:5] == ["Mã thành viên", "Mã nhóm", "Tỉnh/thành phố", "Xã/phường", "Diện"]
    assert {r[0] for r in rows[1:]} == {mai.code, lan.code}  # not Nghệ An's member
    assert all(r[1] == hue.code for r in rows[1:])
    assert rows[1][4] == "Diện 2"  # the neutral label, never the wording
    assert rows[1][5] == "2025-01-06"
    body = response.data.decode("utf-8")
    assert "Trần Thị Mai" not in body and "0905123456" not in body
    # Every export is recorded, without names.
    (event,) = exports_of(app, users["hue"].id)
    assert (event.object_type, event.detail) == ("members", "rows=2")
    assert event.province_code == HUE  # so the coordinator's own audit viewer shows it


def test_members_xlsx_reads_back_with_dates_as_dates(app, scene):
    users, _hue, _na, (mai, _lan, _nam) = scene
    _c, response = get_as(app, users["admin"], "/exports/table?table=members&format=xlsx")
    assert response.status_code == 200
    rows = xlsx_rows(response)
    assert rows[0][0] == "Mã thành viên"
    assert len(rows) == 4  # the header and all three members
    mine = next(r for r in rows if r[0] == mai.code)
    assert mine[5].date() == date(2025, 1, 6)


def test_grants_money_is_numbers(app, scene):
    from tests.test_authorization import make_grants

    users, _hue, _na, (mai, _lan, _nam) = scene
    with app.app_context():
        make_grants(users["fac_hue"].id, mai.id)
    _c, response = get_as(app, users["hue"], "/exports/table?table=grants&format=xlsx")
    rows = xlsx_rows(response)
    assert rows[0][6:8] == ("Số tiền đề nghị (đồng)", "Thu nhập dự kiến mỗi tháng (đồng)")
    paid = next(r for r in rows[1:] if r[9])
    # Requested, income expected (none given), approved, paid, still to pay.
    assert paid[6:11] == (5_000_000, None, 5_000_000, 2_000_000, 3_000_000)
    _c, response = get_as(app, users["nghe_an"], "/exports/table?table=grants&format=csv")
    assert len(csv_rows(response)) == 1  # the header only


def test_payments_and_visits_of_the_period(app, scene):
    from core.clock import today
    from tests.test_authorization import make_grants

    users, _hue, _na, (mai, _lan, _nam) = scene
    with app.app_context():
        make_grants(users["fac_hue"].id, mai.id)
    end = today().isoformat()
    client, response = get_as(
        app, users["fac_hue"], f"/exports/table?table=payments&format=xlsx&to={end}"
    )
    rows = xlsx_rows(response)
    assert len(rows) == 2 and rows[1][1] == mai.code and rows[1][5] == 2_000_000
    # Visits are due up to a year ahead; a file covers at most MAX_PERIOD_DAYS.
    period = f"from={today() - timedelta(days=300)}&to={today() + timedelta(days=366)}"
    response = client.get(f"/exports/table?table=visits&format=csv&{period}")
    rows = csv_rows(response)
    assert rows[0][0] == "Mã thành viên" and len(rows) > 1
    assert all(r[0] == mai.code for r in rows[1:])


def test_attendance_rows_follow_the_groups_scope(app, scene):
    users, hue, na, (mai, lan, nam) = scene
    url = "/exports/table?table=attendance&format=csv&from=2025-03-01&to=2025-03-31"
    _c, response = get_as(app, users["fac_hue"], url)
    rows = csv_rows(response)
    assert len(rows) == 1 + 4  # two meetings × two members
    assert {r[4] for r in rows[1:]} == {mai.code, lan.code}
    assert [r[5] for r in rows[1:] if r[4] == lan.code] == ["Vắng không phép", "Vắng có phép"]
    _c, response = get_as(app, users["admin"], url)
    assert len(csv_rows(response)) == 1 + 5


def test_a_coordinator_never_gets_another_province_even_after_a_move(app, scene):
    users, hue, _na, (mai, lan, _nam) = scene
    tables = ("groups", "members", "attendance", "grants", "payments", "visits")

    def codes(user):
        found = set()
        for name in tables:
            url = f"/exports/table?table={name}&format=csv&from=2025-01-01&to=2025-12-31"
            _c, response = get_as(app, user, url)
            assert response.status_code == 200
            found |= {cell for row in csv_rows(response)[1:] for cell in row}
        return found

    assert mai.code in codes(users["hue"]) and hue.code in codes(users["hue"])
    assert mai.code not in codes(users["nghe_an"])
    # The Huế group moves to Nghệ An: its rows go with it, at once.
    with app.app_context():
        commune = db.session.scalar(
            select(Commune.code).where(Commune.province_code == NGHE_AN).order_by(Commune.code)
        )
        db.session.execute(
            update(Group)
            .where(Group.id == hue.id)
            .values(province_code=NGHE_AN, commune_code=commune)
        )
        db.session.commit()
    assert not {mai.code, lan.code, hue.code} & codes(users["hue"])
    assert {mai.code, lan.code, hue.code} <= codes(users["nghe_an"])
    # The register follows too.
    _c, response = get_as(app, users["hue"], f"/exports/register?group={hue.id}&month=2025-03")
    assert response.status_code == 403


def test_a_coordinator_cannot_filter_on_another_province(app, scene):
    users, *_ = scene
    _c, response = get_as(app, users["hue"], f"/exports/table?table=groups&province={NGHE_AN}")
    assert response.status_code == 403
    _c, response = get_as(
        app, users["hue"], f"/exports/table?table=groups&province={HUE}&format=csv"
    )
    assert response.status_code == 200


def test_register_is_members_by_meetings_like_the_paper_one(app, scene):
    users, hue, _na, (mai, lan, _nam) = scene
    client, response = get_as(
        app, users["fac_hue"], f"/exports/register?group={hue.id}&month=2025-03"
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Sổ điểm danh" in page and "03/03/2025" in page and "10/03/2025" in page
    assert "Trần Thị Mai" not in page  # codes only
    assert "month=2025-02" in page and "month=2025-04" in page  # the months around it
    group_page = client.get(f"/groups/{hue.id}").get_data(as_text=True)
    assert f"/exports/register?group={hue.id}" in group_page
    response = client.get(f"/exports/register?group={hue.id}&month=2025-03&format=xlsx")
    rows = xlsx_rows(response)
    # The meetings head their columns as dates, which no spreadsheet reads as 3 and 10
    # of other months; the CSV writes them ISO.
    assert rows[0][:2] == ("STT", "Mã thành viên")
    assert [d.date() for d in rows[0][2:4]] == [date(2025, 3, 3), date(2025, 3, 10)]
    csv_file = client.get(f"/exports/register?group={hue.id}&month=2025-03&format=csv")
    header = csv_file.get_data().decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:4] == ["STT", "Mã thành viên", "2025-03-03", "2025-03-10"]
    assert rows[0][4:] == ("Có mặt", "Vắng không phép", "Vắng có phép")
    by_code = {r[1]: r for r in rows[1:]}
    assert by_code[mai.code][2:] == ("x", "x", 2, 0, 0)
    assert by_code[lan.code][2:] == ("V", "P", 0, 1, 1)
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="so-diem-danh_{hue.code}_2025-03_'
    )


def test_register_of_a_month_without_meetings_says_so(app, scene):
    users, hue, *_ = scene
    _c, response = get_as(app, users["admin"], f"/exports/register?group={hue.id}&month=2025-05")
    assert response.status_code == 200
    assert "Tháng này chưa ghi buổi sinh hoạt nào" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/exports/register?group=abc&month=2025-03", 400, "Chọn một nhóm trong danh sách"),
        ("/exports/register?group=%D9%A1&month=2025-03", 400, "Chọn một nhóm trong danh sách"),
        ("/exports/register?group=99999999999999999999&month=2025-03", 400, "Chọn một nhóm"),
        ("/exports/register?group=2147483000&month=2025-03", 404, "Nhóm này không tồn tại"),
        ("/exports/register?month=2025-03", 400, "Chọn một nhóm"),
        ("/exports/register?group={hue}&month=2025-13", 400, "năm-tháng"),
        ("/exports/register?group={hue}&month=%D9%A2025-03", 400, "năm-tháng"),
        ("/exports/register?group={hue}&month=1999-01", 400, "Chọn một tháng"),
        ("/exports/register?group={hue}&format=pdf", 400, "Chọn loại tệp"),
        ("/exports/table?table=secrets", 400, "Chọn dữ liệu cần xuất"),
        ("/exports/table?table=members&format=doc", 400, "Chọn loại tệp"),
        ("/exports/table?table=attendance&from=2025-02-30", 400, "Ngày không hợp lệ"),
        ("/exports/table?table=members&province=%D9%A4%D9%A6", 400, "Chọn một tỉnh"),
        ("/exports/table?table=members&province=999999999999", 400, "Chọn một tỉnh"),
    ],
)
def test_bad_input_gets_a_clear_message(app, scene, url, status, message):
    users, hue, *_ = scene
    _c, response = get_as(app, users["admin"], url.format(hue=hue.id))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert exports_of(app, users["admin"].id) == []


def test_members_get_no_exports(app, scene):
    users, hue, *_ = scene
    for url in (
        "/exports",
        "/exports/table?table=members",
        f"/exports/register?group={hue.id}",
        "/exports/personal",
    ):
        _c, response = get_as(app, users["member"], url)
        assert response.status_code == 403


# Names and phones ---------------------------------------------------------------------

REASON = "Gọi mời thành viên dự tập huấn tháng 4"


def test_personal_export_needs_a_reason_and_the_tick(app, scene):
    users, hue, *_ = scene
    client, page = get_as(app, users["hue"], "/exports/personal")
    assert page.status_code == 200
    for data, error in (
        ({"table": "members", "format": "csv", "reason": REASON}, "Đánh dấu"),
        ({"table": "members", "format": "csv", "confirm": "y"}, "Hãy ghi lý do"),
        ({"table": "members", "format": "csv", "confirm": "y", "reason": "cần"}, "từ 15 đến 300"),
        (
            {"table": "members", "format": "html", "confirm": "y", "reason": REASON},
            "Chỉ sổ điểm danh",
        ),
        (
            {
                "table": "register",
                "format": "csv",
                "month": "2025-13",
                "confirm": "y",
                "reason": REASON,
            },
            "năm-tháng",
        ),
    ):
        response = client.post("/exports/personal", data=data)
        assert response.status_code == 200
        assert error in response.get_data(as_text=True)
        assert response.mimetype == "text/html"
    response = client.post(
        "/exports/personal",
        data={"table": "members", "format": "csv", "confirm": "y", "reason": REASON},
        csrf=False,
    )
    assert response.status_code == 400  # no CSRF token, no file
    assert exports_of(app, users["hue"].id) == []


def test_where_groups_are_too_many_to_list_their_code_is_typed(app, scene):
    users, hue, na, _members = scene
    client, response = get_as(app, users["admin"], "/exports")
    page = response.get_data(as_text=True)
    # No list of the country's groups: a text field for a code, twice (table, register).
    assert f'<option value="{hue.id}">{hue.code}</option>' not in page
    assert page.count('type="text" id="') == 2 and "HUE-N012" in page
    response = client.get(f"/exports/table?table=members&format=csv&group={hue.code.lower()}")
    assert {r[0] for r in csv_rows(response)[1:]} == {m.code for m in scene[3][:2]}
    response = client.get(f"/exports/register?group={na.code}&month=2025-03&format=csv")
    assert response.status_code == 200
    assert client.get("/exports/register?group=HUE-N999&month=2025-03").status_code == 404
    # A coordinator of one province still picks from a list; another's code is refused.
    client, response = get_as(app, users["hue"], "/exports")
    assert f'<option value="{hue.id}">{hue.code}</option>' in response.get_data(as_text=True)
    response = client.get(f"/exports/table?table=members&format=csv&group={na.code}")
    assert response.status_code == 403


def test_personal_export_by_a_typed_code_and_an_unknown_code(app, scene):
    users, hue, _na, (mai, *_rest) = scene
    client, response = get_as(app, users["admin"], "/exports/personal")
    assert 'type="text"' in response.get_data(as_text=True)  # the group field
    data = {"table": "members", "format": "csv", "confirm": "y", "reason": REASON}
    response = client.post("/exports/personal", data={**data, "group": "HUE-N999"})
    assert response.status_code == 200
    assert "Không có nhóm nào mang mã này" in response.get_data(as_text=True)
    assert exports_of(app, users["admin"].id) == []
    response = client.post("/exports/personal", data={**data, "group": hue.code})
    assert mai.code in {r[0] for r in csv_rows(response)[1:]}
    assert len(exports_of(app, users["admin"].id)) == 1


def test_personal_members_export_has_names_and_writes_one_audit_event(app, scene):
    from groups.models import ConsentPurpose, Member
    from groups.services import members as member_services

    users, hue, _na, (mai, lan, nam) = scene
    with app.app_context():
        member = db.session.get(Member, mai.id)
        member.village = "Xóm Giếng"
        member_services.record_consent(
            SimpleNamespace(id=None),
            member,
            purpose=ConsentPurpose.PHONE_CONTACT,
            provider=None,
            given_on=date(2025, 1, 6),
        )
        db.session.commit()
    client, _page = get_as(app, users["hue"], "/exports/personal")
    response = client.post(
        "/exports/personal",
        data={"table": "members", "format": "xlsx", "confirm": "y", "reason": REASON, "group": ""},
    )
    assert response.status_code == 200
    rows = xlsx_rows(response)
    assert rows[0][8:] == (
        "Họ và tên",
        "Giới tính",
        "Năm sinh",
        "Điện thoại (đồng ý nhận cuộc gọi)",
        "Thôn/xóm/tổ",
    )
    by_code = {r[0]: r for r in rows[1:]}
    assert set(by_code) == {mai.code, lan.code}
    assert by_code[mai.code][8] == "Trần Thị Mai" and by_code[mai.code][11] == "0905123456"
    assert by_code[lan.code][11] is None
    assert (by_code[mai.code][12], by_code[lan.code][12]) == ("Xóm Giếng", None)
    (event,) = exports_of(app, users["hue"].id)
    assert event.object_type == "members"
    assert event.detail == f"rows=2;filters=personal;reason={REASON}"
    assert event.ip is not None and event.at is not None
    # The CSV writes the phone so that a spreadsheet keeps its 0 (for people: the XLSX).
    response = client.post(
        "/exports/personal",
        data={"table": "members", "format": "csv", "confirm": "y", "reason": REASON, "group": ""},
    )
    by_code = {r[0]: r for r in csv.reader(io.StringIO(response.data.decode("utf-8-sig")))}
    assert by_code[mai.code][11] == "0905-123-456" and by_code[lan.code][11] == ""
    # The village finds the person: never in the file without names.
    plain = client.get("/exports/table?table=members&format=csv").data.decode("utf-8-sig")
    assert mai.code in plain and "Xóm Giếng" not in plain


def test_personal_register_has_names(app, scene):
    users, hue, _na, (mai, *_rest) = scene
    client, _page = get_as(app, users["admin"], "/exports/personal")
    response = client.post(
        "/exports/personal",
        data={
            "table": "register",
            "format": "html",
            "group": str(hue.id),
            "month": "2025-03",
            "confirm": "y",
            "reason": REASON,
        },
    )
    assert response.status_code == 200
    assert "Trần Thị Mai" in response.get_data(as_text=True)
    (event,) = exports_of(app, users["admin"].id)
    assert (event.object_type, event.group_id, event.province_code) == ("register", hue.id, HUE)
    assert event.detail.endswith(f";reason={REASON}")


def test_personal_register_of_another_province_is_refused(app, scene):
    users, _hue, na, *_ = scene
    client, _page = get_as(app, users["hue"], "/exports/personal")
    response = client.post(
        "/exports/personal",
        data={
            "table": "register",
            "format": "csv",
            "group": str(na.id),
            "month": "2025-03",
            "confirm": "y",
            "reason": REASON,
        },
    )
    assert response.status_code == 403
    assert exports_of(app, users["hue"].id) == []


def test_facilitators_cannot_export_names(app, scene):
    users, *_ = scene
    client, response = get_as(app, users["fac_hue"], "/exports/personal")
    assert response.status_code == 403
    page = client.get("/exports").get_data(as_text=True)
    assert "/exports/personal" not in page


def test_exports_page_lists_only_groups_in_scope(app, scene):
    users, hue, na, _members = scene
    _c, response = get_as(app, users["hue"], "/exports")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert hue.code in page and na.code not in page
    assert 'type="month"' in page and "/exports/personal" in page


def test_groups_xlsx_counts_members_and_dates_the_last_meeting(app, scene):
    users, hue, na, _members = scene
    _c, response = get_as(app, users["fac_hue"], "/exports/table?table=groups&format=xlsx")
    rows = xlsx_rows(response)
    assert rows[0][:2] == ("Mã nhóm", "Tên nhóm")
    assert [r[0] for r in rows[1:]] == [hue.code]  # not the other facilitator's group
    assert rows[1][6] == "Đang hoạt động"
    assert (rows[0][7], rows[1][7]) == ("Ngày nhóm ngừng hoạt động", None)  # open
    assert rows[1][11] == 2  # members now, a number
    assert rows[1][12].date() == date(2025, 3, 10)


def test_a_member_who_moves_province_moves_out_of_the_old_coordinators_files(app, scene):
    from groups.models import Member
    from groups.services import members as member_services
    from tests.test_authorization import make_grants

    users, _hue, na, (mai, _lan, _nam) = scene
    with app.app_context():
        make_grants(users["fac_hue"].id, mai.id)
    assert mai.code in member_codes(app, users["hue"], "grants")
    assert mai.code in member_codes(app, users["hue"], "visits")
    with app.app_context():
        member_services.move_member(
            SimpleNamespace(id=None),
            db.session.get(Member, mai.id),
            db.session.get(Group, na.id),
            on=date(2025, 4, 1),
        )
        db.session.commit()

    for name in ("members", "grants", "visits"):
        assert mai.code not in member_codes(app, users["hue"], name)
        assert mai.code in member_codes(app, users["nghe_an"], name)


def member_codes(app, user, name):
    """The member codes in an export (grants have the grant number first)."""
    from core.clock import today

    # Visits are due up to a year ahead; a file covers at most MAX_PERIOD_DAYS.
    period = f"from={today() - timedelta(days=300)}&to={today() + timedelta(days=366)}"
    url = f"/exports/table?table={name}&format=csv&{period}"
    _c, response = get_as(app, user, url)
    return {row[1] if name == "grants" else row[0] for row in csv_rows(response)[1:]}


def test_register_lists_who_was_in_the_group_that_month_or_has_a_mark_there(app, scene):
    """Two lists make the register's rows: the group's members that month, and whoever
    was marked at its meetings (a member of another group who came)."""
    from groups.meeting_models import Attendance, AttendanceStatus, Meeting
    from groups.models import Membership
    from reports.register import build_register

    _users, hue, _na, (mai, lan, nam) = scene
    with app.app_context():
        db.session.execute(
            update(Membership)
            .where(Membership.member_id == mai.id)
            .values(left_on=date(2025, 2, 20), left_reason="Đi làm ăn xa")
        )
        meeting = db.session.scalar(
            select(Meeting).where(Meeting.group_id == hue.id, Meeting.held_on == MARCH)
        )
        db.session.add(
            Attendance(meeting_id=meeting.id, member_id=nam.id, status=AttendanceStatus.PRESENT)
        )
        meeting.present_count += 1  # the meeting's tallies, kept with its marks
        meeting.marked_count += 1
        db.session.commit()
        group = db.session.get(Group, hue.id)
        march = [line[1] for line in build_register(group, MARCH).lines]
        april = [line[1] for line in build_register(group, date(2025, 4, 1)).lines]
    # Mai left in February but was marked in March; Nam came from Nghệ An once.
    assert sorted(march) == sorted([mai.code, lan.code, nam.code])
    assert april == [lan.code]
