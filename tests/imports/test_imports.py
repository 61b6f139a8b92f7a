"""Bringing registers in: the dry run, places asked once, the import, re-uploads, expiry,
who may import what, and bad files (a clear message, nothing written, never a 500)."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

import core.clock
from accounts.models import Role
from core.audit import AuditEvent
from core.db import db
from groups.meeting_models import Attendance, Meeting
from groups.models import Group, Member
from imports.models import BatchStatus, ImportBatch, ImportMapping, ImportRow
from tests.conftest import HUE, NGHE_AN, login
from tests.imports import crafted
from tests.imports.test_readers import cp1258, xlsx

HA_TINH = 42
DAI_NAI = (18073, 18652)  # Phường Đại Nài (Hà Tĩnh) was split between these two

MEMBERS = [
    [
        "Họ và tên",
        "Năm sinh",
        "Giới tính",
        "Số điện thoại",
        "Nhóm",
        "Xã/Phường",
        "Huyện/Quận",
        "Tỉnh/TP",
        "Ngày tham gia",
    ],
    [
        "Lê Thị Hồng",
        "1985",
        "Nữ",
        "912345678",
        "Nhóm Phú Hội",
        "P. Phú Hội",
        "TP Huế",
        "Thừa Thiên Huế",
        "01/02/2023",
    ],
    [
        "Phan Văn Đức",
        "1979.0",
        "Nam",
        "+84 387 654 321",
        "Nhóm Phú Hội",
        "P. Phú Hội",
        "TP Huế",
        "Thừa Thiên Huế",
        "44958",
    ],
    [
        "Trần Thị Lan",
        "1990",
        "Nữ",
        "",
        "Nhóm Đại Nài",
        "Phường Đại Nài",
        "TP Hà Tĩnh",
        "Hà Tĩnh",
        "03/03/2023",
    ],
    [
        "Hồ Thị Na",
        "1992",
        "Nữ",
        "",
        "Nhóm Đại Nài",
        "Phường Đại Nài",
        "TP Hà Tĩnh",
        "Hà Tĩnh",
        "03/03/2023",
    ],
    [
        "Nguyễn Văn Bình",
        "1988",
        "Nam",
        "12",
        "Nhóm Diễn Lâm",
        "X. Diễn Lâm",
        "H. Diễn Châu",
        "Nghệ An",
        "31/02/2023",
    ],
]


def to_csv(rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return cp1258(out.getvalue()) if encoding == "cp1258" else out.getvalue().encode(encoding)


def upload(client, data: bytes, *, kind="members", filename="so-thanh-vien.csv"):
    return client.post(
        "/imports",
        data={"kind": kind, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def batch_of(app, batch_id=None) -> ImportBatch:
    with app.app_context():
        # With its plans (deferred: large), to read once detached.
        stmt = select(ImportBatch).options(undefer(ImportBatch.plans))
        stmt = stmt.order_by(ImportBatch.id.desc())
        if batch_id:
            stmt = stmt.where(ImportBatch.id == batch_id)
        batch = db.session.scalar(stmt)
        db.session.expunge(batch)
        return batch


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, provinces=(HUE, HA_TINH, NGHE_AN))


def checked(client, app, data, **kwargs):
    response = upload(client, data, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return batch_of(app, batch_id)


def confirmed(client, app, data, **kwargs):
    """Checked, then every group the file names and the app has not is confirmed to create
    (the person's explicit choice in the dry run: usability F2)."""
    batch = checked(client, app, data, **kwargs)
    unknown = batch.summary_dict["groups"]["unknown"]
    if unknown:
        answers = {f"unknown_{i}": "new" for i in range(len(unknown))}
        assert client.post(f"/imports/{batch.id}/groups", data=answers).status_code == 302
    return batch_of(app, batch.id)


def test_dry_run_counts_groups_errors_and_asks_a_split_commune_once(app, client, coordinator):
    batch = confirmed(client, app, to_csv(MEMBERS))
    summary = batch.summary_dict
    # Every row warns: the file has no category column (asked once on the page).
    assert summary["counts"] == {"new": 2, "matched": 0, "warnings": 5, "errors": 3}
    problems = {(p["code"], p["field"]): p["rows"] for p in summary["problems"]}
    assert problems[("split_commune", "commune")] == [4, 5]
    assert problems[("bad_date", "joined_on")] == [6]
    assert problems[("bad_phone", "phone")] == [6]
    assert problems[("new_group", "group")] == [2, 3]
    # The split ward is asked once for both of its rows, with its two successors.
    (place,) = summary["places"]
    assert place["rows"] == 2 and sorted(place["choices"]) == sorted(DAI_NAI)
    assert count(app, Member) == 0  # a check writes nothing but its batch

    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Ngày không hợp lệ" in page
    assert "Xã cũ đã bị chia: chọn xã mới" in page
    assert page.count('name="place_0"') == 2  # two radio buttons, asked once


def test_answer_once_then_import_creates_groups_and_members_with_codes(app, client, coordinator):
    batch = confirmed(client, app, to_csv(MEMBERS))
    response = client.post(f"/imports/{batch.id}/places", data={"place_0": str(DAI_NAI[0])})
    assert response.status_code == 302
    batch = batch_of(app, batch.id)
    assert batch.summary_dict["counts"]["new"] == 4
    assert batch.summary_dict["places"] == []

    response = client.post(f"/imports/{batch.id}/import")
    assert response.status_code == 302
    with app.app_context():
        members = {m.full_name: m for m in db.session.scalars(select(Member))}
        assert set(members) == {"Lê Thị Hồng", "Phan Văn Đức", "Trần Thị Lan", "Hồ Thị Na"}
        hong = members["Lê Thị Hồng"]
        assert re.fullmatch(r"HUE-2023-\d{4}", hong.code)
        assert hong.phone == "0912345678" and hong.birth_year == 1985
        assert members["Phan Văn Đức"].phone == "0387654321"
        assert members["Phan Văn Đức"].memberships[0].joined_on == date(2023, 2, 1)
        groups = {g.name: g for g in db.session.scalars(select(Group))}
        assert groups["Nhóm Phú Hội"].commune_code == 19789
        assert groups["Nhóm Đại Nài"].commune_code == DAI_NAI[0]
        assert "Nhóm Diễn Lâm" not in groups  # its only row had an error
        actions = db.session.execute(select(AuditEvent.action, AuditEvent.object_type)).all()
        assert actions.count(("create", "members")) == 4
        assert ("import", "import_batches") in actions
        # The raw rows (personal data) are gone but the one to fix (Diễn Lâm's, kept for
        # the file of rows to fix until the purge); the batch keeps counts and the hash.
        assert db.session.scalars(select(ImportRow.number)).all() == [6]
    assert batch_of(app, batch.id).status == BatchStatus.IMPORTED


def test_the_same_file_twice_is_not_imported_twice(app, client, coordinator):
    data = to_csv(MEMBERS[:3])
    batch = confirmed(client, app, data)
    client.post(f"/imports/{batch.id}/import")
    assert count(app, Member) == 2
    response = upload(client, data)
    assert response.status_code == 200
    assert "Tệp này đã được nhập" in response.get_data(as_text=True)
    assert count(app, Member) == 2 and count(app, ImportBatch) == 1


def test_import_sent_twice_adds_nothing_the_second_time(app, client, coordinator):
    batch = confirmed(client, app, to_csv(MEMBERS[:3]))
    client.post(f"/imports/{batch.id}/import")
    events = count(app, AuditEvent)
    response = client.post(f"/imports/{batch.id}/import", follow_redirects=True)
    assert response.status_code == 200
    assert "Tệp này đã được nhập" in response.get_data(as_text=True)
    assert count(app, Member) == 2
    assert batch_of(app, batch.id).summary_dict["imported"] == 2
    assert count(app, AuditEvent) - events <= 1  # the page read, no second import


def test_an_edited_file_matches_members_already_in_instead_of_duplicating(app, client, coordinator):
    batch = confirmed(client, app, to_csv(MEMBERS[:3]))
    client.post(f"/imports/{batch.id}/import")
    edited = [
        *MEMBERS[:3],
        [
            "Võ Thị Mai",
            "1995",
            "Nữ",
            "",
            "Nhóm Phú Hội",
            "P. Phú Hội",
            "TP Huế",
            "Thừa Thiên Huế",
            "05/05/2023",
        ],
    ]
    batch = confirmed(client, app, to_csv(edited, "cp1258"))
    assert batch.summary_dict["counts"]["matched"] == 2
    assert batch.summary_dict["counts"]["new"] == 1
    problems = {p["code"]: p["rows"] for p in batch.summary_dict["problems"]}
    assert problems["existing_member"] == [2, 3]
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Trùng với thành viên đã có" in page
    client.post(f"/imports/{batch.id}/import")
    assert count(app, Member) == 3
    assert count(app, Group) == 1


def test_annotated_copy_adds_errors_and_warnings_columns(app, client, coordinator):
    batch = confirmed(client, app, to_csv(MEMBERS))
    response = client.get(f"/imports/{batch.id}/annotated")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-2:] == ["Lỗi", "Cảnh báo"]
    assert rows[0][:-2] == MEMBERS[0]
    assert rows[5][0] == "Nguyễn Văn Bình"
    assert "Ngày không hợp lệ" in rows[5][-2]
    assert "Số điện thoại" in rows[5][-1]
    assert rows[1][-2] == ""
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "export"))


