"""Who sees what of screening and referrals, beyond tests/test_authorization.py's matrix:
answers and notes for coordinators of the member's current province and admins only,
every read of them audited, members shown nothing, providers kept per province."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import Role, User
from core.audit import AuditEvent
from core.clock import today
from core.db import db
from groups.models import Group, Member
from groups.services import members as member_services
from support.models.referrals import Referral, ServiceProvider
from support.models.screening import Screening, SupportType
from support.services import referrals as referral_services
from support.services import scope as support_scope
from tests.conftest import NGHE_AN, login
from tests.support.helpers import NOBODY

ANSWERS = "/screenings/{screening}"
NOTES = "/referrals/{referral}"


def audit_rows(app, action, detail=None):
    with app.app_context():
        stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        if detail is not None:
            stmt = stmt.where(AuditEvent.detail == detail)
        return db.session.scalar(stmt)


def move_member(app, ids):
    with app.app_context():
        member_services.move_member(
            NOBODY,
            db.session.get(Member, ids["member"]),
            db.session.get(Group, ids["other_group"]),
            on=today(),
        )
        db.session.commit()


@pytest.mark.parametrize(
    "role, status",
    [
        ("facilitator", 403),  # entered it, cannot read it back
        ("other_facilitator", 403),
        ("coordinator", 200),
        ("other_coordinator", 403),
        ("admin", 200),
        ("member", 404),
    ],
)
def test_screening_answers_by_role(app, client, support_world, role, status):
    users, ids = support_world
    login(client, users[role])
    before = audit_rows(app, "view", "answers")
    assert client.get(ANSWERS.format(**ids)).status_code == status
    assert audit_rows(app, "view", "answers") == before + (1 if status == 200 else 0)


def test_after_the_member_moves_answers_follow_the_new_province(app, client, support_world):
    users, ids = support_world
    move_member(app, ids)
    expected = {
        "coordinator": 403,
        "other_coordinator": 200,
        "facilitator": 403,
        "other_facilitator": 403,
    }
    for role, status in expected.items():
        client = app.test_client()
        login(client, users[role])
        assert client.get(ANSWERS.format(**ids)).status_code == status, role
    # The new facilitator sees that it exists; the old one no longer does.
    for role, status in (("other_facilitator", 200), ("facilitator", 403)):
        client = app.test_client()
        login(client, users[role])
        assert client.get(f"/members/{ids['member']}/support").status_code == status, role
        assert client.get(NOTES.format(**ids)).status_code == status, role


def test_the_member_page_says_nothing_to_the_member(app, client, support_world):
    users, ids = support_world
    with app.app_context():
        # The member's own login: their own records stay out of reach all the same.
        db.session.get(User, users["member"].id).member_id = ids["member"]
        db.session.commit()
    login(client, users["member"])
    for path in (
        f"/members/{ids['member']}/support",
        ANSWERS.format(**ids),
        NOTES.format(**ids),
        f"/referrals/{ids['referral']}/letter",
        "/providers",
    ):
        assert client.get(path).status_code == 404, path
    home = client.get("/").text
    # Where they were referred, yes (issue 26); the service, the reason and the
    # screening, no.
    assert "Văn phòng một cửa" in home and "screening" not in home.lower()
    assert "Cần khám" not in home


def test_a_letter_is_for_its_maker_and_managers_not_other_facilitators(app, support_world):
    users, ids = support_world
    with app.app_context():
        coordinator = db.session.get(User, users["coordinator"].id)
        member = db.session.get(Member, ids["member"])
        provider = db.session.get(ServiceProvider, ids["provider"])
        made = referral_services.refer(
            coordinator,
            member,
            provider=provider,
            service=SupportType.LEGAL,
            reason="Lý do riêng",
            expected_on=today() + timedelta(days=3),
            today=today(),
        )
        db.session.commit()
        referral_id = made.id
    client = app.test_client()
    login(client, users["facilitator"])
    assert client.get(f"/referrals/{referral_id}/letter").status_code == 403
    assert "Lý do riêng" not in client.get(f"/referrals/{referral_id}").text
    assert client.get(f"/referrals/{ids['referral']}/letter").status_code == 200


def test_sql_twins_agree_with_the_model_methods(app, support_world):
    users, ids = support_world
    move_member(app, ids)  # the twins must follow the move as the methods do
    with app.app_context():
        for name in users:
            user = db.session.get(User, users[name].id)
            screening = db.session.get(Screening, ids["screening"])
            referral = db.session.get(Referral, ids["referral"])
            seen = db.session.scalar(
                select(func.count())
                .select_from(Referral)
                .where(Referral.id == referral.id, support_scope.visible(user, Referral.member_id))
            )
            notes = db.session.scalar(
                select(func.count())
                .select_from(Screening)
                .where(
                    Screening.id == screening.id,
                    support_scope.notes_visible(user, Screening.member_id),
                )
            )
            assert bool(seen) == referral.can_view(user), name
            assert (
                bool(notes) == screening.can_read_answers(user) == referral.can_read_notes(user)
            ), name


def test_coordinators_keep_providers_of_their_own_provinces_only(app, client, support_world):
    users, ids = support_world
    login(client, users["coordinator"])
    assert client.get(f"/providers/{ids['far_provider']}/edit").status_code == 403
    data = {"name": "Trung tâm mới", "kind": "health", "province_code": str(NGHE_AN)}
    refused = client.post("/providers/new", data=data)
    assert refused.status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(ServiceProvider)
                .where(ServiceProvider.name == "Trung tâm mới")
            )
            == 0
        )
    ok = client.post("/providers/new", data={**data, "province_code": "46"})
    assert ok.status_code == 302
    client = app.test_client()
    login(client, users["facilitator"])
    assert client.get("/providers/new").status_code == 403
    assert client.get("/providers").status_code == 200


def test_facilitator_of_another_group_cannot_screen_or_refer(app, client, support_world):
    users, ids = support_world
    login(client, users["other_facilitator"])
    before = audit_rows(app, "create")
    for path in ("screenings/new", "referrals/new", "sharing-consent"):
        response = client.post(f"/members/{ids['member']}/{path}", data={})
        assert response.status_code == 403, path
    assert audit_rows(app, "create") == before


def test_a_provider_in_no_province_is_refused_without_a_500(app, client, support_world):
    users, ids = support_world
    login(client, users["admin"])
    for province in ("99999", "abc", ""):
        data = {"name": "Nơi ảo", "kind": "health", "province_code": province}
        assert client.post("/providers/new", data=data).status_code == 200, province
    with app.app_context():
        assert not db.session.scalar(
            select(func.count())
            .select_from(ServiceProvider)
            .where(ServiceProvider.name == "Nơi ảo")
        )


def test_the_member_page_links_to_screening_and_services(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    page = client.get(f"/members/{ids['member']}").text
    assert f'href="/members/{ids["member"]}/support"' in page


def test_the_directory_starts_in_the_users_provinces_and_pages_the_rest(
    app, client, support_world, make_user
):
    """Nothing is cut (the list was LIMIT 500): every provider is on some page. A
    coordinator and a facilitator start in their provinces (Huế here), an admin in the
    whole country; "all" and a province are a choice away, and a bad choice is ignored."""
    from tests.support.helpers import add_provider

    users, _ids = support_world
    with app.app_context():
        for i in range(30):
            add_provider(46, f"Điểm hỗ trợ số {i:02d}")
        db.session.commit()
        names = {
            province: set(
                db.session.scalars(
                    select(ServiceProvider.name).where(ServiceProvider.province_code == province)
                )
            )
            for province in (46, NGHE_AN)
        }

    def listed(client, query=""):
        seen, number = [], 1
        while True:
            page = client.get(f"/providers?{query}&page={number}")
            assert page.status_code == 200
            html = page.get_data(as_text=True)
            seen += [n for n in names[46] | names[NGHE_AN] if f"<strong>{n}</strong>" in html]
            pager = html.split('class="pager"')[-1] if 'class="pager"' in html else ""
            if f"page={number + 1}" not in pager:
                return seen
            number += 1
            assert number < 10

    everyone = sorted(names[46] | names[NGHE_AN])
    for role in ("coordinator", "facilitator"):
        client = app.test_client()
        login(client, users[role])
        mine = listed(client)
        assert sorted(mine) == sorted(names[46]), role  # every Huế provider, once
        assert sorted(listed(client, "province=all")) == everyone, role
        assert set(listed(client, f"province={NGHE_AN}")) == names[NGHE_AN], role
        assert sorted(listed(client, "province=abc")) == sorted(mine), role
    client = app.test_client()
    login(client, users["admin"])
    assert sorted(listed(client)) == everyone
    first = client.get("/providers").get_data(as_text=True)
    assert "Trang 1/2" in first or "Page 1 of 2" in first
    # An empty list says why, and where the others are.
    none_here = client.get("/providers?province=1").get_data(as_text=True)
    assert "Tỉnh/thành phố này chưa có đơn vị cung cấp dịch vụ nào." in none_here
    client = app.test_client()
    login(client, make_user(Role.COORDINATOR, provinces=(1,), username="coord.hanoi"))
    none_mine = client.get("/providers").get_data(as_text=True)
    assert "Chọn “Tất cả tỉnh/thành phố” để xem các đơn vị khác." in none_mine
