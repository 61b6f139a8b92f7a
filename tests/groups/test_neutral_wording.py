"""Screens open in the village say nothing sensitive: no default category, the category only
in the profile's closed protected section, neutral labels in lists, and a member's phone
only while they agree to phone contact."""

import os
import re
from datetime import date

import pytest
from sqlalchemy import select

from core.db import db
from groups.models import ConsentPurpose, Member, MemberCategory
from groups.services import members as member_services
from tests.conftest import ROOT
from tests.groups.helpers import NOBODY
from tests.groups.test_input import member_data  # noqa: F401  (fixture)

PHONE = "0905 123 456"


def test_the_new_member_form_preselects_no_category(client, facilitator_group):
    page = client.get(f"/groups/{facilitator_group.group.id}/members/new").get_data(as_text=True)
    select_html = re.search(r'(?s)<select[^>]*name="category".*?</select>', page).group(0)
    assert "selected" not in select_html
    assert re.search(r'<option value="">', select_html)  # "Chọn…" comes first


def test_a_new_member_without_a_category_is_refused_and_nothing_is_written(
    app, client, facilitator_group, member_data  # noqa: F811
):
    response = client.post(
        f"/groups/{facilitator_group.group.id}/members/new", data=member_data(category="")
    )
    assert response.status_code == 200
    assert "Hãy chọn diện." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Member)).all() == []


@pytest.fixture
def hong(app, facilitator_group, make_member):
    return make_member(
        facilitator_group.group,
        full_name="Lê Thị Hồng",
        category=MemberCategory.SURVIVOR,
        phone=PHONE,
    )


def test_the_category_is_only_in_the_closed_protected_section(app, client, hong):
    page = client.get(f"/members/{hong.id}").get_data(as_text=True)
    with app.app_context():
        label = str(MemberCategory.SURVIVOR.label)
    protected = re.search(r'(?s)<details class="protected">.*?</details>', page)
    assert protected and label in protected.group(0)
    assert "<details class=\"protected\" open" not in page
    assert page.count(label) == 1
    assert "mua bán" not in page.lower()


def test_lists_and_filters_show_a_neutral_label(app, client, hong):
    page = client.get("/members").get_data(as_text=True)
    with app.app_context():
        for category in MemberCategory:
            assert str(category.label) not in page
            assert str(category.neutral_label) in page
    assert "Lê Thị Hồng" in page


def test_the_phone_is_hidden_until_the_member_agrees_to_phone_contact(app, client, hong):
    page = client.get(f"/members/{hong.id}").get_data(as_text=True)
    assert PHONE not in page
    assert "chưa đồng ý liên lạc qua điện thoại" in page
    with app.app_context():
        member = db.session.get(Member, hong.id)
        consent = member_services.record_consent(
            NOBODY, member, purpose=ConsentPurpose.PHONE_CONTACT, provider=None,
            given_on=date(2025, 3, 1),
        )
        db.session.commit()
        consent_id = consent.id
    page = client.get(f"/members/{hong.id}").get_data(as_text=True)
    assert f'href="tel:{PHONE.replace(" ", "")}"' in page
    with app.app_context():
        member_services.withdraw_consent(
            NOBODY, db.session.get(type(consent), consent_id), on=date(2025, 4, 1)
        )
        db.session.commit()
    assert PHONE not in client.get(f"/members/{hong.id}").get_data(as_text=True)


ALLOWED_PHONES = ("form", "person", "user", "current_user", "referrer", "office")


def test_every_template_shows_a_members_phone_through_the_one_helper():
    """Only form fields, staff contacts (a user's phone) and the public number of the
    office a member was sent to may read .phone directly."""
    direct = []
    for dirpath, _dirs, files in os.walk(os.path.join(ROOT, "templates")):
        for name in files:
            with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    for m in re.finditer(r"(\w+)\.phone\b(?!_to_show)", line):
                        if m.group(1) not in ALLOWED_PHONES:
                            direct.append((name, number, m.group(0)))
    assert direct == [], "use member.phone_to_show(current_user)"


def test_length_limits_are_written_with_thousands_separators(
    client, facilitator_group, member_data  # noqa: F811
):
    response = client.post(
        f"/groups/{facilitator_group.group.id}/members/new", data=member_data(notes="x" * 2001)
    )
    assert "Tối đa 2.000 ký tự." in response.get_data(as_text=True)