def test_column_choices_are_changed_and_remembered(app, client, coordinator):
    rows = [
        ["Tên TV", "Nhóm", "Xã/Phường", "Tỉnh/TP"],
        ["Lê Thị Hồng", "Nhóm Phú Hội", "P. Phú Hội", "Thừa Thiên Huế"],
    ]
    batch = confirmed(client, app, to_csv(rows))
    assert batch.summary_dict["missing_columns"] == ["full_name"]
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Import" not in re.sub(r"<[^>]+>", "", page) or "Nhập 1" not in page
    client.post(
        f"/imports/{batch.id}/columns",
        data={"col_full_name": "0", "col_group": "1", "col_commune": "2", "col_province": "3"},
    )
    batch = batch_of(app, batch.id)
    assert batch.summary_dict["missing_columns"] == []
    assert batch.summary_dict["counts"]["new"] == 1
    with app.app_context():
        remembered = json.loads(db.session.scalar(select(ImportMapping.columns)))
    assert remembered["full_name"] == "ten tv"
    # The next file with the same header is read with the remembered choice.
    again = confirmed(client, app, to_csv([rows[0], ["Phan Văn Đức", *rows[1][1:]]]))
    assert again.summary_dict["missing_columns"] == []


def attendance_rows(code_a, code_b, group_code):
    return [
        ["Nhóm", "Mã thành viên", "Họ và tên", "Ngày họp", "Có mặt"],
        [group_code, code_a, "", "06/01/2025", "x"],
        [group_code, code_b, "", "06/01/2025", "vắng"],
        [group_code, "", "Trần Thị Mai", 45670, "có"],  # a serial: 13/01/2025
        [group_code, code_b, "", "13/01/2025", "phép"],
    ]


