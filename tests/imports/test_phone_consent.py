"""Phones and consent (issue 23): a column saying the person agreed to be called records
that consent with the member; without it the dry run says how many phones will be kept
hidden, never dropped silently."""

from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.db import db
from groups.models import ConsentPurpose, Member
from tests.imports.registers import book, titled
from tests.imports.test_imports import HA_TINH, checked

HEADER = ["STT", "Họ và tên", "Năm sinh", "SĐT", "Đồng ý liên lạc qua điện thoại", "Tên nhóm"]


@pytest.fixture
def gieng(login_as, make_group):
    login_as(Role.COORDINATOR, provinces=(HA_TINH,))
    return make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2019, 1, 7))


def register(rows, header=HEADER) -> bytes:
    people = [[i, *row] for i, row in enumerate(rows, start=1)]
    return book(("Danh sách", lambda ws: titled(ws, header, people)))


def test_a_consent_column_records_the_consent_and_the_rest_are_counted(app, client, gieng):
    rows = [
        ["Lê Thị Hồng", 1985, "0905123456", "Có", "Nhóm Xóm Giếng"],
        ["Phan Thị Đào", 1986, "0905123457", "không", "Nhóm Xóm Giếng"],
        ["Hồ Thị Na", 1987, "0905123458", "hỏi lại", "Nhóm Xóm Giếng"],
        ["Trần Thị Bé", 1988, None, "x", "Nhóm Xóm Giếng"],
    ]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    summary = batch.summary_dict
    assert summary["phones_hidden"] == 2  # Đào said no, Na's answer is not understood
    assert {p["code"] for p in summary["problems"]} >= {"bad_consent"}
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Số điện thoại của 2 thành viên mới" in page
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        members = {m.full_name: m for m in db.session.scalars(select(Member))}
        agreed = {
            name
            for name, m in members.items()
            if any(c.purpose == ConsentPurpose.PHONE_CONTACT for c in m.consents)
        }
        assert agreed == {"Lê Thị Hồng"}
        assert members["Phan Thị Đào"].phone == "0905123457"  # kept, hidden


def test_without_a_consent_column_the_dry_run_says_how_many_phones_stay_hidden(app, client, gieng):
    header = ["STT", "Họ và tên", "Năm sinh", "SĐT", "Tên nhóm"]
    rows = [
        ["Lê Thị Hồng", 1985, "0905123456", "Nhóm Xóm Giếng"],
        ["Phan Thị Đào", 1986, "905123457", "Nhóm Xóm Giếng"],
    ]
    batch = checked(client, app, register(rows, header), filename="so.xlsx")
    assert batch.summary_dict["phones_hidden"] == 2
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert 'id="phones-hidden"' in page
