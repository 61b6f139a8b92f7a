"""Consent to keep programme records (issue 23): read from a register's column in the
words staff write, an unknown word asked about (its rows refused until answered), a file
without the column asked once for all its people; never a silent default."""

from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.db import db
from groups.models import ConsentPurpose, Member
from tests.imports.registers import book, titled
from tests.imports.test_imports import HA_TINH, batch_of, checked

HEADER = ["STT", "Họ và tên", "Năm sinh", "Đồng ý lưu hồ sơ", "Tên nhóm"]
PLAIN = ["STT", "Họ và tên", "Năm sinh", "Tên nhóm"]


@pytest.fixture
def gieng(login_as, make_group):
    login_as(Role.COORDINATOR, provinces=(HA_TINH,))
    return make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2019, 1, 7))


def register(rows, header=HEADER) -> bytes:
    people = [[i, *row] for i, row in enumerate(rows, start=1)]
    return book(("Danh sách", lambda ws: titled(ws, header, people)))


def agreed(app) -> dict[str, bool]:
    with app.app_context():
        return {
            m.full_name: any(c.purpose == ConsentPurpose.PROGRAMME_DATA for c in m.consents)
            for m in db.session.scalars(select(Member))
        }


def test_the_column_words_are_read_and_an_unknown_word_is_asked(app, client, gieng):
    rows = [
        ["Lê Thị Hồng", 1985, "Đã ký", "Nhóm Xóm Giếng"],
        ["Phan Thị Đào", 1986, "không", "Nhóm Xóm Giếng"],
        ["Hồ Thị Na", 1987, "bố mẹ ký", "Nhóm Xóm Giếng"],
        ["Trần Thị Bé", 1988, None, "Nhóm Xóm Giếng"],
        ["Võ Thị Mai", 1989, "x", "Nhóm Xóm Giếng"],
    ]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    summary = batch.summary_dict
    assert batch.mapping_dict["programme_consent"] == 3  # the column is recognised
    assert [w["written"] for w in summary["consent_words"]] == ["bố mẹ ký"]
    assert summary["counts"]["errors"] == 1  # Na's row waits for the answer, never guessed
    codes = {p["code"] for p in summary["problems"]}
    assert {"unknown_consent", "consent_blank"} <= codes
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "“bố mẹ ký”" in page and 'name="consent_0"' in page

    client.post(f"/imports/{batch.id}/words", data={"consent_0": "yes"})
    summary = batch_of(app, batch.id).summary_dict
    assert summary["counts"]["errors"] == 0 and summary["consent_words"] == []
    assert summary["consent_unrecorded"] == 2  # Đào said no, Bé's cell is blank: said
    client.post(f"/imports/{batch.id}/import")
    assert agreed(app) == {
        "Lê Thị Hồng": True,
        "Phan Thị Đào": False,
        "Hồ Thị Na": True,
        "Trần Thị Bé": False,
        "Võ Thị Mai": True,
    }


@pytest.mark.parametrize(("answer", "recorded"), [("yes", True), ("no", False)])
def test_without_the_column_the_file_is_asked_once(app, client, gieng, answer, recorded):
    rows = [["Lê Thị Hồng", 1985, "Nhóm Xóm Giếng"], ["Phan Thị Đào", 1986, "Nhóm Xóm Giếng"]]
    batch = checked(client, app, register(rows, PLAIN), filename="so.xlsx")
    summary = batch.summary_dict
    assert summary["consent_unrecorded"] == 2
    assert summary["asks_consent"]  # asked once for the file, not a warning on each row
    assert not any("consent" in p["code"] for p in summary["problems"])
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert 'name="file_consent"' in page and "không có cột cho biết" in page.lower()

    client.post(f"/imports/{batch.id}/words", data={"file_consent": answer})
    summary = batch_of(app, batch.id).summary_dict
    assert not summary["asks_consent"]
    assert summary["consent_unrecorded"] == (0 if recorded else 2)
    assert 'name="file_consent"' not in client.get(f"/imports/{batch.id}").get_data(as_text=True)
    client.post(f"/imports/{batch.id}/import")
    assert agreed(app) == {"Lê Thị Hồng": recorded, "Phan Thị Đào": recorded}


def test_a_word_answer_is_only_yes_or_no(app, client, gieng):
    rows = [["Hồ Thị Na", 1987, "bố mẹ ký", "Nhóm Xóm Giếng"]]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    client.post(f"/imports/{batch.id}/words", data={"consent_0": "maybe"})
    kept = batch_of(app, batch.id)
    assert kept.answer_dict == {} and kept.summary_dict["counts"]["errors"] == 1
