"""Membership history (move, leave, new role) and consent records."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.clock import today
from core.db import db
from groups.models import Consent, ConsentPurpose, GroupRole, GroupStatus, Member, Membership
from groups.services import meetings as meeting_services
from groups.services import members as member_services
from tests.conftest import HUE, NGHE_AN
from tests.groups.helpers import NOBODY, count, shows_form_error, use_english


@pytest.fixture
def coordinator_world(login_as, make_group, make_member):
    """A coordinator of Huế and Nghệ An; two Huế groups, one in Nghệ An; Lan in the first."""
    user = login_as(Role.COORDINATOR, provinces=(HUE, NGHE_AN))
    east = make_group(HUE, name="Nhóm Thôn Đông")
    west = make_group(HUE, name="Nhóm Thôn Tây")
    far = make_group(NGHE_AN, name="Nhóm Xóm Bắc")
    lan = make_member(east, full_name="Nguyễn Thị Lan", joined_on=date(2025, 1, 6))
    return user, east, west, far, lan


def rows_of(app, member) -> list[tuple]:
    with app.app_context():
        return [
            (m.id, m.group_id, m.role, m.joined_on, m.left_on)
            for m in db.session.scalars(
                select(Membership)
                .where(Membership.member_id == member.id)
                .order_by(Membership.joined_on, Membership.id)
            )
        ]


def change(client, member, **data):
    """Post the membership form as a browser does: every select sends a value."""
    return client.post(f"/members/{member.id}/membership", data={"role": "member", **data})


def test_moving_a_member_closes_the_old_membership_and_opens_a_new_one(
    app, client, coordinator_world
):
    user, east, west, _far, lan = coordinator_world
    ((old_id, *_rest),) = rows_of(app, lan)
    response = change(client, lan, action="move", on="2025-04-01", group_id=str(west.id))
    assert response.status_code == 302
    rows = rows_of(app, lan)
    assert rows == [
        (old_id, east.id, GroupRole.MEMBER, date(2025, 1, 6), date(2025, 4, 1)),
        (rows[1][0], west.id, GroupRole.MEMBER, date(2025, 4, 1), None),
    ]
    with app.app_context():
        new = db.session.get(Membership, rows[1][0])
        assert new.recorded_by_id == user.id


def test_moving_to_another_province_keeps_the_code_and_follows_the_group(
    app, client, coordinator_world
):
    _user, _east, _west, far, lan = coordinator_world
    assert (
        change(client, lan, action="move", on="2025-04-01", group_id=str(far.id)).status_code == 302
    )
    with app.app_context():
        member = db.session.get(Member, lan.id)
        assert (member.code, member.province_code) == (lan.code, NGHE_AN)


def test_member_who_left_drops_out_of_the_group_and_later_meetings(app, client, coordinator_world):
    _user, east, _west, _far, lan = coordinator_world
    response = change(client, lan, action="leave", on="2025-04-01", reason="Chuyển nhà")
    assert response.status_code == 302
    assert [row[4] for row in rows_of(app, lan)] == [date(2025, 4, 1)]
    with app.app_context():
        assert db.session.scalar(select(Membership.left_reason)) == "Chuyển nhà"
        on = {
            d: [m.id for m in meeting_services.members_on(east.id, d)]
            for d in (date(2025, 3, 31), date(2025, 4, 1), date(2025, 5, 5))
        }
    # The leaving day is no longer hers.
    assert on == {date(2025, 3, 31): [lan.id], date(2025, 4, 1): [], date(2025, 5, 5): []}
    group_page = client.get(f"/groups/{east.id}").get_data(as_text=True)
    assert "Nguyễn Thị Lan" not in group_page
    meeting_form = client.get(f"/groups/{east.id}/meetings/new").get_data(as_text=True)
    assert f'name="att-{lan.id}"' not in meeting_form


def test_new_role_closes_the_old_row_and_keeps_the_history(app, client, coordinator_world):
    _user, east, _west, _far, lan = coordinator_world
    response = change(client, lan, action="role", role="leader", on="2025-03-03")
    assert response.status_code == 302
    rows = rows_of(app, lan)
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        (east.id, GroupRole.MEMBER, date(2025, 1, 6), date(2025, 3, 3)),
        (east.id, GroupRole.LEADER, date(2025, 3, 3), None),
    ]
    # Still one member of the group, every day of it.
    with app.app_context():
        for day in (date(2025, 3, 2), date(2025, 3, 3), date(2025, 6, 1)):
            assert [m.id for m in meeting_services.members_on(east.id, day)] == [lan.id]
    use_english(client)
    page = client.get(f"/members/{lan.id}").get_data(as_text=True)
    assert "Group leader" in page and "Member" in page


def test_new_role_on_the_joining_day_corrects_the_row(app, client, coordinator_world):
    _user, _east, _west, _far, lan = coordinator_world
    assert change(client, lan, action="role", role="treasurer", on="2025-01-06").status_code == 302
    rows = rows_of(app, lan)
    assert [(r[2], r[4]) for r in rows] == [(GroupRole.TREASURER, None)]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "leave", "on": "2025-01-05"},
        {"action": "role", "role": "leader", "on": "2024-12-31"},
        {"action": "move", "on": "2025-01-05", "group_id": "{west}"},
    ],
)
def test_membership_change_dated_before_joining_is_refused_and_writes_nothing(
    app, client, coordinator_world, data
):
    _user, _east, west, _far, lan = coordinator_world
    before = rows_of(app, lan)
    data = {k: v.format(west=west.id) for k, v in data.items()}
    response = change(client, lan, **data)
    assert response.status_code == 200
    assert shows_form_error(response.get_data(as_text=True))
    assert rows_of(app, lan) == before


def test_membership_change_in_the_future_is_refused(app, client, coordinator_world):
    _user, _east, _west, _far, lan = coordinator_world
    before = rows_of(app, lan)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = change(client, lan, action="leave", on=tomorrow)
    assert response.status_code == 200 and shows_form_error(response.get_data(as_text=True))
    assert rows_of(app, lan) == before


def test_moving_to_the_same_group_or_an_unlisted_one_is_refused(
    app, client, coordinator_world, make_group
):
    _user, east, _west, _far, lan = coordinator_world
    closed = make_group(HUE, status=GroupStatus.CLOSED)
    before = rows_of(app, lan)
    for group_id in (east.id, closed.id, 999999):
        response = change(client, lan, action="move", on="2025-04-01", group_id=str(group_id))
        assert response.status_code == 200
        assert shows_form_error(response.get_data(as_text=True))
    assert rows_of(app, lan) == before


def test_leaving_twice_is_refused(app, client, coordinator_world):
    _user, _east, _west, _far, lan = coordinator_world
    assert change(client, lan, action="leave", on="2025-04-01").status_code == 302
    before = rows_of(app, lan)
    response = change(client, lan, action="leave", on="2025-05-01")
    assert response.status_code == 200 and shows_form_error(response.get_data(as_text=True))
    assert rows_of(app, lan) == before


def test_rejoining_cannot_start_before_the_last_membership_ended(app, client, coordinator_world):
    _user, _east, west, _far, lan = coordinator_world
    assert change(client, lan, action="leave", on="2025-06-01").status_code == 302
    before = rows_of(app, lan)
    # Back in a group from March would put her in two groups from March to June.
    response = change(client, lan, action="move", on="2025-03-01", group_id=str(west.id))
    assert response.status_code == 200
    assert shows_form_error(response.get_data(as_text=True))
    assert rows_of(app, lan) == before


def test_member_who_left_can_join_another_group_later(app, client, coordinator_world):
    _user, _east, west, _far, lan = coordinator_world
    assert change(client, lan, action="leave", on="2025-03-01").status_code == 302
    assert (
        change(client, lan, action="move", on="2025-06-02", group_id=str(west.id)).status_code
        == 302
    )
    assert [(r[1], r[3], r[4]) for r in rows_of(app, lan)][-1] == (west.id, date(2025, 6, 2), None)


# Consent -------------------------------------------------------------------------------


def consents_of(app, member) -> list[tuple]:
    with app.app_context():
        return [
            (c.purpose, c.provider, c.given_on, c.withdrawn_on)
            for c in db.session.scalars(
                select(Consent).where(Consent.member_id == member.id).order_by(Consent.id)
            )
        ]


def test_recording_consent_keeps_who_and_when(app, client, facilitator_group, make_member):
    lan = make_member(facilitator_group.group)
    response = client.post(
        f"/members/{lan.id}/consents",
        data={"purpose": "phone_contact", "provider": "", "given_on": "2025-03-01"},
    )
    assert response.status_code == 302
    with app.app_context():
        consent = db.session.scalar(
            select(Consent).where(Consent.purpose == ConsentPurpose.PHONE_CONTACT)
        )
        assert (consent.member_id, consent.given_on, consent.recorded_by_id) == (
            lan.id,
            date(2025, 3, 1),
            facilitator_group.user.id,
        )
        assert consent.active


def test_duplicate_active_consent_is_refused(app, client, facilitator_group, make_member):
    lan = make_member(facilitator_group.group)  # already consented to programme data
    before = consents_of(app, lan)
    response = client.post(
        f"/members/{lan.id}/consents",
        data={"purpose": "programme_data", "given_on": "2025-03-01"},
        follow_redirects=True,
    )
    assert "alert-error" in response.get_data(as_text=True)
    assert consents_of(app, lan) == before


def test_withdrawn_consent_stays_in_the_history(app, client, facilitator_group, make_member):
    lan = make_member(facilitator_group.group)
    with app.app_context():
        consent_id = db.session.scalar(select(Consent.id).where(Consent.member_id == lan.id))
    response = client.post(
        f"/members/{lan.id}/consents/{consent_id}/withdraw", data={"on": "2025-04-01"}
    )
    assert response.status_code == 302
    assert consents_of(app, lan) == [
        (ConsentPurpose.PROGRAMME_DATA, None, date(2025, 1, 6), date(2025, 4, 1))
    ]
    with app.app_context():
        consent = db.session.get(Consent, consent_id)
        assert consent.withdrawn_by_id == facilitator_group.user.id
        assert not member_services.has_consent(consent.member, ConsentPurpose.PROGRAMME_DATA)
    use_english(client)
    page = client.get(f"/members/{lan.id}").get_data(as_text=True)
    assert "withdrawn" in page
    # Given again later: a new row; the withdrawn one stays.
    assert (
        client.post(
            f"/members/{lan.id}/consents",
            data={"purpose": "programme_data", "given_on": "2025-05-01"},
        ).status_code
        == 302
    )
    assert [c[3] for c in consents_of(app, lan)] == [date(2025, 4, 1), None]


@pytest.mark.parametrize("on", ["2025-01-05", "notadate"])
def test_withdrawal_dated_before_consent_or_unreadable_is_refused(
    app, client, facilitator_group, make_member, on
):
    lan = make_member(facilitator_group.group)
    with app.app_context():
        consent_id = db.session.scalar(select(Consent.id).where(Consent.member_id == lan.id))
    response = client.post(
        f"/members/{lan.id}/consents/{consent_id}/withdraw", data={"on": on}, follow_redirects=True
    )
    assert "alert-error" in response.get_data(as_text=True)
    assert consents_of(app, lan)[0][3] is None


def test_withdrawing_twice_is_refused(app, client, facilitator_group, make_member):
    lan = make_member(facilitator_group.group)
    with app.app_context():
        consent_id = db.session.scalar(select(Consent.id).where(Consent.member_id == lan.id))
    url = f"/members/{lan.id}/consents/{consent_id}/withdraw"
    client.post(url, data={"on": "2025-04-01"})
    response = client.post(url, data={"on": "2025-05-01"}, follow_redirects=True)
    assert "alert-error" in response.get_data(as_text=True)
    assert consents_of(app, lan)[0][3] == date(2025, 4, 1)


def test_consent_of_another_member_cannot_be_withdrawn_through_this_one(
    app, client, facilitator_group, make_member
):
    lan = make_member(facilitator_group.group, full_name="Nguyễn Thị Lan")
    mai = make_member(facilitator_group.group, full_name="Trần Thị Mai")
    with app.app_context():
        mai_consent = db.session.scalar(select(Consent.id).where(Consent.member_id == mai.id))
    response = client.post(
        f"/members/{lan.id}/consents/{mai_consent}/withdraw", data={"on": "2025-04-01"}
    )
    assert response.status_code == 404
    assert consents_of(app, mai)[0][3] is None


def test_sharing_with_a_provider_is_recorded_on_the_support_page_only(
    app, client, facilitator_group, make_member
):
    """Usability F9b: one way to record consent to share, for a provider of the
    directory (the consent a referral checks); the group's forms no longer take a free-text
    provider, and say where to go instead."""
    lan = make_member(facilitator_group.group)
    before = count(app, Consent)
    response = client.post(
        f"/members/{lan.id}/consents",
        data={"purpose": "provider_sharing", "provider": "OSSO Huế", "given_on": "2025-03-01"},
    )
    assert response.status_code == 200 and shows_form_error(response.get_data(as_text=True))
    assert count(app, Consent) == before
    for page in (f"/members/{lan.id}", f"/members/{lan.id}/consents"):
        text = client.get(page).get_data(as_text=True)
        assert 'value="provider_sharing"' not in text
        assert f'href="/members/{lan.id}/sharing-consent"' in text


def test_provider_is_not_kept_for_other_purposes(app, client, facilitator_group, make_member):
    lan = make_member(facilitator_group.group)
    client.post(
        f"/members/{lan.id}/consents",
        data={"purpose": "phone_contact", "provider": "OSSO Huế", "given_on": "2025-03-01"},
    )
    assert (ConsentPurpose.PHONE_CONTACT, None, date(2025, 3, 1), None) in consents_of(app, lan)


def test_new_member_sharing_consent_without_provider_writes_nothing(app, client, facilitator_group):
    group = facilitator_group.group
    response = client.post(
        f"/groups/{group.id}/members/new",
        data={
            "full_name": "Lê Thị Hồng",
            "gender": "female",
            "category": "survivor",
            "joined_on": "2025-03-01",
            "role": "member",
            "consents": ["programme_data", "provider_sharing"],
            "provider": "",
        },
    )
    assert response.status_code == 200
    assert shows_form_error(response.get_data(as_text=True))
    assert count(app, Member) == 0 and count(app, Consent) == 0


def test_consent_dated_in_the_future_is_refused(app, client, facilitator_group, make_member):
    lan = make_member(facilitator_group.group)
    before = count(app, Consent)
    client.post(
        f"/members/{lan.id}/consents",
        data={"purpose": "phone_contact", "given_on": (today() + timedelta(days=2)).isoformat()},
    )
    assert count(app, Consent) == before


def test_service_refusal_outside_a_request_is_a_domain_error(app, make_group, make_member, leave):
    """Jobs and the CLI call services without a request: a refusal must still be a
    DomainError, not a RuntimeError from choosing the language of its message."""
    from core.errors import DomainError

    lan = make_member(make_group())
    leave(lan, date(2025, 2, 1))
    with app.app_context(), pytest.raises(DomainError):
        member_services.leave_group(
            NOBODY, db.session.get(Member, lan.id), on=date(2025, 3, 1), reason=None
        )


NEW_LAN = {
    "full_name": "Hồ Thị Lan",
    "gender": "female",
    "birth_year": "1990",
    "category": "survivor",
    "joined_on": "2025-03-03",
    "role": "member",
}


@pytest.mark.parametrize(
    ("typed", "birth_year", "warned"),
    [
        ("Hồ Thị Lan", "1990", True),
        ("  ho thi LAN ", "1990", True),  # case, spaces and diacritics aside
        ("Hồ Thị Lan", "", True),  # no year: can't tell them apart
        ("Hồ Thị Lan", "1991", False),
        ("Hồ Thị Lân", "1990", True),  # a warning, not a refusal: the person decides
        ("Hồ Thị Lanh", "1990", False),
    ],
)
def test_a_likely_second_entry_of_a_person_is_asked_about_before_saving(
    app, client, facilitator_group, make_member, typed, birth_year, warned
):
    """Review R5: the same name and birth year in the group is probably the same person.
    Nothing is saved until the facilitator says it is someone else; then it saves once."""
    group = facilitator_group.group
    make_member(group, full_name="Hồ Thị Lan")  # born 1990
    before = count(app, Member)
    data = {**NEW_LAN, "full_name": typed, "birth_year": birth_year}
    response = client.post(f"/groups/{group.id}/members/new", data=data)
    if not warned:
        assert response.status_code == 302 and count(app, Member) == before + 1
        return
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="different_person"' in page
    assert "Hồ Thị Lan" in page and count(app, Member) == before
    confirmed = client.post(
        f"/groups/{group.id}/members/new", data={**data, "different_person": "y"}
    )
    assert confirmed.status_code == 302 and count(app, Member) == before + 1


def test_someone_who_left_the_group_is_not_a_likely_second_entry(
    app, client, facilitator_group, make_member, leave
):
    group = facilitator_group.group
    lan = make_member(group, full_name="Hồ Thị Lan")  # born 1990
    leave(lan, date(2025, 2, 1))
    response = client.post(f"/groups/{group.id}/members/new", data=NEW_LAN)
    assert response.status_code == 302
