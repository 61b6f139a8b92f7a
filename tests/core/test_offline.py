"""Issue 25: the forms a facilitator keeps on the phone (layer 2), and the moment save was
pressed on a phone, kept beside the server's when the outbox sends an entry later."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.audit import AuditEvent
from core.clock import today
from core.db import db
from core.submissions import OfflineSave, new_key
from groups.meeting_models import Meeting
from groups.models import GroupStatus
from tests.conftest import HUE
from tests.livelihoods.grant_fixtures import build_world, client_for, follow_up_ids, make_grant


@pytest.fixture
def world(make_user, make_group, make_member):
    return build_world(make_user, make_group, make_member)


def audit_actions(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.actor_id == user_id, AuditEvent.action.like("offline_%"))
                .order_by(AuditEvent.id)
            )
        )


def test_a_facilitator_keeps_their_groups_forms_only_after_choosing_to(
    app, world, make_group, make_user
):
    closed = make_group(
        HUE, facilitators=[world.facilitator], name="Nhóm Đã Đóng", status=GroupStatus.CLOSED
    )
    grant_id = make_grant(
        app, world.mai, drafter=world.facilitator, upto="disbursed", decider=world.coordinator
    )
    client = client_for(app, world.facilitator)

    assert client.get("/outbox/forms").get_json() == {"keep": False, "forms": []}
    page = client.get("/account").get_data(as_text=True)
    assert 'name="keep" value="1"' in page

    answer = client.post("/outbox/keep", data={"keep": "1"})
    assert answer.status_code == 302 and answer.location.endswith("/account")
    assert 'name="keep" value="0"' in client.get("/account").get_data(as_text=True)
    assert 'data-keep="1"' in client.get("/").get_data(as_text=True)
    kept = client.get("/outbox/forms")
    assert kept.headers["Cache-Control"] == "no-store"
    body = kept.get_json()
    assert body["keep"] is True and body["days"] == 14
    forms = body["forms"]
    assert f"/groups/{world.group.id}/meetings/new" in forms
    assert f"/groups/{closed.id}/meetings/new" not in forms  # closed: nothing to record
    assert f"/groups/{world.other_group.id}/meetings/new" not in forms  # not theirs
    first_check = follow_up_ids(app, grant_id)[0]
    assert f"/follow-ups/{first_check}/visit" in forms  # due 10 days ago
    for url in forms:  # every form kept opens for them
        assert client.get(url).status_code == 200, url

    # Another facilitator's own choice lists only their own group.
    other = client_for(app, world.other_facilitator)
    other.post("/outbox/keep", data={"keep": "1"})
    assert other.get("/outbox/forms").get_json()["forms"] == [
        f"/groups/{world.other_group.id}/meetings/new"
    ]

    client.post("/outbox/keep", data={"keep": "0"})
    assert client.get("/outbox/forms").get_json() == {"keep": False, "forms": []}
    assert 'data-keep=""' in client.get("/").get_data(as_text=True)
    assert audit_actions(app, world.facilitator.id) == ["offline_forms_on", "offline_forms_off"]


def test_the_choice_ends_with_the_login(app, world):
    client = client_for(app, world.facilitator)
    client.post("/outbox/keep", data={"keep": "1"})
    assert client.get("/outbox/forms").get_json()["keep"] is True
    client.post("/logout", data={})
    client_again = client  # the same phone logs in again: the choice is not carried over
    from tests.conftest import login

    login(client_again, world.facilitator)
    assert client_again.get("/outbox/forms").get_json() == {"keep": False, "forms": []}


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_only_facilitators_keep_forms_on_a_phone(app, make_user, role):
    user = make_user(role)
    client = client_for(app, user)
    assert client.post("/outbox/keep", data={"keep": "1"}).status_code == 403
    assert client.get("/outbox/forms").status_code == 403
    assert audit_actions(app, user.id) == []


def meeting_form(client, group_id: int, **extra) -> dict:
    page = client.get(f"/groups/{group_id}/meetings/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    marks = {name: "present" for name in set(re.findall(r'name="(att-\d+)"', page))}
    return {
        **marks,
        "csrf_token": token,
        "submission": new_key(),
        "held_on": today().isoformat(),
        "kind": "regular",
        "topics": "Tiết kiệm",
        **extra,
    }


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def saved_meeting(app, client, group_id: int, **extra):
    answer = client.post(
        f"/groups/{group_id}/meetings/new", data=meeting_form(client, group_id, **extra), csrf=False
    )
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)
    with app.app_context():
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.id.desc())).first()
        note = db.session.scalar(
            select(OfflineSave).where(
                OfflineSave.object_type == "meetings", OfflineSave.object_id == meeting.id
            )
        )
        return answer.location, (note.pressed_at if note else None)


def test_a_meeting_sent_later_by_the_outbox_keeps_when_save_was_pressed(app, world):
    client = client_for(app, world.facilitator)
    pressed = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2, hours=3)
    location, kept = saved_meeting(app, client, world.group.id, saved_on_phone=ms(pressed))
    assert kept == pressed
    page = client.get(location).get_data(as_text=True)
    note = re.search(r'<p class="meta offline-note">(.*?)</p>', page, re.S).group(1)
    assert "Lưu trên máy lúc không có mạng" in note and "2 ngày" in note


@pytest.mark.parametrize(
    ("sent", "noted"),
    [
        ("future", False),  # a phone's clock ahead: never dated later than now (so: not noted)
        ("too old", False),  # more than 30 days: not believed
        ("abc", False),
        ("-5", False),
        ("1e12", False),
        ("99999999999999999999", False),
        ("١٢٣٤٥٦٧٨٩٠١٢٣", False),  # Arabic-Indic digits
    ],
)
def test_a_save_time_out_of_bounds_is_ignored_and_the_meeting_saved(app, world, sent, noted):
    now = datetime.now(UTC)
    value = {
        "future": ms(now + timedelta(days=3)),
        "too old": ms(now - timedelta(days=31)),
    }.get(sent, sent)
    client = client_for(app, world.facilitator)
    _location, kept = saved_meeting(app, client, world.group.id, saved_on_phone=value)
    assert (kept is not None) is noted
    with app.app_context():
        assert db.session.scalar(select(Meeting.id)) is not None


def test_a_phone_clock_ahead_never_dates_a_save_later_than_the_server(app):
    from core.submissions import PRESSED_FIELD, pressed_at

    ahead = datetime.now(UTC) + timedelta(hours=5)
    with app.test_request_context("/", method="POST", data={PRESSED_FIELD: ms(ahead)}):
        moment = pressed_at()
    assert moment is not None and moment <= datetime.now(UTC)
    assert datetime.now(UTC) - moment < timedelta(minutes=1)


def test_a_visit_sent_later_keeps_when_save_was_pressed_and_the_grant_page_says_so(app, world):
    from tests.livelihoods.grant_fixtures import visit_form

    grant_id = make_grant(
        app, world.mai, drafter=world.facilitator, upto="disbursed", decider=world.coordinator
    )
    follow_up_id = follow_up_ids(app, grant_id)[0]
    client = client_for(app, world.facilitator)
    pressed = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    data = visit_form(submission=new_key(), saved_on_phone=ms(pressed))
    answer = client.post(f"/follow-ups/{follow_up_id}/visit", data=data)
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(OfflineSave.pressed_at)) == pressed
    page = client.get(f"/grants/{grant_id}").get_data(as_text=True)
    note = re.search(r'<span class="meta offline-note">(.*?)</span>', page, re.S).group(1)
    assert "3 ngày" in note


def test_the_outbox_page_and_the_words_its_script_shows_are_vietnamese(app, world):
    """The list, its states, buttons and the banner's texts come from the page (data-*),
    translated: each is the catalog's Vietnamese, none left in English."""
    import html

    from babel.messages.pofile import read_po

    from tests.conftest import ROOT

    with open(f"{ROOT}/translations/vi/LC_MESSAGES/messages.po", "rb") as f:
        catalog = {m.id: m.string for m in read_po(f, locale="vi") if isinstance(m.id, str)}
    client = client_for(app, world.facilitator)
    page = client.get("/outbox").get_data(as_text=True)
    assert '<html lang="vi">' in page and "<h1>Hộp thư chờ gửi</h1>" in page
    values = [html.unescape(v) for v in re.findall(r'\bdata-[\w-]+="([^"]*)"', page)]
    shown = [v for v in values if v and not v.startswith("/") and not v.isdigit()]
    assert len(shown) >= 20  # the states, buttons, banner and logout warning
    english = {en for en, vi in catalog.items() if en and vi and en != vi}
    assert [v for v in shown if v in english or v.replace("{n}", "%(num)s") in english] == []
    for label in ("Waiting to be sent", "Send again", "Discard", "Open the record already there"):
        assert catalog[label] in shown, label
