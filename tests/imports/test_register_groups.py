"""Groups as the register names them (usability F2, issue 23): the group column decides,
whatever the members' home communes; a code that matches no group is an error, never a
name; a name that matches none is an error until the person says which group it is or
confirms creating it; a name several groups have is asked."""

from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.db import db
from groups.models import Group, Member, Membership
from imports.services.group_names import code_of, name_key
from tests.conftest import login
from tests.imports.registers import book, titled
from tests.imports.test_imports import HA_TINH, batch_of, checked, count

HEADER = ["STT", "Họ và tên", "Năm sinh", "Tên nhóm", "Xã", "Tỉnh", "Ngày vào nhóm"]
CAM_XUYEN, THACH_HA = "Xã Cẩm Xuyên", "Xã Thạch Hà"  # two communes of Hà Tĩnh, today's names


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, provinces=(HA_TINH,))


@pytest.fixture
def gieng(make_group):
    # The group meets in the province's first commune; its members live elsewhere.
    return make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2019, 1, 7))


def register(rows) -> bytes:
    people = [[i, *row] for i, row in enumerate(rows, start=1)]
    return book(("Danh sách", lambda ws: titled(ws, HEADER, people)))


def person(name, group, commune=CAM_XUYEN, year=1985):
    return [name, year, group, commune, "Hà Tĩnh", "01/03/2023"]


def problems(batch) -> dict:
    return {p["code"]: p["rows"] for p in batch.summary_dict["problems"]}


def test_a_name_joins_the_group_whatever_the_members_communes(app, client, coordinator, gieng):
    rows = [
        person("Lê Thị Hồng", "Nhóm Xóm Giếng"),
        person("Phan Thị Đào", "nhom xom gieng", THACH_HA),
        person("Hồ Thị Na", "XÓM GIẾNG", THACH_HA),
        person("Trần Thị Bé", gieng.code.lower()),
        person("Võ Thị Hoa", gieng.code.replace("-N00", " - N")),  # "HTI - N1"
    ]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    assert batch.summary_dict["counts"]["new"] == 5, batch.summary_dict
    assert "new_group" not in problems(batch)
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        assert db.session.scalar(select(Group.id).where(Group.id != gieng.id)) is None
        joined = db.session.scalars(select(Membership.group_id)).all()
        assert joined == [gieng.id] * 5


def test_a_code_that_matches_no_group_is_an_error_never_a_name(app, client, coordinator, gieng):
    rows = [person("Lê Thị Hồng", "HTI-N009"), person("Phan Thị Đào", "NAN-N001")]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    assert problems(batch)["unknown_group_code"] == [5, 6]
    assert batch.summary_dict["groups"]["unknown"] == []  # nothing to create from a code
    assert batch.summary_dict["counts"]["new"] == 0
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Không có nhóm nào của bạn có mã này" in page
    groups = count(app, Group)
    client.post(f"/imports/{batch.id}/groups", data={"unknown_0": "new"})
    client.post(f"/imports/{batch.id}/import")
    assert count(app, Group) == groups and count(app, Member) == 0