def test_attendance_import_then_reimport_changes_nothing(
    app, client, make_user, make_group, make_member
):
    facilitator = make_user(Role.FACILITATOR)
    group = make_group(facilitators=[facilitator])
    mai = make_member(group, full_name="Trần Thị Mai")
    lan = make_member(group, full_name="Lê Thị Lan")
    login(client, facilitator)
    rows = attendance_rows(mai.code, lan.code, group.code)
    batch = checked(client, app, xlsx(rows), kind="attendance", filename="diem-danh.xlsx")
    assert batch.summary_dict["counts"] == {"new": 4, "matched": 0, "warnings": 0, "errors": 0}
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        marks = db.session.execute(
            select(Meeting.held_on, Attendance.member_id, Attendance.status).join(Attendance)
        ).all()
    assert sorted((d, m, s.value) for d, m, s in marks) == [
        (date(2025, 1, 6), mai.id, "present"),
        (date(2025, 1, 6), lan.id, "absent"),
        (date(2025, 1, 13), mai.id, "present"),
        (date(2025, 1, 13), lan.id, "excused"),
    ]
    meetings, audits = count(app, Meeting), count(app, AuditEvent)
    # The same register saved again (another hash): every row is already there.
    rows[1][4] = "có mặt"
    batch = checked(client, app, to_csv(rows), kind="attendance")
    assert batch.summary_dict["counts"]["matched"] == 4
    assert batch.summary_dict["counts"]["new"] == 0
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert f'action="/imports/{batch.id}/import"' not in page
    assert count(app, Meeting) == meetings and count(app, Attendance) == 4
    assert count(app, AuditEvent) - audits <= 3  # reads of pages, no change


