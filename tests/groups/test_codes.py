"""Group and member codes: province abbreviation, joining year, increasing sequence."""

import re
from datetime import date

from sqlalchemy import select, update

from accounts.models import Role
from core.db import db
from core.places import Province
from groups.models import Group, Member
from tests.conftest import HUE, NGHE_AN, QUANG_TRI


def test_group_codes_count_up_per_province(make_group):
    first, second = make_group(HUE), make_group(HUE)
    other = make_group(NGHE_AN)
    assert (first.code, second.code) == ("HUE-N001", "HUE-N002")
    assert other.code == "NAN-N001"


def test_member_codes_carry_province_joining_year_and_a_sequence(make_group, make_member):
    hue = make_group(HUE, founded_on=date(2024, 1, 1))
    nghe_an = make_group(NGHE_AN, founded_on=date(2024, 1, 1))
    codes = [
        make_member(hue, joined_on=date(2025, 2, 1)).code,
        make_member(hue, joined_on=date(2025, 3, 1)).code,
        make_member(hue, joined_on=date(2024, 6, 1)).code,
        make_member(nghe_an, joined_on=date(2025, 2, 1)).code,
        make_member(hue, joined_on=date(2025, 4, 1)).code,
    ]
    assert codes == [
        "HUE-2025-0001",
        "HUE-2025-0002",
        "HUE-2024-0001",
        "NAN-2025-0001",
        "HUE-2025-0003",
    ]


def test_every_province_has_a_distinct_three_letter_abbreviation(app):
    with app.app_context():
        provinces = db.session.scalars(select(Province)).all()
        abbreviations = {p.code: p.abbreviation for p in provinces}
    assert len(provinces) == 34
    assert all(re.fullmatch(r"[A-Z]{3}", a) for a in abbreviations.values())
    assert len(set(abbreviations.values())) == 34
    assert abbreviations[NGHE_AN] == "NAN"
    assert abbreviations[HUE] == "HUE"
    assert abbreviations[QUANG_TRI] == "QTR"


def test_member_added_through_the_form_gets_the_next_code(
    app, client, facilitator_group, make_member
):
    group = facilitator_group.group
    make_member(group, joined_on=date(2025, 1, 6))
    response = client.post(
        f"/groups/{group.id}/members/new",
        data={
            "full_name": "Lê Thị Hồng",
            "gender": "female",
            "category": "survivor",
            "joined_on": "2025-05-02",
            "role": "member",
            "consents": ["programme_data"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.full_name == "Lê Thị Hồng"))
        assert member.code == "HUE-2025-0002"


def test_group_created_through_the_form_gets_the_next_code(app, client, login_as, make_group):
    make_group(HUE)
    login_as(Role.COORDINATOR, provinces=(HUE,))
    with app.app_context():
        commune = db.session.scalar(select(Group.commune_code))
    response = client.post(
        "/groups/new",
        data={
            "name": "Nhóm Thôn Tây",
            "province_code": str(HUE),
            "commune_code": str(commune),
            "village": "",
            "founded_on": "2025-01-06",
            "status": "active",
            "cadence": "weekly",
            "meeting_weekday": "0",
            "partner": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(Group.code).where(Group.name == "Nhóm Thôn Tây")) == "HUE-N002"
        )


def test_member_codes_stay_unique_past_the_four_digit_sequence(app, make_group, make_member):
    group = make_group(HUE)
    last = make_member(group, joined_on=date(2025, 2, 1))
    with app.app_context():
        db.session.execute(update(Member).where(Member.id == last.id).values(code="HUE-2025-9999"))
        db.session.commit()
    after = [make_member(group, joined_on=date(2025, 3, 1)).code for _ in range(2)]
    assert len(set(after)) == 2
    assert "HUE-2025-9999" not in after
