"""Every form and every query-string filter, driven by generated input (Hypothesis).

Each target gets EXAMPLES generated requests (100 by default): NUL bytes, lone surrogates,
superscript and other non-ASCII digits, 10,000-character strings, right-to-left text and
emoji, negative and huge numbers, dates from year 1 to 9999, fields missing or repeated,
stray attendance fields. Whatever comes in: no 5xx, and on any answer that is not a
redirect (a form error, a 4xx) not one row more or less in any table.

Each target is a test of its own on one small world, so pytest-xdist spreads them;
test_every_form_and_list_is_a_target fails when a route is added without a target.
TULUC_FUZZ_EXAMPLES sets the number of inputs per target: 100 by default (the suite and
CI), more for a long run (bench/README.md, "Long fuzzing").
"""

import functools
import os
import re
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from accounts.models import Role
from core.clock import today
from core.db import db
from tests.conftest import HUE, NGHE_AN, PASSWORD, login
from tests.livelihoods.grant_fixtures import build_world, follow_up_ids, make_grant, tranche_ids

EXAMPLES = int(os.environ.get("TULUC_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

NASTY = [
    "",
    " ",
    "\x00",
    "Nguyễn\x00Thị",
    "\ud800",
    "a\udfffb",
    "²",
    "①",
    "١٢",
    "１２",
    "-1",
    "0",
    "-0",
    "1e400",
    "NaN",
    "inf",
    str(2**31),
    str(2**63),
    str(2**64),
    "9" * 400,
    "1" * 4300,
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "２０２６-01-01",
    "\u202eRTL",
    "مرحبا بالعالم",
    "שלום",
    "😀" * 40,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%(name)s {{7*7}}",
    "\r\n\t",
    "true",
    "att-²",
]

text_values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(st.characters(categories=["Cs", "Co", "Cc", "Nd", "No", "Mn", "Cf"]), max_size=12),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.builds(lambda c, n: c * n, st.characters(), st.sampled_from([300, 10_000])),
)


class field:
    """A form field: `valid` holds plausible values; `any` draws it missing, once or
    repeated, with a plausible value about half the time."""

    def __init__(self, *valid: str):
        self.valid = valid
        value = st.one_of(st.sampled_from(valid), text_values) if valid else text_values
        self.any = st.one_of(
            st.lists(value, min_size=1, max_size=1),
            st.lists(value, min_size=0, max_size=3),
        )


def encode(pairs) -> bytes:
    """Form or query encoding that also carries lone surrogates (as a browser cannot)."""
    return "&".join(
        quote(k.encode("utf-8", "surrogatepass"), safe="")
        + "="
        + quote(v.encode("utf-8", "surrogatepass"), safe="")
        for k, v in pairs
    ).encode()


STRAY = ["att-²", "att-١٢", "att-0", f"att-{2**64}", "x", "version"]


def body(fields: dict, token: str):
    """A strategy of (key, value) pairs: the fields, extra stray keys, and a CSRF token
    that is usually right. Half the time every field is plausible but one, so the
    checks deep in the services (after a flush) are reached too."""
    anything = st.fixed_dictionaries({name: spec.any for name, spec in fields.items()})
    one_bad = st.sampled_from(sorted(fields) or [""]).flatmap(
        lambda bad: st.fixed_dictionaries(
            {
                name: spec.any if name == bad else st.sampled_from(spec.valid).map(lambda v: [v])
                for name, spec in fields.items()
            }
        )
    )
    return st.tuples(
        st.one_of(one_bad, anything),
        st.lists(st.tuples(st.sampled_from(STRAY), text_values), max_size=2),
        st.sampled_from([token] * 9 + ["", "not-a-token"]),
    ).map(
        lambda t: [
            *((name, v) for name, values in t[0].items() for v in values),
            *t[1],
            *([("csrf_token", t[2])] if t[2] else []),
        ]
    )


@functools.cache
def table_names() -> tuple[str, ...]:
    return tuple(t.name for t in db.metadata.sorted_tables)


@functools.cache
def count_rows_sql() -> str:
    """One statement counting the rows of every table (names from the models)."""
    counts = (f'(SELECT count(*) FROM "{name}")' for name in table_names())  # noqa: S608
    return "SELECT " + ", ".join(counts)


def row_counts() -> tuple:
    return tuple(db.session.execute(text(count_rows_sql())).one())


def drive(app, client, method: str, url: str, pairs, *, ignore=()) -> None:
    """Send one generated request; no 5xx, and nothing written unless it redirected."""
    with app.app_context():
        before = row_counts()
        db.session.rollback()
    if method == "POST":
        response = client.post(
            url, data=encode(pairs), content_type="application/x-www-form-urlencoded", csrf=False
        )
    else:
        response = client.get(url + "?" + encode(pairs).decode())
    assert response.status_code < 500, (url, pairs)
    if response.status_code not in (302, 303) and (method == "POST" or response.status_code >= 400):
        with app.app_context():
            after = row_counts()
            db.session.rollback()
        names = table_names()
        changed = {n for n, b, a in zip(names, before, after, strict=True) if b != a} - set(ignore)
        assert not changed, (url, response.status_code, changed)


def run(app, client, method: str, url: str, fields: dict, **kwargs) -> None:
    token = client.csrf_token()

    @FUZZ
    @given(pairs=body(fields, token) if method == "POST" else body(fields, "").map(strip_csrf))
    def one(pairs):
        drive(app, client, method, url, pairs, **kwargs)

    one()


def strip_csrf(pairs):
    return [(k, v) for k, v in pairs if k != "csrf_token"]


# The world ---------------------------------------------------------------------------------


@pytest.fixture
def world(app, make_user, make_group, make_member, make_meeting):
    w = build_world(make_user, make_group, make_member)
    w.meeting = make_meeting(w.group, date(2025, 3, 3))
    w.draft = make_grant(app, w.mai, drafter=w.facilitator)
    w.submitted = make_grant(app, w.mai, drafter=w.facilitator, upto="submitted")
    w.approved = make_grant(
        app, w.lan, drafter=w.facilitator, upto="approved", decider=w.coordinator
    )
    w.disbursed = make_grant(
        app, w.lan, drafter=w.facilitator, upto="disbursed", decider=w.coordinator
    )
    w.follow_up = follow_up_ids(app, w.disbursed)[0]
    w.tranche = tranche_ids(app, w.disbursed)[0]
    w.spare = make_user(Role.FACILITATOR, username="spare.user")
    with app.app_context():
        from groups.models import Consent

        w.consent = db.session.scalar(select(Consent.id).where(Consent.member_id == w.mai.id))
    with app.app_context():
        from support.models.screening import Screening
        from tests.support.helpers import make_records
        from tests.test_authorization import make_import_batch

        w.support = make_records(w.facilitator.id, w.mai.id, draft=True)
        draft = db.session.get(Screening, w.support["draft"])
        section = draft.questionnaire.sections[0]
        w.section_fields = {
            f"q{q.id}": field(*(str(o.id) for o in q.options)) for q in section.questions
        }
        w.batch = make_import_batch(w.facilitator.id, w.group.code)
        from tests.test_authorization import make_export_job

        w.export_job = make_export_job(w.facilitator.id)
        from tests.test_authorization import make_releases

        w.releases = make_releases(w.coordinator.id, w.admin.id)
    with app.app_context():
        from tests.test_authorization import make_link, make_provider_user

        w.provider_user = make_provider_user(app, w.support["provider"], "osso.hue")
        w.link = make_link(app, w.support["referral"])
    with app.app_context():
        from tests.plans.helpers import make_plan

        w.plan = make_plan(w.facilitator.id, w.mai.id)
        w.review_fields = {f"goal{w.plan['plan_goal']}": field("some", "met", "dropped")}
    w.browsers = {}

    def as_(user):
        if user.id not in w.browsers:
            client = app.test_client()
            login(client, user)
            w.browsers[user.id] = client
        return w.browsers[user.id]

    w.as_ = as_
    return w


DAY = today().isoformat()
YESTERDAY = (today() - timedelta(days=1)).isoformat()
NEXT_MONTH = (today() + timedelta(days=30)).isoformat()
STATUSES = ("present", "absent", "excused")


def group_forms(w) -> dict:
    group_fields = {
        "name": field("Nhóm Thôn Nam"),
        "province_code": field(str(HUE)),
        "commune_code": field(str(w.group.commune_code)),
        "village": field("Thôn Nam"),
        "founded_on": field("2025-01-06"),
        "status": field("active", "forming"),
        "cadence": field("weekly", "monthly"),
        "meeting_weekday": field("0", "6"),
        "partner": field("Hội Phụ nữ xã"),
        "facilitator_ids": field(str(w.facilitator.id)),
    }
    member_fields = {
        "full_name": field("Trần Thị Hoa"),
        "gender": field("female", "male"),
        "birth_year": field("1990"),
        "phone": field("0905 123 456"),
        "category": field("migrant", "survivor"),
        "notes": field("Bán hàng ở chợ"),
        "version": field("1", "2"),
    }
    meeting_fields = {
        "held_on": field(YESTERDAY, "2025-03-03"),
        "kind": field("regular", "training"),
        "topics": field("Tiết kiệm"),
        "decisions": field("Họp tiếp"),
        f"att-{w.mai.id}": field(*STATUSES),
        f"att-{w.lan.id}": field(*STATUSES),
        "version": field("1"),
    }
    return {
        "create_group": (w.coordinator, "/groups/new", group_fields),
        "edit_group": (
            w.coordinator,
            f"/groups/{w.group.id}/edit",
            {**group_fields, "version": field("1")},
        ),
        "create_member": (
            w.facilitator,
            f"/groups/{w.group.id}/members/new",
            {
                **member_fields,
                "joined_on": field(DAY, "2025-01-06"),
                "role": field("member", "leader"),
                "consents": field("programme_data", "phone_contact"),
            },
        ),
        "edit_member": (w.facilitator, f"/members/{w.mai.id}/edit", member_fields),
        "change_membership": (
            w.facilitator,
            f"/members/{w.lan.id}/membership",
            {
                "action": field("move", "leave", "role"),
                "on": field(DAY),
                "role": field("member", "treasurer"),
                "group_id": field(str(w.group.id), str(w.other_group.id)),
                "reason": field("Chuyển nhà"),
            },
        ),
        "record_consent": (
            w.facilitator,
            f"/members/{w.mai.id}/consents",
            {
                "purpose": field("phone_contact", "programme_data"),
                "given_on": field(DAY),
            },
        ),
        "withdraw_consent": (
            w.facilitator,
            f"/members/{w.mai.id}/consents/{w.consent}/withdraw",
            {"on": field(DAY)},
        ),
        "anonymise_member": (
            w.coordinator,
            f"/members/{w.lan.id}/anonymise",
            {"confirm": field("y")},
        ),
        "record_meeting": (w.facilitator, f"/groups/{w.group.id}/meetings/new", meeting_fields),
        "edit_meeting": (w.facilitator, f"/meetings/{w.meeting.id}/edit", meeting_fields),
    }


def grant_forms(w) -> dict:
    grant_fields = {
        "activity": field("livestock", "crops"),
        "plan": field("Nuôi lợn"),
        "amount_requested": field("5.000.000", "5 triệu", "1,5 triệu"),
        "planned_income": field("", "3.000.000", "2 triệu"),
    }
    tranche_fields = {
        "paid_on": field(DAY),
        "amount": field("1.000.000", "500k"),
        "method": field("cash", "in_kind"),
        "purchased": field("2 con lợn"),
    }
    return {
        "draft_grant": (w.facilitator, f"/members/{w.mai.id}/grants/new", grant_fields),
        "edit_grant": (w.facilitator, f"/grants/{w.draft}/edit", grant_fields),
        "submit_grant": (w.facilitator, f"/grants/{w.draft}/submit", {}),
        "decide_grant": (
            w.coordinator,
            f"/grants/{w.submitted}/decide",
            {
                "decision": field("approve", "return", "reject"),
                "amount": field("4.000.000", "4 triệu"),
                "note": field("Đủ điều kiện"),
            },
        ),
        "record_tranche": (w.coordinator, f"/grants/{w.approved}/tranches/new", tranche_fields),
        "edit_tranche": (w.coordinator, f"/tranches/{w.tranche}/edit", tranche_fields),
        "record_visit": (
            w.facilitator,
            f"/follow-ups/{w.follow_up}/visit",
            {
                "visited_on": field(DAY),
                "business_status": field("operating", "stopped"),
                "monthly_income": field("1.200.000", "0"),
                "notes": field("Lợn khỏe"),
            },
        ),
        "set_pin": (
            w.facilitator,
            f"/members/{w.lan.id}/pin",
            {"pin": field("246810"), "confirm": field("246810")},
        ),
        # Last: they end what the others need.
        "mark_missed": (
            w.facilitator,
            f"/follow-ups/{w.follow_up}/missed",
            {"reason": field("Không có ai ở nhà")},
        ),
        "undo_missed": (w.facilitator, f"/follow-ups/{w.follow_up}/missed/undo", {}),
        "close_grant": (
            w.coordinator,
            f"/grants/{w.disbursed}/close",
            {"outcome": field("operating", "stopped"), "note": field("Tốt")},
        ),
    }


def account_forms(w) -> dict:
    user_fields = {
        "full_name": field("Lê Thị Thu"),
        "role": field("facilitator", "coordinator", "member"),
        "provinces": field(str(HUE), "1"),
    }
    password = {"new_password": field("mật khẩu mới dài"), "confirm": field("mật khẩu mới dài")}
    return {
        "create_user": (
            w.admin,
            "/admin/users/new",
            {**user_fields, **password, "username": field("thu.le", "a", "x" * 41)},
        ),
        "edit_user": (w.admin, f"/admin/users/{w.spare.id}", user_fields),
        "reset_password": (w.admin, f"/admin/users/{w.spare.id}/password", password),
        "toggle_active": (w.admin, f"/admin/users/{w.spare.id}/active", {}),
        "change_password": (
            w.other_facilitator,
            "/account/password",
            {**password, "current_password": field(PASSWORD)},
        ),
        "set_language": (w.coordinator, "/language", {"locale": field("vi", "en")}),
        "keep_forms": (w.facilitator, "/outbox/keep", {"keep": field("1", "0")}),
        "login": (None, "/login", {"username": field("admin1"), "password": field("x")}),
        "member_login": (
            None,
            "/login/member",
            {"code": field("HUE-2025-0001"), "pin": field("1")},
        ),
        "logout": (w.spare, "/logout", {}),
        "account": (
            w.coordinator,
            "/account",
            {"email": field("thu@example.org"), "phone": field("0912 345 678", "+84912345678")},
        ),
        "two_factor_settings": (w.facilitator, "/account/two-factor", {"code": field("123456")}),
        "new_recovery_codes": (
            w.facilitator,
            "/account/two-factor/recovery-codes",
            {"codes-code": field("123456")},
        ),
        "disable_two_factor": (
            w.facilitator,
            "/account/two-factor/disable",
            {"off-code": field("123456")},
        ),
        "reset_two_factor": (w.admin, f"/admin/users/{w.spare.id}/two-factor", {}),
        "login_code": (None, "/login/two-factor", {"code": field("123456")}),
        "login_enrol": (None, "/login/two-factor/setup", {"code": field("123456")}),
        "login_new_password": (
            None,
            "/login/new-password",
            {"new_password": field("câu mật khẩu mới"), "confirm": field("câu mật khẩu mới")},
        ),
    }


def query_lists(w) -> dict:
    filters = {
        "q": field("nguyen", "HUE"),
        "page": field("1", "2"),
        "province": field(str(HUE)),
        "commune": field(str(w.group.commune_code)),
        "group": field(str(w.group.id)),
        "status": field("active", "left", "all", "draft"),
        "category": field("migrant"),
        "role": field("facilitator"),
        "from": field("2025-01-01"),
        "to": field(DAY),
    }
    return {
        "list_groups": (w.coordinator, "/groups", filters),
        "list_members": (w.coordinator, "/members", filters),
        "list_grants": (w.coordinator, "/grants", filters),
        "list_users": (w.admin, "/admin/users", filters),
        "index": (w.coordinator, "/inbox", filters),  # inbox.index
        "due": (w.coordinator, "/due", filters),
        "home": (w.facilitator, "/", filters),
        "show_group": (w.coordinator, f"/groups/{w.group.id}", filters),
        "show_member": (w.facilitator, f"/members/{w.mai.id}", filters),
        "show_meeting": (w.facilitator, f"/meetings/{w.meeting.id}", filters),
        "show_grant": (w.coordinator, f"/grants/{w.disbursed}", filters),
        **{
            name: (
                w.coordinator,
                url,
                {
                    **filters,
                    "period": field("month", "quarter", "year", "custom"),
                    "on": field(DAY),
                    "start": field("2025-01-01"),
                    "end": field(DAY),
                },
            )
            for name, url in (
                ("progress", "/progress"),
                ("progress_scorecard", "/progress/scorecard"),
                ("progress_workload", "/progress/workload"),
                ("progress_grants", "/progress/grants"),
                ("progress_donor", "/progress/donor"),
                ("progress_donor_export", "/progress/donor/export"),
            )
        },
        "list_events_page": (
            w.coordinator,
            "/audit",
            {
                **filters,
                "actor": field("admin1"),
                "member": field("HUE-2025-0001"),
                "action": field("view", "login"),
                "kind": field("members"),
                "record": field("1"),
                "record_type": field("members"),
                "record_id": field("1"),
                # The viewer's own date names (R4: year 1 and 9999 answered 500).
                "start": field("2025-01-01"),
                "end": field(DAY),
                "after": field("5"),
                "before": field("5"),
            },
        ),
    }


def export_forms(w) -> dict:
    """Exports (reports/export_views.py): the filters of a file, and the form for names."""
    filters = {
        "table": field("members", "attendance", "grants", "payments", "visits", "groups"),
        "format": field("csv", "xlsx", "html"),
        "group": field(str(w.group.id)),
        "province": field(str(HUE)),
        "month": field("2025-03"),
        "from": field("2025-01-01"),
        "to": field(DAY),
    }
    personal = {
        "table": field("members", "register"),
        "format": field("csv", "xlsx", "html"),
        "group": field("", str(w.group.id)),
        "month": field("2025-03"),
        "confirm": field("y"),
        "reason": field("Mời thành viên dự buổi tập huấn"),
    }
    return {
        "download": (w.coordinator, "/exports/table", filters),
        "register": (w.facilitator, "/exports/register", filters),
        "personal": (w.coordinator, "/exports/personal", personal),
    }


def fuzz(app, w, targets: dict, method: str) -> None:
    for name, (user, url, fields) in targets.items():
        client = w.as_(user) if user is not None else app.test_client()
        # A failed login is counted and audited by design (throttling, the audit log).
        # So is a wrong code on a letter's link.
        guesses = ("login", "member_login", "link")
        ignore = ("login_failures", "audit_events") if name in guesses else ()
        # A file of names, or of exact figures, that went out is audited by design.
        if name in ("personal", "export_internal"):
            ignore = ("audit_events",)
        try:
            run(app, client, method, url, fields, ignore=ignore)
        except Exception as error:
            error.add_note(f"target: {name}")
            raise


def support_forms(w) -> dict:
    """Screening and referrals (support/): `w.support` names the records of make_records."""
    r = w.support
    provider = {
        "name": field("Trung tâm công tác xã hội"),
        "kind": field("osso", "health", "legal"),
        "province_code": field(str(HUE), str(NGHE_AN)),
        "address": field("12 Lê Lợi"),
        "phone": field("0234 3822 222"),
        "email": field("lienhe@example.org"),
        "contact_person": field("Chị Hoa"),
        "opening_days": field("Thứ Hai – Thứ Sáu"),
        "active": field("y"),
    }
    return {
        "start_screening": (
            w.coordinator,
            f"/members/{w.lan.id}/screenings/new",
            {
                "version_id": field(str(r["version"]), str(r["old_version"])),
                "screened_on": field(DAY),
            },
        ),
        "screening_page": (w.facilitator, f"/screenings/{r['draft']}/pages/1", w.section_fields),
        "record_sharing_consent": (
            w.facilitator,
            f"/members/{w.mai.id}/sharing-consent",
            {
                "provider_id": field(str(r["health"]), str(r["far_provider"])),
                "given_on": field(DAY),
                "confirm": field("y"),
            },
        ),
        "create_referral": (
            w.facilitator,
            f"/members/{w.mai.id}/referrals/new",
            {
                "provider_id": field(str(r["provider"]), str(r["far_provider"])),
                "service": field("health", "legal", "livelihood"),
                "reason": field("Cần tư vấn pháp lý"),
                "expected_on": field(DAY, YESTERDAY),
            },
        ),
        "change_status": (
            w.coordinator,
            f"/referrals/{r['referral']}/status",
            {
                "to_status": field("acknowledged", "service_received", "declined"),
                "on": field(DAY),
                "note": field("Đã được khám"),
            },
        ),
        "post_message": (
            w.coordinator,
            f"/referrals/{r['referral']}/messages",
            {"body": field("Chị ấy đã đến chưa?", "")},
        ),
        "create_provider": (w.coordinator, "/providers/new", provider),
        "edit_provider": (w.coordinator, f"/providers/{r['provider']}/edit", provider),
        # Last: finishing ends the draft the page above needs.
        "finish_screening": (w.facilitator, f"/screenings/{r['draft']}/finish", {}),
    }


def provider_forms(w) -> dict:
    """The provider's side (issue 26): the letter's code, its answers, the account's."""
    r = w.support
    served = {
        "service_given": field("Khám tổng quát"),
        "on": field(DAY, YESTERDAY),
        "served_by": field("Bác sĩ Lan"),
        "next_appointment_on": field(DAY, ""),
    }
    return {
        "link": (None, f"/r/{w.link}", {"code": field("ABC234")}),
        "link_answer": (None, f"/r/{w.link}/acknowledge", {"on": field(DAY)}),
        "accounts": (
            w.coordinator,
            f"/providers/{r['provider']}/accounts",
            {
                "full_name": field("Lê Văn Hùng"),
                "username": field("osso.hue", "moi.tai.khoan"),
                "new_password": field("một mật khẩu đủ dài"),
                "confirm": field("một mật khẩu đủ dài"),
            },
        ),
        "answer": (w.provider_user, f"/provider/referrals/{r['referral']}/served", served),
        "set_staff_active": (
            w.coordinator,
            f"/providers/{r['provider']}/accounts/{w.provider_user.id}/active",
            {"active": field("0", "1", "2")},
        ),
        "link_message": (None, f"/r/{w.link}/message", {"body": field("Xin hỏi")}),
        "account_message": (
            w.provider_user,
            f"/provider/referrals/{r['referral']}/message",
            {"body": field("Xin hỏi", "")},
        ),
    }


def plan_forms(w) -> dict:
    """Case plans (plans/): `w.plan` names the records of tests/plans/helpers.make_plan,
    a plan of Mai's; Lan has none yet."""
    p = w.plan
    return {
        "open_plan": (
            w.facilitator,
            f"/members/{w.lan.id}/plans/new",
            {
                "opened_on": field(DAY, "2024-06-01"),
                "next_review_on": field(NEXT_MONTH, YESTERDAY),
                "notes": field("Cần giữ kín nơi ở", ""),
            },
        ),
        "add_goal": (
            w.facilitator,
            f"/plans/{p['plan']}/goals/new",
            {
                "dimension": field("social", "economic"),
                "description": field("Tham gia sinh hoạt nhóm đều đặn", ""),
                "target_on": field(NEXT_MONTH, ""),
            },
        ),
        "add_action": (
            w.facilitator,
            f"/goals/{p['plan_goal']}/actions/new",
            {
                "kind": field("task", "visit", "referral"),
                "description": field("Đi cùng chị đến xã làm giấy tờ"),
                "due_on": field(NEXT_MONTH, YESTERDAY),
                "responsible_id": field(str(w.facilitator.id), str(w.other_facilitator.id)),
                "provider_id": field(str(w.support["provider"]), str(w.support["far_provider"])),
                "service": field("legal", ""),
            },
        ),
        "change_action": (
            w.facilitator,
            f"/plan-actions/{p['plan_visit']}/edit",
            {
                "description": field("Thăm nhà, gặp cả chồng", ""),
                "due_on": field(NEXT_MONTH, YESTERDAY),
                "responsible_id": field(str(w.facilitator.id), str(w.other_facilitator.id)),
            },
        ),
        "settle_action": (
            w.facilitator,
            f"/plan-actions/{p['plan_action']}/update",
            {"to_status": field("done", "dropped"), "on": field(DAY, YESTERDAY)},
        ),
        "record_review": (
            w.facilitator,
            f"/plans/{p['plan']}/reviews/new",
            {
                "reviewed_on": field(DAY, YESTERDAY),
                "next_review_on": field(NEXT_MONTH, DAY),
                "notes": field("Ổn định hơn", ""),
                **w.review_fields,
            },
        ),
        "close_plan": (
            w.coordinator,
            f"/plans/{p['plan']}/close",
            {"reason": field("goals_met", "other"), "closed_on": field(DAY)},
        ),
    }


def plan_pages(w) -> dict:
    filters = {"overdue": field("1", ""), "page": field("1"), "from": field(DAY), "to": field(DAY)}
    return {
        "list_plans": (w.coordinator, "/plans", filters),
        "show_plan": (w.facilitator, f"/plans/{w.plan['plan']}", filters),
    }


def support_pages(w) -> dict:
    r = w.support
    filters = {"province": field(str(HUE)), "kind": field("osso"), "page": field("1")}
    return {
        "show_screening": (w.coordinator, f"/screenings/{r['screening']}", filters),
        "show_referral": (w.facilitator, f"/referrals/{r['referral']}", filters),
        "list_providers": (w.coordinator, "/providers", filters),
        "show_batch": (w.facilitator, f"/imports/{w.batch}", filters),
    }


def import_forms(w) -> dict:
    """The import pages' posts (a file upload is tested in tests/imports)."""
    return {
        "upload": (w.facilitator, "/imports", {"kind": field("members", "attendance")}),
        "change_columns": (
            w.facilitator,
            f"/imports/{w.batch}/columns",
            {
                "col_full_name": field("0", "1"),
                "col_birth_year": field("1"),
                "col_group": field("2"),
            },
        ),
        "answer_places": (
            w.facilitator,
            f"/imports/{w.batch}/places",
            {"place_0": field(str(w.group.commune_code)), "place_1": field("0")},
        ),
        "answer_groups": (
            w.facilitator,
            f"/imports/{w.batch}/groups",
            {
                "asked_0": field(str(w.group.id)),
                "unknown_0": field("new", str(w.group.id)),
                "new_0": field(""),
            },
        ),
        "answer_words": (w.facilitator, f"/imports/{w.batch}/words", {"word_0": field("migrant")}),
        "answer_changes": (
            w.facilitator,
            f"/imports/{w.batch}/changes",
            {"field_phone": field("listed"), "apply_phone": field("1", "")},
        ),
        "change_layout": (
            w.facilitator,
            f"/imports/{w.batch}/layout",
            {"sheet_0": field("1"), "header_0": field("1", "2")},
        ),
        # Last: they end the batch.
        "run_import": (w.facilitator, f"/imports/{w.batch}/import", {}),
        "discard": (w.facilitator, f"/imports/{w.batch}/discard", {}),
    }


def export_lists(w) -> dict:
    return {k: v for k, v in export_forms(w).items() if k != "personal"}


def export_personal_form(w) -> dict:
    return {"personal": export_forms(w)["personal"]}


def export_job_forms(w) -> dict:
    """A file prepared in the background (reports/export_job_views.py): what it is comes
    in the query string, as on the download; a body of anything starts nothing."""
    return {
        "start": (w.coordinator, "/exports/jobs", export_forms(w)["download"][2]),
        # Cancelled by its owner: a redirect whatever the body, a 400 without the token.
        "cancel": (w.facilitator, f"/exports/jobs/{w.export_job}/cancel", {}),
    }


def release_forms(w) -> dict:
    """The donor report's releases and the exact figures (issue 21): scope and period
    in the query string, as the pages send them."""
    return {
        "prepare": (
            w.coordinator,
            "/progress/releases?period=quarter&on=2025-01-01&province=46",
            {"changes": field("Thêm thành viên nhập muộn", "")},
        ),
        "approve": (w.admin, f"/progress/releases/{w.releases['draft_release']}/approve", {}),
        "export_internal": (
            w.coordinator,
            "/progress/export/internal?period=month&on=2025-03-01&province=46",
            {
                "format": field("xlsx", "csv"),
                "reason": field("Số liệu cho cuộc họp giao ban của tỉnh"),
            },
        ),
    }


def export_job_pages(w) -> dict:
    return {
        "list_jobs": (w.facilitator, "/exports/jobs", {"page": field("2")}),
        "show_job": (w.facilitator, f"/exports/jobs/{w.export_job}", {"page": field("2")}),
    }


TARGET_SETS = (
    (group_forms, "POST"),
    (grant_forms, "POST"),
    (account_forms, "POST"),
    (query_lists, "GET"),
    (export_lists, "GET"),
    (export_personal_form, "POST"),
    (export_job_forms, "POST"),
    (export_job_pages, "GET"),
    (release_forms, "POST"),
    (support_forms, "POST"),
    (support_pages, "GET"),
    (plan_forms, "POST"),
    (plan_pages, "GET"),
    (provider_forms, "POST"),
    (import_forms, "POST"),
)


def placeholder_world() -> SimpleNamespace:
    """Enough of a world to name the targets (ids are not looked up)."""
    return SimpleNamespace(
        **{k: SimpleNamespace(id=1, commune_code=1) for k in ("group", "mai", "lan", "meeting")},
        **dict.fromkeys(
            ("facilitator", "coordinator", "admin", "other_facilitator", "spare", "other_group"),
            SimpleNamespace(id=1),
        ),
        draft=1,
        submitted=1,
        approved=1,
        disbursed=1,
        follow_up=1,
        tranche=1,
        consent=1,
        support=dict.fromkeys(
            ("version", "old_version", "draft", "provider", "health", "far_provider"), 1
        )
        | {"screening": 1, "referral": 1},
        section_fields={},
        batch=1,
        link="token",
        provider_user=SimpleNamespace(id=1),
        export_job=1,
        releases={"release": 1, "draft_release": 2},
        plan=dict.fromkeys(("plan", "plan_goal", "plan_action", "plan_visit"), 1),
        review_fields={},
    )


def targets():
    """One test per target, so that pytest-xdist spreads them over its workers."""
    w = placeholder_world()
    for build, method in TARGET_SETS:
        for name in build(w):
            yield pytest.param(build, method, name, id=name)


@pytest.mark.parametrize(("build", "method", "name"), list(targets()))
def test_generated_input_writes_nothing_and_never_fails(app, world, build, method, name):
    fuzz(app, world, {name: build(world)[name]}, method)


def test_every_form_and_list_is_a_target(app):
    w = placeholder_world()
    covered = {name for build, _method in TARGET_SETS for name in build(w)}
    endpoints = {
        rule.endpoint.split(".")[-1]
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in ("static", "core.healthz")
        and ("POST" in rule.methods or re.search(r"list|inbox|due|home|show", rule.endpoint))
    }
    assert endpoints - covered == set()


def test_the_property_run_counts_rows_of_every_table(app):
    with app.app_context():
        counts = row_counts()
        assert len(counts) == len(db.metadata.sorted_tables)
        assert all(isinstance(c, int) for c in counts)
        assert db.session.scalar(select(func.count()).select_from(text("provinces"))) == 34