def test_facilitator_imports_only_into_own_groups(app, client, make_user, make_group, make_member):
    facilitator = make_user(Role.FACILITATOR)
    own = make_group(facilitators=[facilitator])
    other = make_group(NGHE_AN, name="Nhóm Khác")
    make_member(own, full_name="Trần Thị Mai")
    login(client, facilitator)
    rows = [
        ["Họ và tên", "Năm sinh", "Nhóm", "Ngày tham gia"],
        ["Lê Thị Hồng", 1985, own.code, "06/01/2025"],
        ["Phan Văn Đức", 1979, other.code, "06/01/2025"],
        ["Võ Thị Mai", 1990, "Nhóm Chưa Có", "06/01/2025"],
    ]
    batch = checked(client, app, to_csv(rows))
    problems = {p["code"]: p["rows"] for p in batch.summary_dict["problems"]}
    assert problems["unknown_group_code"] == [3]  # another's group looks like no group
    assert problems["group_not_found"] == [4]
    assert batch.summary_dict["counts"]["new"] == 1
    # Facilitators are not offered groups files, and cannot post one.
    page = client.get("/imports").get_data(as_text=True)
    assert 'value="groups"' not in page
    response = upload(client, to_csv([["Tên nhóm"], ["A"]]), kind="groups")
    assert response.status_code == 200 and count(app, ImportBatch) == 1


def test_coordinator_rows_in_another_province_are_errors(app, client, login_as):
    login_as(Role.COORDINATOR, provinces=(NGHE_AN,))
    batch = confirmed(client, app, to_csv(MEMBERS[:2]))
    problems = {p["code"]: p["rows"] for p in batch.summary_dict["problems"]}
    assert problems["out_of_scope"] == [2]
    assert batch.summary_dict["counts"]["new"] == 0


def test_groups_register_creates_groups_and_matches_them_again(app, client, coordinator):
    rows = [
        ["Tên nhóm", "Xã/Phường", "Huyện/Quận", "Tỉnh/TP", "Thôn/Xóm", "Ngày thành lập"],
        ["Nhóm Hương Sơ", "Phường Hương Sơ", "", "Thành phố Huế", "Tổ 3", "15/03/2022"],
        ["Nhóm Nghi Phong", "Xã Nghi Phong", "Huyện Nghi Lộc", "Tỉnh Nghệ An", "", 44200],
    ]
    batch = checked(client, app, xlsx(rows), kind="groups", filename="nhom.xlsx")
    assert batch.summary_dict["counts"]["new"] == 2
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        groups = {g.name: g for g in db.session.scalars(select(Group))}
        assert groups["Nhóm Hương Sơ"].commune_code == 19804
        assert groups["Nhóm Hương Sơ"].founded_on == date(2022, 3, 15)
        assert groups["Nhóm Nghi Phong"].commune_code == 16708
        assert re.fullmatch(r"NAN-N\d{3}", groups["Nhóm Nghi Phong"].code)
        # A groups register gives no schedule: none is invented (issue 23).
        assert all(g.cadence is None and g.meeting_due_by is None for g in groups.values())
    again = checked(client, app, to_csv(rows), kind="groups")
    assert again.summary_dict["counts"]["matched"] == 2


