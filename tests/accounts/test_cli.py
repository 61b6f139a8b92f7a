from sqlalchemy import select

from accounts.models import Role, User
from core.db import db
from core.security import verify_password


def test_users_create_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(
        args=["users", "create", "--username", "Admin", "--full-name", "Trần Quốc Bảo"],
        input="một mật khẩu dài\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "admin"))
        assert user.role == Role.ADMIN
        assert verify_password(user.password_hash, "một mật khẩu dài")


def test_users_create_takes_no_password_argument(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "a",
            "--full-name",
            "A",
            "--password",
            "secret-secret",
        ]
    )
    assert result.exit_code != 0
    assert "No such option" in result.output


def test_users_create_refuses_a_short_password_and_writes_nothing(app, runner):
    result = runner.invoke(
        args=["users", "create", "--username", "admin", "--full-name", "A"], input="short\n"
    )
    assert result.exit_code != 0
    assert "10 and 128" in result.output
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_coordinator_needs_a_province(runner):
    result = runner.invoke(
        args=["users", "create", "--username", "c", "--full-name", "C", "--role", "coordinator"],
        input="một mật khẩu dài\n",
    )
    assert result.exit_code != 0


def test_duplicate_username_is_refused(runner, make_user):
    make_user(Role.ADMIN, username="admin")
    result = runner.invoke(
        args=["users", "create", "--username", "admin", "--full-name", "A"],
        input="một mật khẩu dài\n",
    )
    assert result.exit_code != 0
    assert "already taken" in result.output
