"""Setting up the groups an import makes (issue 23): the confirming form asks each new
group's facilitator and schedule; a group left without one is "not set up yet", listed
on the import's page and the progress page, and not expected to meet until set up."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from accounts.models import Role, User
from core import clock
from core.db import db
from groups.models import Cadence, Group, Member
from reports.indicators import all_sections
from reports.indicators.scope import Scope
from reports.periods import Period
from tests.imports.test_imports import HA_TINH, batch_of, checked, count
from tests.imports.test_register_groups import THACH_HA, person, register


@pytest.fixture
def people(login_as, make_user, make_group):
    coordinator = login_as(Role.COORDINATOR, provinces=(HA_TINH,))
    facilitator = make_user(Role.FACILITATOR, provinces=(HA_TINH,), full_name="Đặng Thị Thu")
    old = make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2019, 1, 7))
    return coordinator, facilitator, old


def two_new_groups(client, app):
    """A register naming two groups the app has not, both confirmed to be created."""
    rows = [
        person("Lê Thị Hồng", "Nhóm Bến Đò"),
        person("Phan Thị Đào", "Nhóm Bến Đò", THACH_HA),
        person("Hồ Thị Na", "Nhóm Cây Đa", THACH_HA),
    ]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    unknown = {u["written"]: i for i, u in enumerate(batch.summary_dict["groups"]["unknown"])}
    client.post(
        f"/imports/{batch.id}/groups",
        data={f"unknown_{i}": "new" for i in unknown.values()},
    )
    batch = batch_of(app, batch.id)
    new = {e["written"]: i for i, e in enumerate(batch.summary_dict["groups"]["new"])}
    assert set(new) == {"Nhóm Bến Đò", "Nhóm Cây Đa"}
    return batch, new


def test_each_new_group_is_given_its_facilitator_and_schedule_or_left_not_set_up(
    app, client, people
):
    coordinator, facilitator, _old = people
    batch, new = two_new_groups(client, app)
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    for i in new.values():
        assert f'name="facilitator_{i}"' in page and f'name="cadence_{i}"' in page
    assert "Đặng Thị Thu" in page
    ben_do, cay_da = new["Nhóm Bến Đò"], new["Nhóm Cây Đa"]
    response = client.post(
        f"/imports/{batch.id}/import",
        data={
            f"facilitator_{ben_do}": str(facilitator.id),
            f"cadence_{ben_do}": "monthly",
            f"weekday_{ben_do}": "2",
            f"facilitator_{cay_da}": "",
            f"cadence_{cay_da}": "",
            f"weekday_{cay_da}": "",
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "chưa có lịch sinh hoạt" in text and "Nhóm chưa thiết lập" in text
    today = clock.today()
    with app.app_context():
        made = {g.name: g for g in db.session.scalars(select(Group).where(Group.code != _old.code))}
        assert set(made) == {"Nhóm Bến Đò", "Nhóm Cây Đa"}
        ben, cay = made["Nhóm Bến Đò"], made["Nhóm Cây Đa"]
        assert [u.id for u in ben.facilitators] == [facilitator.id]
        assert (ben.cadence, ben.meeting_weekday, ben.schedule_from) == (Cadence.MONTHLY, 2, today)
        # Founded when its first member joined (2023), expected to meet from today only.
        assert ben.founded_on == date(2023, 3, 1) and ben.meeting_due_by > today
        assert (cay.cadence, cay.meeting_weekday, cay.facilitators) == (None, None, [])
        assert cay.meeting_due_by is None
        user = db.session.get(User, coordinator.id)
        # The year before today: the new groups expect no meeting of it.
        got = all_sections.compute(
            Scope(user),
            Period.custom(today - timedelta(days=365), today - timedelta(days=1)),
            today,
        )
        old_only = all_sections.compute(
            Scope(user, group_id=_old.id),
            Period.custom(today - timedelta(days=365), today - timedelta(days=1)),
            today,
        )
        assert got["meetings_expected"] == old_only["meetings_expected"]
        assert got["not_set_up"] == 1 and got["behind"] == old_only["behind"]
    assert count(app, Member) == 3
    # The import's page lists the group not set up, with a link to set it up.
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert f"/groups/{cay.id}/edit" in page and f"/groups/{ben.id}/edit" not in page


@pytest.mark.parametrize(
    "setup, message",
    [
        ({"cadence": "monthly", "weekday": ""}, "Hãy chọn ngày sinh hoạt"),
        ({"cadence": "", "weekday": "3"}, "sinh hoạt bao lâu một lần"),
        ({"cadence": "daily", "weekday": "3"}, "sinh hoạt bao lâu một lần"),
        ({"cadence": "weekly", "weekday": "7"}, "Hãy chọn ngày sinh hoạt"),
        ({"facilitator": "999999"}, "trong danh sách"),
        ({"facilitator": "x"}, "trong danh sách"),
    ],
)
def test_a_bad_setup_is_refused_and_nothing_is_imported(app, client, people, setup, message):
    batch, new = two_new_groups(client, app)
    i = new["Nhóm Bến Đò"]
    groups = count(app, Group)
    response = client.post(
        f"/imports/{batch.id}/import",
        data={f"{k}_{i}": v for k, v in setup.items()},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(app, Group) == groups and count(app, Member) == 0
    assert batch_of(app, batch.id).status == "checked"


def test_a_facilitator_of_another_province_is_not_offered(
    app, client, people, make_user, make_group
):
    _coordinator, _facilitator, _old = people
    elsewhere = make_user(Role.FACILITATOR, provinces=(46,), full_name="Vũ Thị Xa")
    make_group(46, facilitators=[elsewhere])  # helps a group of Huế only
    batch, new = two_new_groups(client, app)
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Vũ Thị Xa" not in page
    i = new["Nhóm Bến Đò"]
    response = client.post(
        f"/imports/{batch.id}/import",
        data={f"facilitator_{i}": str(elsewhere.id)},
        follow_redirects=True,
    )
    assert "trong danh sách" in response.get_data(as_text=True)
    assert count(app, Member) == 0


def test_the_commune_where_a_new_group_meets_may_be_chosen_among_its_members(app, client, people):
    from core.places import Commune

    rows = [
        person("Lê Thị Hồng", "Nhóm Bến Đò"),  # Cẩm Xuyên
        person("Phan Thị Đào", "Nhóm Bến Đò", THACH_HA),
        person("Hồ Thị Na", "Nhóm Bến Đò", THACH_HA),
    ]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    with app.app_context():
        cam_xuyen = db.session.scalar(
            select(Commune.code).where(
                Commune.name == "Xã Cẩm Xuyên", Commune.province_code == HA_TINH
            )
        )
    # Most of its members live in Thạch Hà; the person says it meets in Cẩm Xuyên.
    client.post(f"/imports/{batch.id}/groups", data={"unknown_0": "new", "home_0": "999"})
    (new,) = batch_of(app, batch.id).summary_dict["groups"]["new"]
    assert new["commune"] != cam_xuyen and cam_xuyen in new["communes"]
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert 'name="home_0"' in page and "Xã Cẩm Xuyên" in page
    client.post(f"/imports/{batch.id}/groups", data={"new_0": "new", "home_0": str(cam_xuyen)})
    (new,) = batch_of(app, batch.id).summary_dict["groups"]["new"]
    assert new["commune"] == cam_xuyen
    client.post(f"/imports/{batch.id}/import")
    with app.app_context():
        made = db.session.scalar(select(Group).where(Group.name == "Nhóm Bến Đò"))
        assert made.commune_code == cam_xuyen