def test_unknown_commune_is_asked_with_the_communes_of_its_province(app, client, coordinator):
    rows = [
        MEMBERS[0],
        ["Lê Thị Hồng", "1985", "Nữ", "", "Nhóm Mới", "Xã Không Có", "", "Nghệ An", ""],
        ["Phan Văn Đức", "1979", "Nam", "", "Nhóm Mới", "xa khong co", "", "nghe an", ""],
    ]
    batch = confirmed(client, app, to_csv(rows))
    places = batch.summary_dict["places"]
    assert len(places) == 1 and places[0]["rows"] == 2
    assert 16708 in places[0]["choices"] and len(places[0]["choices"]) > 50
    assert 19789 not in places[0]["choices"]  # only Nghệ An's communes
    # A code not offered is not kept.
    client.post(f"/imports/{batch.id}/places", data={"place_0": "19789"})
    assert [k for k in batch_of(app, batch.id).answer_dict if "|" in k] == []
    client.post(f"/imports/{batch.id}/places", data={"place_0": "16708"})
    assert batch_of(app, batch.id).summary_dict["counts"]["new"] == 2


def test_raw_rows_of_a_file_never_imported_are_deleted_after_seven_days(
    app, client, coordinator, runner, monkeypatch
):
    imported = confirmed(client, app, to_csv(MEMBERS[:2]))
    client.post(f"/imports/{imported.id}/import")
    pending = confirmed(client, app, to_csv(MEMBERS[:3]))
    assert count(app, ImportRow) == 3  # its header and two rows: kept to read it again
    created = pending.created_at.date()
    # Eight days later (the command runs a job for no day still to come).
    monkeypatch.setattr(core.clock, "today", lambda: created + timedelta(days=8))
    result = runner.invoke(
        args=[
            "scheduler",
            "run-job",
            "imports.purge_raw_rows",
            "--today",
            (created + timedelta(days=7)).isoformat(),
        ]
    )
    assert "expired=0" in result.output
    assert count(app, ImportRow) == 3
    day = (created + timedelta(days=8)).isoformat()
    result = runner.invoke(args=["scheduler", "run-job", "imports.purge_raw_rows", "--today", day])
    assert "expired=1" in result.output, result.output
    assert count(app, ImportRow) == 0
    assert batch_of(app, pending.id).status == BatchStatus.EXPIRED
    assert batch_of(app, imported.id).status == BatchStatus.IMPORTED
    again = runner.invoke(args=["scheduler", "run-job", "imports.purge_raw_rows", "--today", day])
    assert "skipped=1" in again.output
    # An expired batch cannot be imported any more.
    response = client.post(f"/imports/{pending.id}/import", follow_redirects=True)
    assert response.status_code == 200 and count(app, Member) == 1


def test_discarding_deletes_the_rows(app, client, coordinator):
    batch = checked(client, app, to_csv(MEMBERS))
    assert client.post(f"/imports/{batch.id}/discard").status_code == 302
    assert count(app, ImportRow) == 0
    assert batch_of(app, batch.id).status == BatchStatus.DISCARDED


