"""A corrected register's changes are accepted per row as well as per column (issue 23):
an unticked row keeps every value it had, the others are changed, each change audited on
the member (its history)."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.audit import AuditEvent
from core.db import db
from tests.imports.test_imports import HA_TINH, batch_of, checked
from tests.imports.test_register_again import corrected, members_by_name

FIRST = [
    [None, "Lê Thị Hồng", 1985, "Nữ", "0912345678", "Nhóm Xóm Giếng", "Xóm 1", "NN"],
    [None, "Phan Thị Đào", 1990, "Nữ", "0987654321", "Nhóm Xóm Giếng", "Xóm 4", "DC"],
    [None, "Hồ Thị Na", 1992, "Nữ", None, "Nhóm Xóm Giếng", "Xóm 2", "NN"],
]
FIXED = [
    [None, "Lê Thị Hồng", 1985, "Nữ", "0912 000 111", "Nhóm Xóm Giếng", "Xóm 3", "NN"],
    [None, "Phan Thị Đào", 1990, "Nữ", "0987 000 222", "Nhóm Xóm Giếng", "Thôn Đông", "DC"],
    [None, "Hồ Thị Na", 1992, "Nữ", "0905 111 222", "Nhóm Xóm Giếng", "Xóm 2", "NN"],
]


@pytest.fixture
def again(app, client, login_as, make_group):
    """The first register imported, the corrected one checked: three rows with changes."""
    login_as(Role.COORDINATOR, provinces=(HA_TINH,))
    make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2018, 1, 1))
    batch = checked(client, app, corrected(FIRST), filename="a.xlsx")
    client.post(f"/imports/{batch.id}/import")
    return checked(client, app, corrected(FIXED), filename="b.xlsx")


def form_of(page: str) -> dict:
    """The changes form as the browser sends it: hidden fields and ticked boxes."""
    form = page[page.index('id="changes"') : page.index("</form>", page.index('id="changes"'))]
    sent = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
    sent.update(
        dict.fromkeys(re.findall(r'type="checkbox" name="(\w+)" value="1" checked', form), "1")
    )
    return sent


def test_an_unticked_row_keeps_its_values_and_the_others_change(app, client, again):
    before = members_by_name(app)
    shown = again.summary_dict["changes"]["shown"]
    dao = next(c["row"] for c in shown if c["name"] == "Phan Thị Đào")
    page = client.get(f"/imports/{again.id}").get_data(as_text=True)
    sent = form_of(page)
    assert sent[f"row_{dao}"] == "1" and sent[f"listed_{dao}"] == "1"  # ticked by default
    del sent[f"row_{dao}"]  # Đào's row unticked
    client.post(f"/imports/{again.id}/changes", data=sent)
    batch = batch_of(app, again.id)
    changes = batch.summary_dict["changes"]
    assert changes["rows"] == 2
    assert {c["name"]: c["row_apply"] for c in changes["shown"]} == {
        "Lê Thị Hồng": True,
        "Phan Thị Đào": False,
        "Hồ Thị Na": True,
    }
    # The page shows the row unticked (the choice is kept), the others still ticked.
    sent = form_of(client.get(f"/imports/{again.id}").get_data(as_text=True))
    assert f"row_{dao}" not in sent and len([k for k in sent if k.startswith("row_")]) == 2
    client.post(f"/imports/{again.id}/import")

    after = members_by_name(app)
    assert len(after) == 3
    assert (after["Lê Thị Hồng"].phone, after["Lê Thị Hồng"].village) == ("0912000111", "Xóm 3")
    assert after["Hồ Thị Na"].phone == "0905111222"
    dao_now, dao_then = after["Phan Thị Đào"], before["Phan Thị Đào"]
    assert (dao_now.phone, dao_now.village) == (dao_then.phone, dao_then.village)
    assert batch_of(app, again.id).summary_dict["updated"] == 2
    with app.app_context():
        updates = dict(
            db.session.execute(
                select(AuditEvent.member_id, AuditEvent.detail).where(
                    AuditEvent.action == "update", AuditEvent.object_type == "members"
                )
            ).all()
        )
    # Each applied change is in the member's history (its audit), the unticked row not.
    assert updates == {
        after["Lê Thị Hồng"].id: "changed=phone,village",
        after["Hồ Thị Na"].id: "changed=phone",
    }


def test_a_row_and_a_column_unticked_together(app, client, again):
    shown = again.summary_dict["changes"]["shown"]
    hong = next(c["row"] for c in shown if c["name"] == "Lê Thị Hồng")
    sent = form_of(client.get(f"/imports/{again.id}").get_data(as_text=True))
    del sent[f"row_{hong}"]
    del sent["apply_village"]  # the village left out for every row
    client.post(f"/imports/{again.id}/changes", data=sent)
    client.post(f"/imports/{again.id}/import")
    after = members_by_name(app)
    assert (after["Lê Thị Hồng"].phone, after["Lê Thị Hồng"].village) == ("0912345678", "Xóm 1")
    assert (after["Phan Thị Đào"].phone, after["Phan Thị Đào"].village) == ("0987000222", "Xóm 4")
    assert after["Hồ Thị Na"].phone == "0905111222"
