"""S10: whoever knows a temporary password cannot enrol their own authenticator.

Enrolment used to come before the forced password change, so anyone the temporary
password passed through could bind their phone to a new coordinator's account first.
Now the person chooses their own password before the enrolment page shows a secret.
"""

import pyotp
import pytest

from accounts.models import Role, User
from core.db import db
from tests.accounts.test_two_factor import enrolled, password_step, strict  # noqa: F401

OWN = "câu mật khẩu của riêng tôi"


@pytest.fixture
def newcomer(make_user):
    return make_user(Role.COORDINATOR, must_change_password=True)


def test_a_temporary_password_cannot_reach_the_enrolment(strict, newcomer):  # noqa: F811
    client = strict.test_client()
    response = password_step(client, newcomer)
    assert response.headers["Location"] == "/login/new-password"
    setup = client.get("/login/two-factor/setup")
    assert setup.status_code == 302 and setup.headers["Location"] == "/login/new-password"
    page = client.get("/login/new-password").get_data(as_text=True)
    assert 'class="secret"' not in page and "<svg" not in page
    assert client.get("/").status_code == 302
    with strict.app_context():
        assert db.session.get(User, newcomer.id).totp_secret is None


def test_the_owner_chooses_a_password_then_enrols_and_is_in(strict, newcomer):  # noqa: F811
    client = strict.test_client()
    password_step(client, newcomer)
    chosen = client.post("/login/new-password", data={"new_password": OWN, "confirm": OWN})
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/login/two-factor/setup"
    page = client.get("/login/two-factor/setup").get_data(as_text=True)
    secret = page.split('<code class="secret">')[1].split("</code>")[0].replace(" ", "")
    enrol = client.post("/login/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert enrol.status_code == 200
    assert client.get("/").status_code == 200  # no second forced password change
    # The temporary password is spent: only the person's own opens the account now.
    again = strict.test_client()
    assert password_step(again, newcomer).status_code == 200
    newcomer.password = OWN
    assert password_step(again, newcomer).headers["Location"] == "/login/two-factor"


def test_the_temporary_password_cannot_be_chosen_again(strict, newcomer):  # noqa: F811
    client = strict.test_client()
    password_step(client, newcomer)
    same = newcomer.password
    response = client.post("/login/new-password", data={"new_password": same, "confirm": same})
    assert response.status_code == 200
    assert 'class="error"' in response.get_data(as_text=True)
    with strict.app_context():
        assert db.session.get(User, newcomer.id).must_change_password


def test_without_the_password_step_the_page_is_closed(strict, newcomer):  # noqa: F811
    client = strict.test_client()
    response = client.post("/login/new-password", data={"new_password": OWN, "confirm": OWN})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    with strict.app_context():
        assert db.session.get(User, newcomer.id).must_change_password


def test_after_an_admin_reset_of_both_the_password_comes_first(strict, make_user):  # noqa: F811
    user = make_user(Role.ADMIN)
    enrolled(strict, user)
    with strict.app_context():
        from accounts import services, two_factor

        row = db.session.get(User, user.id)
        two_factor.disable(None, row)
        services.reset_password(None, row, "tạm thời 98765")
        db.session.commit()
    user.password = "tạm thời 98765"
    client = strict.test_client()
    assert password_step(client, user).headers["Location"] == "/login/new-password"


def test_an_enrolled_user_with_a_temporary_password_gives_the_code_first(strict, make_user):  # noqa: F811
    """Two-factor already bound: the code step comes first, then the forced change."""
    user = make_user(Role.COORDINATOR, must_change_password=True)
    secret = enrolled(strict, user)
    client = strict.test_client()
    assert password_step(client, user).headers["Location"] == "/login/two-factor"
    response = client.post("/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get("/").headers["Location"] == "/account/password"
