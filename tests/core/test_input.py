"""Malformed input from URLs, query strings and forms: read in one place each, a clear
answer (404, the last page, one form error), never a 500 and nothing written."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from wtforms import DateField

from accounts.models import Role
from core.clock import today
from core.dates import DayField
from core.db import db
from core.money import AmountError, parse_vnd
from core.parse import MAX_ID, parse_int
from groups import forms as group_forms
from livelihoods import forms as grant_forms
from tests.conftest import HUE, config_for, login
from tests.livelihoods.grant_fixtures import build_world, client_for, make_grant, use_english

VI_UNAVAILABLE = "Hệ thống tạm thời không hoạt động"
HUGE_IDS = [str(MAX_ID + 1), str(2**63), "99999999999999999999", "١٢", "²", "①"]


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("0", 0),
        ("42", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("²", None),
        ("①", None),
        ("١٢", None),
        ("１２", None),
        (" 12", None),
        ("1_000", None),
        ("-1", None),
        ("+1", None),
        ("12\n", None),
        ("", None),
        (None, None),
    ],
)
def test_numbers_are_ascii_digits_within_range(raw, number):
    assert parse_int(raw) == number


def test_an_id_the_database_cannot_hold_or_in_other_digits_is_404_on_every_route(app, make_user):
    admin = make_user(Role.ADMIN)
    client = app.test_client()
    login(client, admin)
    rules = [r for r in app.url_map.iter_rules() if re.search(r"<int:", r.rule)]
    assert len(rules) >= 20
    for rule in rules:
        for value in HUGE_IDS:
            path = re.sub(r"<int:\w+>", value, rule.rule)
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(path, method=method, data={} if method == "POST" else None)
            assert response.status_code == 404, (path, method, response.status_code)


def test_any_page_number_gives_a_page_of_every_list(app, make_user):
    admin = make_user(Role.ADMIN)
    client = app.test_client()
    login(client, admin)
    for path in ["/members", "/groups", "/grants", "/admin/users", "/inbox", "/providers"]:
        for page in [str(2**63), str(2**64), "9223372036854775807", "²", "-1", "0", "1e20"]:
            assert client.get(f"{path}?page={page}").status_code == 200, (path, page)


def test_a_page_past_the_end_shows_the_last_page(app, make_user):
    app.config["PER_PAGE"] = 2
    admin = make_user(Role.ADMIN, username="admin")
    for i in range(4):
        make_user(Role.FACILITATOR, username=f"zz{i}")
    client = app.test_client()
    login(client, admin)
    last = client.get("/admin/users?page=3").get_data(as_text=True)
    assert "zz3" in last
    assert client.get(f"/admin/users?page={2**70}").get_data(as_text=True).count("zz3") >= 1


@pytest.mark.parametrize(
    "query",
    ["group=²", "province=①", "commune=١٢", f"group={2**64}", "group=2147483648", "province=-1"],
)
def test_unicode_digits_in_filters_are_ignored(app, make_user, query):
    admin = make_user(Role.ADMIN)
    client = app.test_client()
    login(client, admin)
    assert client.get(f"/members?{query}").status_code == 200
    assert client.get(f"/groups?{query}").status_code == 200


# Amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("5000000", 5_000_000),
        ("5.000.000", 5_000_000),
        ("5,000,000", 5_000_000),
        ("5 000 000", 5_000_000),
        ("5.000.000đ", 5_000_000),
        ("5.000.000 ₫", 5_000_000),
        ("5.000.000 đồng", 5_000_000),
        ("5000000 VND", 5_000_000),
        ("5 triệu", 5_000_000),
        ("5 Triệu", 5_000_000),
        ("5,5 triệu", 5_500_000),
        ("5.5tr", 5_500_000),
        ("1,25 triệu", 1_250_000),
        ("500k", 500_000),
        ("500 nghìn", 500_000),
        ("1 tỷ", 1_000_000_000),
        # Spoken shorthand (usability F9h): the digits after the unit are its next places.
        ("1tr5", 1_500_000),
        ("5tr5", 5_500_000),
        ("1tr25", 1_250_000),
        ("2tr250", 2_250_000),
        ("1 triệu 2", 1_200_000),
        ("1TR5", 1_500_000),
        ("5k5", 5_500),
        ("1tr", 1_000_000),
    ],
)
def test_amounts_are_read_as_people_type_them(typed, amount):
    assert parse_vnd(typed) == amount


@pytest.mark.parametrize(
    "typed",
    [
        "1,5", "5.00.000", "-5", "²", "5 con lợn", "1e6", "1tr5555", "5tr5k", "tr5",
        "1" * 400, "1,2345 triệu", "nan", "5 con 5",
    ],
)
def test_text_that_is_not_an_amount_is_refused(typed):
    with pytest.raises(AmountError):
        parse_vnd(typed)


AMOUNT_FORMS = [
    ("draft", "/members/{member}/grants/new", "amount_requested", {"activity": "livestock"}),
    ("decide", "/grants/{submitted}/decide", "amount", {"decision": "approve"}),
    ("tranche", "/grants/{approved}/tranches/new", "amount", {"method": "cash"}),
    ("visit", "/follow-ups/{follow_up}/visit", "monthly_income", {"business_status": "operating"}),
]


@pytest.fixture
def grants(app, make_user, make_group, make_member):
    from tests.livelihoods.grant_fixtures import follow_up_ids

    world = build_world(make_user, make_group, make_member)
    submitted = make_grant(app, world.mai, drafter=world.facilitator, upto="submitted")
    approved = make_grant(
        app, world.mai, drafter=world.facilitator, upto="approved", decider=world.coordinator
    )
    disbursed = make_grant(
        app, world.lan, drafter=world.facilitator, upto="disbursed", decider=world.coordinator
    )
    ids = {
        "member": world.mai.id,
        "submitted": submitted,
        "approved": approved,
        "follow_up": follow_up_ids(app, disbursed)[0],
    }
    client = client_for(app, world.admin)
    use_english(client)
    return client, ids


def test_a_bad_amount_gets_exactly_one_message_in_every_amount_field(app, grants):
    client, ids = grants
    before = row_counts(app)
    for name, url, field, extra in AMOUNT_FORMS:
        for typed in ["1" * 400, "9" * 4300, "5.000.000.000", "abc", "-1", "²"]:
            data = {
                "plan": "Nuôi lợn",
                "paid_on": today().isoformat(),
                "visited_on": today().isoformat(),
                field: typed,
                **extra,
            }
            response = client.post(url.format(**ids), data=data)
            assert response.status_code == 200, name
            page = response.get_data(as_text=True)
            errors = re.findall(rf'<p class="error" id="{field}-error">', page)
            assert len(errors) == 1, (name, typed[:10])
    assert row_counts(app) == before


def test_typed_amounts_are_saved_and_shown_with_thousands_separators(app, grants):
    client, ids = grants
    response = client.post(
        f"/members/{ids['member']}/grants/new",
        data={"activity": "livestock", "plan": "Nuôi lợn", "amount_requested": "5,5 triệu"},
    )
    assert response.status_code == 302
    edit = client.get(response.headers["Location"] + "/edit").get_data(as_text=True)
    assert 'value="5,500,000"' in edit  # English separators; Vietnamese below
    client.post("/language", data={"locale": "vi"})
    edit = client.get(response.headers["Location"] + "/edit").get_data(as_text=True)
    assert 'value="5.500.000"' in edit
    again = client.post(
        response.headers["Location"] + "/edit",
        data={"activity": "livestock", "plan": "Nuôi lợn", "amount_requested": "5.500.000"},
    )
    assert again.status_code == 302


# Dates -----------------------------------------------------------------------------------


def test_every_date_field_of_every_form_has_the_window():
    for module in (group_forms, grant_forms):
        for form in vars(module).values():
            if isinstance(form, type) and hasattr(form, "_unbound_fields"):
                for name in dir(form):
                    unbound = getattr(form, name)
                    field_class = getattr(unbound, "field_class", None)
                    if field_class and issubclass(field_class, DateField):
                        assert issubclass(field_class, DayField), (form.__name__, name)


DATE_CASES = [
    ("/grants/{approved}/tranches/new", "paid_on", "0001-01-01", "1 Jan 2015"),
    ("/grants/{approved}/tranches/new", "paid_on", "2014-12-31", "1 Jan 2015"),
    ("/grants/{approved}/tranches/new", "paid_on", "+1", "cannot be in the future"),
    ("/follow-ups/{follow_up}/visit", "visited_on", "0001-01-01", "1 Jan 2015"),
    ("/follow-ups/{follow_up}/visit", "visited_on", "+1", "cannot be in the future"),
    ("/follow-ups/{follow_up}/visit", "visited_on", "２０２６-01-01", "Not a valid date"),
]


def test_a_date_outside_the_window_gets_one_message_that_says_the_window(app, grants):
    client, ids = grants
    before = row_counts(app)
    for url, field, day, says in DATE_CASES:
        if day == "+1":
            day = (today() + timedelta(days=1)).isoformat()
        data = {
            "amount": "1000",
            "method": "cash",
            "business_status": "operating",
            "paid_on": today().isoformat(),
            "visited_on": today().isoformat(),
            field: day,
        }
        page = client.post(url.format(**ids), data=data).get_data(as_text=True)
        errors = re.findall(rf'<p class="error" id="{field}-error">([^<]*)<', page)
        assert len(errors) == 1 and says in errors[0], (field, day, errors)
    assert row_counts(app) == before


def test_a_meeting_may_be_dated_a_week_ahead_and_not_more(app, make_user, make_group, make_member):
    facilitator = make_user(Role.FACILITATOR)
    group = make_group(HUE, facilitators=[facilitator])
    client = app.test_client()
    login(client, facilitator)
    use_english(client)
    late = (today() + timedelta(days=8)).isoformat()
    page = client.post(
        f"/groups/{group.id}/meetings/new", data={"held_on": late, "kind": "regular"}
    ).get_data(as_text=True)
    assert "The date cannot be after" in page


def test_a_wide_period_is_cut_to_two_years_ending_on_to(app, make_user, make_group):
    coordinator = make_user(Role.COORDINATOR, provinces=(HUE,))
    group = make_group(HUE)
    client = app.test_client()
    login(client, coordinator)
    response = client.get(f"/groups/{group.id}?from=0001-01-01&to=9999-12-31")
    assert response.status_code == 200
    with app.test_request_context(f"/groups/{group.id}?from=0001-01-01&to=9999-12-31"):
        from core.dates import period_args

        start, end = period_args()
    assert end == today() + timedelta(days=366)
    assert (end - start).days == app.config["MAX_PERIOD_DAYS"]
    with app.test_request_context("/?from=2010-01-01&to=2016-06-30"):
        assert period_args() == (date(2015, 1, 1), date(2016, 6, 30))


@pytest.mark.parametrize(
    "query", ["from=2026-13-01", "to=²⁰²⁶-01-01", "from=2026-01-02&to=2026-01-01"]
)
@pytest.mark.parametrize("page", ["member", "group", "exports"])
def test_a_bad_period_on_a_page_shows_why_beside_the_fields_with_the_usual_period(
    app, make_user, make_group, make_member, query, page
):
    """Not a full-page 400 with no way back (usability B9): the page, its period fields
    holding the usual period, and the reason at the top."""
    facilitator = make_user(Role.FACILITATOR)
    group = make_group(HUE, facilitators=[facilitator])
    member = make_member(group)
    client = app.test_client()
    login(client, facilitator)
    client.post("/language", data={"locale": "en"})
    url = {"member": f"/members/{member.id}", "group": f"/groups/{group.id}", "exports": "/exports"}
    response = client.get(f"{url[page]}?{query}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'role="alert"' in text and "The usual period is shown instead" in text
    if page != "member":
        days = 365 if page == "exports" else 90
        assert f'value="{(today() - timedelta(days=days - 1)).isoformat()}"' in text


def test_a_bad_period_on_a_download_is_a_400(app, make_user, make_group):
    coordinator = make_user(Role.COORDINATOR, provinces=(HUE,))
    make_group(HUE)
    client = app.test_client()
    login(client, coordinator)
    response = client.get("/exports/table?name=attendance&from=2026-01-02&to=2026-01-01")
    assert response.status_code == 400


# The database unreachable ----------------------------------------------------------------


def test_pages_answer_the_localized_503_page_while_the_database_is_down(app, make_user, tmp_path):
    from app import create_app

    user = make_user(Role.COORDINATOR, provinces=(HUE,))
    client = app.test_client()
    login(client, user)
    dead = "sqlite:///" + str(tmp_path / "missing" / "directory" / "db.sqlite3")
    down = create_app(config_for(dead))
    down_client = down.test_client()
    cookie = client.get_cookie("tuluc_session")
    down_client.set_cookie("tuluc_session", cookie.value)
    for path in ("/", "/groups", "/members/1"):
        response = down_client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        assert VI_UNAVAILABLE in response.get_data(as_text=True)
    english = down.test_client()
    english.set_cookie("tuluc_session", cookie.value)
    with english.session_transaction() as session:
        session["locale"] = "en"
    page = english.get("/groups").get_data(as_text=True)
    assert "The service is unavailable" in page


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables
        }


def test_a_name_with_other_digits_is_saved(app, make_user, make_group):
    facilitator = make_user(Role.FACILITATOR)
    group = make_group(HUE, facilitators=[facilitator])
    client = app.test_client()
    login(client, facilitator)
    for name in ("Nguyễn Thị Hoa²", "Trần ① An", "Lê ١٢ Bình"):
        response = client.post(
            f"/groups/{group.id}/members/new",
            data={
                "full_name": name,
                "gender": "female",
                "category": "migrant",
                "joined_on": today().isoformat(),
                "role": "member",
            },
        )
        assert response.status_code == 302, name


def test_not_before_names_both_days_in_the_readers_language_and_keeps_its_msgid(app):
    from flask_babel import force_locale
    from flask_babel import lazy_gettext as _l

    from core.dates import not_before
    from core.errors import DomainError

    message = _l("The date (%(day)s) is before the member joined the group (%(joined)s).")
    not_before(date(2026, 3, 1), None, message, "on")  # nothing to compare
    not_before(date(2026, 3, 1), date(2026, 3, 1), message, "on")  # the same day is fine
    with pytest.raises(DomainError) as refused:
        not_before(date(2026, 3, 1), date(2026, 3, 5), message, "on")
    assert refused.value.field == "on"
    with app.test_request_context(), force_locale("en"):
        english = str(refused.value.message)
    with app.test_request_context(), force_locale("vi"):
        vietnamese = str(refused.value.message)
    assert english == "The date (1 Mar 2026) is before the member joined the group (5 Mar 2026)."
    assert vietnamese.index("01/03/2026") < vietnamese.index("05/03/2026")
