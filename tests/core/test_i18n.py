from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from accounts.models import Role, User
from core.db import db
from core.i18n import format_day, format_moment, format_vnd, format_weekday
from tests.conftest import login


def test_login_page_is_vietnamese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Tên đăng nhập" in page and "Mật khẩu" in page


ENGLISH_PHONE = {"Accept-Language": "en-US,en;q=0.9,vi;q=0.8"}


@pytest.mark.parametrize("path", ["/login", "/login/member", "/no-such-page"])
def test_a_phone_set_to_english_still_gets_vietnamese(client, path):
    page = client.get(path, headers=ENGLISH_PHONE).get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Username" not in page and "Log in" not in page


def test_a_logged_in_user_who_never_chose_gets_vietnamese_on_an_english_phone(
    client, make_user
):
    user = make_user(Role.FACILITATOR)
    login(client, user)
    page = client.get("/", headers=ENGLISH_PHONE).get_data(as_text=True)
    assert '<html lang="vi">' in page and "Nhóm của bạn" in page


def test_english_chosen_by_a_user_is_kept_whatever_the_browser_says(app, client, make_user):
    user = make_user(Role.FACILITATOR)
    login(client, user)
    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get("/", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_choosing_english_before_login_is_kept_in_the_session(client):
    response = client.post("/language", data={"locale": "en", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Username" in page


def test_choice_made_before_login_is_saved_for_the_user(app, client, make_user):
    user = make_user(Role.FACILITATOR)
    client.post("/language", data={"locale": "en", "next": "/login"})
    login(client, user)
    with app.app_context():
        assert db.session.get(User, user.id).locale == "en"


def test_logged_in_users_choice_follows_them_to_another_device(app, make_user):
    user = make_user(Role.FACILITATOR)
    phone = app.test_client()
    login(phone, user)
    phone.post("/language", data={"locale": "en", "next": "/"})
    laptop = app.test_client()  # fresh cookies, Vietnamese browser
    login(laptop, user)
    page = laptop.get("/", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert "Hello," in page


@pytest.mark.parametrize("locale", ["fr", "", "vi_VN<script>", "../../etc"])
def test_unknown_locale_is_refused_with_a_clear_page_and_changes_nothing(client, locale):
    response = client.post("/language", data={"locale": locale, "next": "/login"})
    assert response.status_code == 400
    assert "Chưa hỗ trợ ngôn ngữ này." in response.get_data(as_text=True)
    assert '<html lang="vi">' in client.get("/login").get_data(as_text=True)


def test_language_switch_redirects_only_within_the_site(client):
    response = client.post("/language", data={"locale": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_money_dates_and_times_are_formatted_by_locale(app):
    with app.test_request_context():
        with force_locale("vi"):
            assert format_vnd(1_500_000) == "1.500.000\xa0₫"
            assert format_day(date(2026, 11, 29)) == "29/11/2026"
            assert format_day(date(2026, 12, 1)) == "01/12/2026"  # dd/MM/yyyy, never 1/12/2026
            assert format_weekday(date(2026, 12, 5)) == "Thứ Bảy, 05/12/2026"
            # 01:30 UTC is 08:30 in Hà Nội
            assert format_moment(datetime(2026, 11, 29, 1, 30, tzinfo=UTC)) == "08:30, 29/11/2026"
            assert format_moment(datetime(2026, 12, 4, 20, 0, tzinfo=UTC)) == "03:00, 05/12/2026"
            # a timestamp given as a day is the day in Viet Nam (issue 27, F9)
            assert format_day(datetime(2026, 12, 6, 20, 30, tzinfo=UTC)) == "07/12/2026"
            assert format_day(datetime(2026, 12, 6, 16, 59)) == "06/12/2026"  # naive: UTC
        with force_locale("en"):
            assert format_vnd(1_500_000) == "₫1,500,000"
            # day first in English too, with the month named: never 12/1/2026
            assert format_day(date(2026, 12, 1)) == "1 Dec 2026"
            assert format_weekday(date(2026, 12, 5)) == "Saturday 5 Dec 2026"
            assert format_moment(datetime(2026, 11, 29, 1, 30, tzinfo=UTC)) == "08:30, 29 Nov 2026"
