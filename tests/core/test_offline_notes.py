"""Issue 25: every form that creates a record keeps when save was pressed on the phone, and
the record's page says "saved on the phone with no signal at …; it reached the server 2
days later" (core.submissions.note_created, templates/macros/offline.html).

Each create form of tests/test_bad_input.py's table is sent with plausible values, a
submission key and a save time two days ago, as the phone's outbox sends a kept entry;
the record made keeps that time, and the page the save leads to (or the record's page)
shows the note beside it.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import db
from core.submissions import PRESSED_FIELD, OfflineSave, new_key
from tests.test_bad_input import (
    TARGET_SETS,
    world,  # noqa: F401 - the fixture, shared
)
from tests.test_submissions import plausible

# form -> (table of the record it makes, the page that shows its history: None for where
# the save leads, else a function of the new record's id)
CREATES = {
    "create_group": ("groups", None),
    "create_member": ("members", lambda i: f"/members/{i}"),
    "record_consent": ("consents", None),
    "record_meeting": ("meetings", None),
    "draft_grant": ("grants", None),
    "record_tranche": ("tranches", None),
    "record_visit": ("visits", None),
    "start_screening": ("screenings", lambda i: f"/screenings/{i}"),
    "record_sharing_consent": ("consents", "member"),
    "create_referral": ("referrals", None),
    "run_import": ("import_batches", None),
}
# The world has an open health referral to that provider already: another service.
OTHER_VALUES = {"create_referral": {"service": "legal"}}


def _forms(world) -> dict:  # noqa: F811
    found = {}
    for build, method in TARGET_SETS:
        if method == "POST":
            found.update(build(world))
    return found


def note_of(page: str) -> str | None:
    found = re.search(r'class="meta offline-note">(.*?)</(?:p|span)>', page, re.S)
    return found.group(1) if found else None


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_record_made_from_a_form_sent_later_says_so_in_its_history(app, world, name):  # noqa: F811
    table, page_of = CREATES[name]
    user, url, fields = _forms(world)[name]
    client = world.as_(user)
    if name == "run_import":
        ready = client.get(url.removesuffix("/import"))
        assert ready.status_code == 200
    pressed = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2, hours=1)
    data = plausible(fields, new_key(), client.csrf_token())
    data[PRESSED_FIELD] = ms(pressed)
    for field, value in OTHER_VALUES.get(name, {}).items():
        data[field] = value
    answer = client.post(url, data=data, csrf=False)
    assert answer.status_code in (302, 303), (name, answer.status_code)
    with app.app_context():
        note = db.session.execute(
            select(OfflineSave.pressed_at, OfflineSave.object_id)
            .where(OfflineSave.object_type == table)
            .order_by(OfflineSave.id)
        ).all()
        db.session.rollback()
    assert [n.pressed_at for n in note] == [pressed], name
    object_id = note[0].object_id
    if page_of is None:
        where = answer.location
    elif page_of == "member":
        where = f"/members/{world.mai.id}"
    else:
        where = page_of(object_id)
    page = client.get(where, follow_redirects=True).get_data(as_text=True)
    shown = note_of(page)
    assert shown is not None, (name, where)
    assert "Lưu trên máy lúc không có mạng" in shown and "2 ngày" in shown, shown


def test_a_record_saved_at_once_has_no_note(app, world):  # noqa: F811
    user, url, fields = _forms(world)["create_member"]
    client = world.as_(user)
    data = plausible(fields, new_key(), client.csrf_token())
    data[PRESSED_FIELD] = ms(datetime.now(UTC) - timedelta(seconds=20))  # an ordinary save
    answer = client.post(url, data=data, csrf=False)
    assert answer.status_code == 302
    assert note_of(client.get(answer.location).get_data(as_text=True)) is None
    with app.app_context():
        assert db.session.scalar(select(OfflineSave.id)) is None
