import pytest
from sqlalchemy import func, select

from accounts.models import Role, User
from core.audit import AuditEvent
from core.db import db
from tests.conftest import HUE, NGHE_AN, login


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def new_user_form(**overrides) -> dict:
    data = {
        "username": "hoa.tran",
        "full_name": "Trần Thị Hoa",
        "role": "coordinator",
        "provinces": [str(HUE), str(NGHE_AN)],
        "new_password": "tạm thời 12345",
        "confirm": "tạm thời 12345",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_coordinator_with_provinces_who_must_change_password(app, client, login_as):
    login_as(Role.ADMIN)
    response = client.post("/admin/users/new", data=new_user_form())
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "hoa.tran"))
        assert user.role == Role.COORDINATOR
        assert user.province_codes == {HUE, NGHE_AN}
        assert user.must_change_password
        assert (
            db.session.scalar(
                select(AuditEvent).where(
                    AuditEvent.action == "create", AuditEvent.object_id == user.id
                )
            )
            is not None
        )


def test_new_users_list_shows_them(client, login_as):
    login_as(Role.ADMIN)
    client.post("/admin/users/new", data=new_user_form())
    page = client.get("/admin/users?q=hoa").get_data(as_text=True)
    assert "Trần Thị Hoa" in page and "Huế" in page


def test_duplicate_username_is_a_form_error_and_writes_nothing(app, client, login_as, make_user):
    make_user(Role.FACILITATOR, username="hoa.tran")
    login_as(Role.ADMIN)
    before = count_users(app)
    response = client.post("/admin/users/new", data=new_user_form(username="Hoa.Tran"))
    assert response.status_code == 200
    assert "Tên đăng nhập này đã có người dùng." in response.get_data(as_text=True)
    assert count_users(app) == before


def test_over_long_name_is_a_form_error_and_writes_nothing(app, client, login_as):
    login_as(Role.ADMIN)
    before = count_users(app)
    response = client.post("/admin/users/new", data=new_user_form(full_name="Ng" * 100))
    assert "Tối đa 120 ký tự." in response.get_data(as_text=True)
    assert count_users(app) == before


def test_coordinator_without_province_is_refused(app, client, login_as):
    login_as(Role.ADMIN)
    before = count_users(app)
    response = client.post("/admin/users/new", data=new_user_form(provinces=[]))
    assert "phải phụ trách ít nhất một tỉnh" in response.get_data(as_text=True)
    assert count_users(app) == before


def test_unknown_province_code_or_role_is_a_form_error(app, client, login_as):
    login_as(Role.ADMIN)
    before = count_users(app)
    for data in (
        new_user_form(provinces=["99999"]),
        new_user_form(provinces=["abc"]),
        new_user_form(role="superuser"),
    ):
        response = client.post("/admin/users/new", data=data)
        assert response.status_code == 200
        assert 'class="error"' in response.get_data(as_text=True)
    assert count_users(app) == before


def test_names_are_normalised_and_control_characters_dropped(app, client, login_as):
    login_as(Role.ADMIN)
    decomposed = "Nguye\u0302\u0303n\x00 Thi\u0323 Hoa"
    client.post(
        "/admin/users/new",
        data=new_user_form(full_name=decomposed, role="facilitator", provinces=[]),
    )
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "hoa.tran"))
        assert user.full_name == "Nguyễn Thị Hoa"


def test_missing_csrf_token_writes_nothing(app, client, login_as):
    login_as(Role.ADMIN)
    before = count_users(app)
    response = client.post("/admin/users/new", data=new_user_form(), csrf=False)
    assert response.status_code == 400
    assert count_users(app) == before


def test_admin_changes_role_and_the_user_is_logged_out(app, client, login_as, make_user):
    target = make_user(Role.FACILITATOR)
    target_client = app.test_client()
    login(target_client, target)
    login_as(Role.ADMIN)
    response = client.post(
        f"/admin/users/{target.id}",
        data={"full_name": "Trần Văn Nam", "role": "coordinator", "provinces": [str(NGHE_AN)]},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, target.id)
        assert (user.role, user.full_name, user.province_codes) == (
            Role.COORDINATOR,
            "Trần Văn Nam",
            {NGHE_AN},
        )
    assert target_client.get("/").status_code == 302


def test_admin_cannot_change_own_role_or_deactivate_self(app, client, login_as):
    admin = login_as(Role.ADMIN)
    response = client.post(
        f"/admin/users/{admin.id}", data={"full_name": "X", "role": "facilitator"}
    )
    assert "Bạn không thể tự đổi vai trò của mình." in response.get_data(as_text=True)
    client.post(f"/admin/users/{admin.id}/active")
    with app.app_context():
        user = db.session.get(User, admin.id)
        assert user.role == Role.ADMIN and user.active


def test_deactivated_user_can_be_activated_again(app, client, login_as, make_user):
    target = make_user(Role.FACILITATOR, active=False)
    login_as(Role.ADMIN)
    client.post(f"/admin/users/{target.id}/active")
    assert login(app.test_client(), target).status_code == 302


def test_password_reset_logs_out_and_forces_a_new_password(app, client, login_as, make_user):
    target = make_user(Role.COORDINATOR)
    target_client = app.test_client()
    login(target_client, target)
    login_as(Role.ADMIN)
    client.post(
        f"/admin/users/{target.id}/password",
        data={"new_password": "mật khẩu tạm 2026", "confirm": "mật khẩu tạm 2026"},
    )
    assert target_client.get("/").status_code == 302
    target.password = "mật khẩu tạm 2026"
    fresh = app.test_client()
    login(fresh, target)
    assert fresh.get("/").headers["Location"] == "/account/password"


def test_mismatched_reset_passwords_change_nothing(app, client, login_as, make_user):
    target = make_user(Role.COORDINATOR)
    login_as(Role.ADMIN)
    response = client.post(
        f"/admin/users/{target.id}/password",
        data={"new_password": "mật khẩu tạm 2026", "confirm": "khác hẳn rồi nhé"},
    )
    assert "Mật khẩu nhập lại không khớp." in response.get_data(as_text=True)
    assert login(app.test_client(), target).status_code == 302


def test_unknown_or_non_numeric_user_id_is_404(client, login_as):
    login_as(Role.ADMIN)
    assert client.get("/admin/users/999999").status_code == 404
    response = client.get("/admin/users/abc")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["facilitator", "coordinator", "admin"])
def test_the_user_form_never_turns_a_member_login_into_staff(app, client, make_user, role):
    member = make_user(Role.MEMBER)
    login(client, make_user(Role.ADMIN))
    response = client.post(
        f"/admin/users/{member.id}",
        data={"full_name": "X", "role": role, "provinces": ["46"]},
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(User, member.id).role == Role.MEMBER
    # Saving the name keeps the member a member.
    response = client.post(
        f"/admin/users/{member.id}", data={"full_name": "HUE-2026-0001", "role": "member"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, member.id).role == Role.MEMBER