def test_a_batch_is_its_uploaders_alone(app, client, coordinator, make_user):
    batch = checked(client, app, to_csv(MEMBERS))
    other = make_user(Role.COORDINATOR, provinces=(HUE, HA_TINH, NGHE_AN))
    client = app.test_client()
    login(client, other)
    for path in ("", "/annotated"):
        assert client.get(f"/imports/{batch.id}{path}").status_code == 404
    for path in ("/import", "/places", "/columns", "/discard"):
        assert client.post(f"/imports/{batch.id}{path}").status_code == 404
    assert count(app, Member) == 0 and count(app, ImportRow) == len(MEMBERS)  # header too


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "a.csv", "Tệp trống"),
        (b"\n\n", "a.csv", "Tệp trống"),
        (b"%PDF-1.7", "so.pdf", ".xlsx, .xls hoặc .csv"),
        (b"PK\x03\x04garbage", "so.xlsx", "Không đọc được tệp"),
        ("Họ và tên\n".encode(), "a.csv", "không có dòng nào"),
    ],
)
def test_bad_files_get_a_clear_message_and_write_nothing(
    app, client, coordinator, data, filename, message
):
    response = upload(client, data, filename=filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(app, ImportBatch) == 0 and count(app, ImportRow) == 0


def multipart(client, data: bytes):
    """A large upload as bytes in memory (the test client would spool it to a file)."""
    boundary = "----tuluc"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("csrf_token", client.csrf_token()), ("kind", "members"))
    ]
    head = "".join(parts) + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    )
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(
        "/imports",
        data=body,
        csrf=False,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_a_file_over_5_mb_is_refused_before_it_is_read(app, client, coordinator):
    big = b"Ho va ten\n" + b"x" * (5 * 1024 * 1024 + 100 * 1024)
    response = multipart(client, big)
    assert response.status_code == 413
    assert "5 MB" in response.get_data(as_text=True)
    just_over = b"Ho va ten\n" + b"x" * (5 * 1024 * 1024)
    response = multipart(client, just_over)
    assert response.status_code == 200
    assert "5 MB" in response.get_data(as_text=True)
    assert count(app, ImportBatch) == 0


def test_garbage_cells_are_errors_not_a_crash(app, client, coordinator):
    rows = [
        MEMBERS[0],
        [
            "\x00",
            "năm ngoái",
            "?",
            "=cmd|' /C calc'!A0",
            "Nhóm Phú Hội",
            "P. Phú Hội",
            "TP Huế",
            "Thừa Thiên Huế",
            "hôm qua",
        ],
        ["x" * 5000, "1e9", "", "", "", "", "", "", "99/99/9999"],
    ]
    batch = checked(client, app, to_csv(rows))
    assert batch.summary_dict["counts"]["errors"] == 2
    assert ["too_long", "full_name"] in batch.summary_dict["rows"]["3"]
    annotated = client.get(f"/imports/{batch.id}/annotated").get_data(as_text=True)
    assert "'=cmd" in annotated  # Excel will not run it
    assert client.get(f"/imports/{batch.id}").status_code == 200
    assert count(app, Member) == 0


def test_a_wrong_kind_or_no_kind_is_refused(app, client, coordinator):
    response = upload(client, to_csv(MEMBERS), kind="payments")
    assert response.status_code == 200 and count(app, ImportBatch) == 0


def test_templates_download_with_the_known_headers(app, client, coordinator):
    response = client.get("/imports/template/members")
    assert response.status_code == 200
    header = response.get_data(as_text=True).lstrip("\ufeff").splitlines()[0]
    assert header.startswith("Mã thành viên,Họ và tên,Năm sinh")
    assert client.get("/imports/template/payments").status_code == 404


def test_import_links_on_groups_and_members_pages_for_staff(app, client, coordinator):
    for page in ("/groups", "/members"):
        assert 'href="/imports"' in client.get(page).get_data(as_text=True)


def test_members_cannot_import(app, client, login_as):
    login_as(Role.MEMBER)
    assert client.get("/imports").status_code in (403, 404)


FORMULAS = [
    '=HYPERLINK("http://evil.example","hdr")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_annotated_copy_writes_no_cell_excel_would_run(app, client, coordinator, fmt):
    """S8: every cell written back, the uploaded header row included, is neutralised."""
    header = [*MEMBERS[0], *FORMULAS]
    rows = [header, *(row + FORMULAS for row in MEMBERS[1:3])]
    if fmt == "csv":
        batch = checked(client, app, to_csv(rows))
    else:  # every cell a string, as typed text (xlsxwriter's write() would store formulas)
        batch = checked(client, app, crafted.strings_workbook(rows), filename="so.xlsx")
    text = client.get(f"/imports/{batch.id}/annotated").get_data(as_text=True).lstrip("\ufeff")
    written = list(csv.reader(io.StringIO(text)))
    assert len(written) == 3 and len(written[0]) == len(header) + 2
    for line in written:
        for cell in line:
            plain_number = re.fullmatch(r"[+-]?[0-9.]+", cell)
            assert plain_number or not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        assert line[len(MEMBERS[0])] == "'" + FORMULAS[0]
    assert written[0][len(MEMBERS[0]) + 2] == "'-2+3"


def test_upload_times_are_shown_in_viet_nam_time(app, client, coordinator):
    """F9: uploaded at 03:30 on 07/12 in Viet Nam (20:30 on 06/12 UTC) reads 07/12."""
    batch = checked(client, app, to_csv(MEMBERS))
    with app.app_context():
        stored = db.session.get(ImportBatch, batch.id)
        stored.created_at = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)
        db.session.commit()
    for page in ("/imports", f"/imports/{batch.id}"):
        text = client.get(page).get_data(as_text=True)
        assert "03:30, 07/12/2026" in text, page
        assert "06/12/2026" not in text, page