def test_an_unknown_name_is_an_error_until_the_person_says(app, client, coordinator, gieng):
    rows = [
        person("Lê Thị Hồng", "Nhóm Bến Đò"),
        person("Phan Thị Đào", "nhóm bến đò", THACH_HA),
        person("Hồ Thị Na", "Nhóm Bến Đò", THACH_HA),
        person("Trần Thị Bé", "Nhóm Xóm Gếng"),  # one row's misspelling
        person("Võ Thị Hoa", "Nhóm Xóm Giếng"),
    ]
    data = register(rows)
    batch = checked(client, app, data, filename="so.xlsx")
    assert problems(batch)["group_not_found"] == [5, 6, 7, 8]
    unknown = batch.summary_dict["groups"]["unknown"]
    assert [(u["written"], u["rows"]) for u in unknown] == [
        ("Nhóm Bến Đò", 3),
        ("Nhóm Xóm Gếng", 1),
    ]
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "hãy ghi mã nhóm" in page
    assert "tạo các nhóm" not in page  # the button says nothing of groups to create
    # Importing now brings in the one row whose group exists, and makes no group.
    groups = count(app, Group)
    client.post(f"/imports/{batch.id}/import")
    assert count(app, Group) == groups and count(app, Member) == 1

    # The same register again, answered: the misspelling is Xóm Giếng, Bến Đò is new.
    rows[-1] = person("Võ Thị Hoa", "Nhóm Xóm Giếng", year=1990)
    batch = checked(client, app, register(rows), filename="so.xlsx")
    unknown = {u["written"]: i for i, u in enumerate(batch.summary_dict["groups"]["unknown"])}
    client.post(
        f"/imports/{batch.id}/groups",
        data={
            f"unknown_{unknown['Nhóm Bến Đò']}": "new",
            f"unknown_{unknown['Nhóm Xóm Gếng']}": str(gieng.id),
        },
    )
    batch = batch_of(app, batch.id)
    (new,) = batch.summary_dict["groups"]["new"]
    assert (new["written"], new["rows"]) == ("Nhóm Bến Đò", 3)
    assert problems(batch)["new_group"] == [5, 6, 7]
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "tạo các nhóm" in page and "Nhóm Bến Đò" in page and "3 thành viên" in page
    response = client.post(f"/imports/{batch.id}/import", follow_redirects=True)
    assert "nhóm mới" in response.get_data(as_text=True)
    with app.app_context():
        made = db.session.scalars(select(Group).where(Group.id != gieng.id)).all()
        assert [g.name for g in made] == ["Nhóm Bến Đò"]
        # Its home: the commune most of its members live in (Thạch Hà, 2 of 3).
        thach_ha = db.session.scalar(select(Group.commune_code).where(Group.id == made[0].id))
        bé = db.session.scalar(select(Member).where(Member.full_name == "Trần Thị Bé"))
        assert [m.group_id for m in bé.memberships] == [gieng.id]
    assert thach_ha != gieng.commune_code


def test_a_name_several_groups_have_is_asked(app, client, coordinator, make_group):
    one = make_group(HA_TINH, name="Nhóm Thôn Đông", founded_on=date(2019, 1, 7))
    two = make_group(HA_TINH, name="Nhóm Thôn Đông", founded_on=date(2019, 1, 7))
    batch = checked(client, app, register([person("Lê Thị Hồng", "Thôn Đông")]), filename="so.xlsx")
    (asked,) = batch.summary_dict["groups"]["asked"]
    assert sorted(asked["choices"]) == sorted([one.id, two.id])
    assert problems(batch)["ambiguous_group"] == [5]
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert page.count('name="asked_0"') == 2
    client.post(f"/imports/{batch.id}/groups", data={"asked_0": str(two.id)})
    batch = batch_of(app, batch.id)
    assert batch.summary_dict["counts"]["new"] == 1
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        assert db.session.scalars(select(Membership.group_id)).all() == [two.id]


def test_a_facilitator_cannot_create_a_group_from_a_register(app, client, make_user, make_group):
    facilitator = make_user(Role.FACILITATOR, provinces=(HA_TINH,))
    make_group(HA_TINH, facilitators=[facilitator], founded_on=date(2019, 1, 7))
    login(client, facilitator)
    batch = checked(client, app, register([person("Lê Thị Hồng", "Nhóm Mới")]), filename="so.xlsx")
    client.post(f"/imports/{batch.id}/groups", data={"unknown_0": "new"})
    batch = batch_of(app, batch.id)
    assert "out_of_scope" in problems(batch) and batch.summary_dict["counts"]["new"] == 0
    groups = count(app, Group)
    client.post(f"/imports/{batch.id}/import")
    assert count(app, Group) == groups


def test_an_answer_outside_the_persons_groups_is_not_kept(app, client, coordinator, make_group):
    elsewhere = make_group(40, name="Nhóm Nghệ An")
    batch = checked(client, app, register([person("Lê Thị Hồng", "Nhóm Lạ")]), filename="so.xlsx")
    client.post(f"/imports/{batch.id}/groups", data={"unknown_0": str(elsewhere.id)})
    assert batch_of(app, batch.id).answer_dict == {}
    client.post(f"/imports/{batch.id}/groups", data={"unknown_0": "not a number"})
    assert batch_of(app, batch.id).answer_dict == {}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("HTI-N003", "HTI-N003"),
        ("hti-n3", "HTI-N003"),
        ("NAN - N 12", "NAN-N012"),
        ("Nhóm 3", None),
    ],
)
def test_code_shapes(value, code):
    assert code_of(value) == code


def test_name_keys():
    assert name_key("Nhóm Xóm Giếng") == name_key("XOM GIENG") == name_key("nhóm  tự lực Xóm Giếng")
    assert name_key("Nhóm Xóm Giếng") != name_key("Nhóm Xóm Gếng")
