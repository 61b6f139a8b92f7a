"""Every route × every role. A new route fails test_every_route_is_in_the_matrix until
it is added here with what each role may do."""

import pytest

from accounts.models import Role
from tests.conftest import login

ROLES = ("anonymous", "member", "facilitator", "coordinator", "admin")
OK, REDIRECT, FORBIDDEN, TO_LOGIN = 200, 302, 403, "login"


def everyone(status):
    return dict.fromkeys(ROLES, status)


def staff_only(allowed_status, roles=("admin",)):
    return {
        "anonymous": TO_LOGIN,
        **{r: (allowed_status if r in roles else FORBIDDEN) for r in ROLES[1:]},
    }


# endpoint: (method, path, form data, expected per role)
MATRIX = {
    "core.healthz": ("GET", "/healthz", None, everyone(OK)),
    "core.set_language": ("POST", "/language", {"locale": "en"}, everyone(REDIRECT)),
    "accounts.login": (
        "GET",
        "/login",
        None,
        {"anonymous": OK, **dict.fromkeys(ROLES[1:], REDIRECT)},
    ),
    "accounts.logout": (
        "POST",
        "/logout",
        {},
        {"anonymous": TO_LOGIN, **dict.fromkeys(ROLES[1:], REDIRECT)},
    ),
    "accounts.change_password": (
        "GET",
        "/account/password",
        None,
        {"anonymous": TO_LOGIN, **dict.fromkeys(ROLES[1:], OK)},
    ),
    "reports.home": ("GET", "/", None, {"anonymous": TO_LOGIN, **dict.fromkeys(ROLES[1:], OK)}),
    "accounts.list_users": ("GET", "/admin/users", None, staff_only(OK)),
    "accounts.create_user": ("GET", "/admin/users/new", None, staff_only(OK)),
    "accounts.edit_user": ("GET", "/admin/users/{target}", None, staff_only(OK)),
    "accounts.toggle_active": ("POST", "/admin/users/{target}/active", {}, staff_only(REDIRECT)),
    "accounts.reset_password": ("GET", "/admin/users/{target}/password", None, staff_only(OK)),
}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints == set(MATRIX)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_route_access_by_role(client, make_user, endpoint, role):
    method, path, data, expected = MATRIX[endpoint]
    target = make_user(Role.FACILITATOR, username="target.user")
    if role != "anonymous":
        login(client, make_user(Role(role)))
    url = path.format(target=target.id)
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    want = expected[role]
    if want == TO_LOGIN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == want, response.get_data(as_text=True)[:500]
