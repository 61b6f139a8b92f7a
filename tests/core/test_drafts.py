"""A form sent after the session ended is kept for its user and comes back after login.

Every form page of the app is tried (the authorization matrix lists them): whatever was
typed into its text fields comes back in the form after logging in again, and nothing is
saved on the way.
"""

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from accounts.models import AuthSession
from core.audit import AuditEvent
from core.db import db, utcnow
from core.drafts import FormDraft
from tests import test_authorization
from tests.conftest import login
from tests.test_authorization import MATRIX, POSTED

world = test_authorization.world  # the authorization matrix's people and records

# Every page with a form of its own, except the login forms (public: no session).
PUBLIC_FORMS = (
    "accounts.login",
    "accounts.member_login",
    "accounts.login_code",
    "accounts.login_enrol",
    "accounts.login_new_password",  # a step of logging in, like the two above
    "providers.link",  # the letter's link: its code is the provider's only sign-in
)
# The world's member already has a plan in progress, so its "open a plan" page sends
# staff to that plan (tests/test_authorization.py expects the redirect): no form to keep.
SHOWS_NO_FORM = {"plans.open_plan"}
FORM_PAGES = sorted(e for e in POSTED if e not in PUBLIC_FORMS and e not in SHOWS_NO_FORM)
KEPT_VI = "Những gì bạn đã nhập vẫn được giữ"
BACK_VI = "Những gì bạn đã nhập trước khi đăng nhập đã được điền lại"
SECRET = "bí mật không được giữ"


class FormFields(HTMLParser):
    """Names of the typed-in fields of the page's forms (text, textarea, password)."""

    def __init__(self):
        super().__init__()
        self.text, self.secret = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "textarea" or (tag == "input" and a.get("type") in ("text", "search", "tel")):
            if a.get("name") and a["name"] != "q":
                self.text.append(a["name"])
        elif tag == "input" and a.get("type") == "password":
            self.secret.append(a["name"])


def fields_of(page: str) -> FormFields:
    parser = FormFields()
    parser.feed(page)
    return parser


def role_for(endpoint: str) -> str:
    allowed = POSTED[endpoint]
    return next(r for r in ("facilitator", "coordinator", "admin") if allowed[r] in (200, 302))


def end_session(app) -> None:
    with app.app_context():
        db.session.execute(
            update(AuthSession).values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
        db.session.commit()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def cookie_contents(app, client) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return str(app.session_interface.get_signing_serializer(app).loads(cookie.value))


@pytest.mark.parametrize("endpoint", FORM_PAGES)
def test_a_form_sent_after_the_session_ended_comes_back_filled_in_after_login(
    app, client, world, endpoint
):
    users, ids = world
    user = users[role_for(endpoint)]
    url = MATRIX[endpoint][1].format(**ids)
    login(client, user)
    fields = fields_of(client.get(url).get_data(as_text=True))
    typed = {name: f"Đã gõ {i} ở {name}" for i, name in enumerate(fields.text)}
    token = client.csrf_token()
    end_session(app)
    audits = count(app, AuditEvent)

    # The first request after the idle time is the save itself.
    response = client.post(
        url, data={**typed, **dict.fromkeys(fields.secret, SECRET), "csrf_token": token}
    )

    # Not saved, not lost: sent to log in, with a sentence saying it is kept.
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [url]
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert KEPT_VI in login_page
    assert count(app, AuditEvent) == audits  # nothing was changed
    with app.app_context():
        draft = db.session.scalar(select(FormDraft))
        assert draft.user_id == user.id and draft.path == url
        assert SECRET not in draft.data and "csrf_token" not in draft.data
    for value in typed.values():
        assert value not in cookie_contents(app, client)  # data never in the cookie

    # Log in again through that page: back on the form, filled in, not saved yet.
    response = client.post(
        response.headers["Location"], data={"username": user.username, "password": user.password}
    )
    assert response.headers["Location"] == url
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert BACK_VI in html
    for value in typed.values():
        assert value in html, value
    assert SECRET not in html
    assert count(app, FormDraft) == 0  # deleted once used
    with app.app_context():  # the login, and the page shown (a read), nothing else
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.id > audits))
        assert sorted(actions) in (["login"], ["login", "view"])
    # Opening the page again shows it fresh.
    again = client.get(url).get_data(as_text=True)
    assert BACK_VI not in again
    assert all(value not in again for value in typed.values())


def test_the_restored_meeting_keeps_its_attendance_marks_and_saves(app, client, world, make_member):
    users, ids = world
    url = f"/groups/{ids['group']}/meetings/new"
    login(client, users["facilitator"])
    page = client.get(url).get_data(as_text=True)
    member_ids = re.findall(r'name="att-(\d+)"', page)
    assert member_ids
    token = client.csrf_token()
    end_session(app)
    data = {
        "held_on": "2025-03-03",
        "kind": "regular",
        "topics": "Tiết kiệm",
        **{f"att-{m}": "absent" for m in member_ids},
    }
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.headers["Location"].startswith("/login")
    login(client, users["facilitator"])
    html = client.get(url).get_data(as_text=True)
    for m in member_ids:
        assert re.search(rf'id="att-{m}-absent"[^>]*checked', html)
    assert 'value="2025-03-03"' in html
    # Ready to save: the page's own form sends it.
    saved = client.post(url, data=data)
    assert saved.status_code == 302 and "/meetings/" in saved.headers["Location"]


def test_another_person_logging_in_on_the_phone_does_not_get_the_form(app, client, world):
    users, ids = world
    url = f"/members/{ids['member']}/edit"
    login(client, users["facilitator"])
    token = client.csrf_token()
    end_session(app)
    client.post(url, data={"full_name": "Tên bí mật", "csrf_token": token})
    login(client, users["coordinator"])
    html = client.get(url).get_data(as_text=True)
    assert "Tên bí mật" not in html
    assert count(app, FormDraft) == 1  # still waiting for its own user


def test_a_kept_form_expires(app, client, world):
    users, ids = world
    url = f"/members/{ids['member']}/edit"
    login(client, users["facilitator"])
    token = client.csrf_token()
    end_session(app)
    client.post(url, data={"full_name": "Tên cũ quá", "csrf_token": token})
    with app.app_context():
        db.session.execute(
            update(FormDraft).values(
                created_at=utcnow() - timedelta(minutes=app.config["FORM_DRAFT_MINUTES"] + 1)
            )
        )
        db.session.commit()
    login(client, users["facilitator"])
    assert "Tên cũ quá" not in client.get(url).get_data(as_text=True)
    assert count(app, FormDraft) == 0


def test_a_post_without_any_session_keeps_nothing(app, client, world):
    _users, ids = world
    response = client.post(f"/members/{ids['member']}/edit", data={"full_name": "Ai đó"})
    assert response.headers["Location"].startswith("/login")
    assert count(app, FormDraft) == 0


def test_a_form_sent_after_logging_out_is_not_kept(app, client, world):
    users, ids = world
    login(client, users["facilitator"])
    client.post("/logout")
    response = client.post(f"/members/{ids['member']}/edit", data={"full_name": "Ai đó"})
    assert response.headers["Location"].startswith("/login")
    assert count(app, FormDraft) == 0
