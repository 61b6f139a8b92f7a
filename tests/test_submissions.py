"""A form sent twice saves once (core.submissions; usability F1, review R5).

Class-wide: every writing form of tests/test_bad_input.py's table is sent with plausible
values and one submission key, then sent again as a double tap or the back button would.
The second sending writes nothing and lands where the first one did. Then the race: two
sendings of one new member and of one payment at the same moment make one row each.
"""

import threading

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from core.db import db
from core.submissions import Submission, forget_old, new_key
from groups.models import Member
from livelihoods.models import Tranche
from tests.test_bad_input import (
    TARGET_SETS,
    placeholder_world,
    world,  # noqa: F401 - the fixture, shared
)

FORMS = [
    pytest.param(build, name, id=name)
    for build, method in TARGET_SETS
    if method == "POST"
    for name in build(placeholder_world())
]
# Forms that write without a saved outcome to repeat: logins, the language, downloads.
NOT_SAVES = {"login", "member_login", "language", "personal", "logout"}


def plausible(fields: dict, key: str, token: str) -> MultiDict:
    pairs = [(name, spec.valid[0]) for name, spec in fields.items() if spec.valid]
    return MultiDict([*pairs, ("submission", key), ("csrf_token", token)])


# Written on every request or every sign-in by design, not by the form.
BOOKKEEPING = {"audit_events", "auth_sessions", "login_failures", "submissions"}


def snapshot() -> dict[str, list]:
    """Every row of every table but the bookkeeping ones, to see any change at all."""
    return {
        table.name: sorted(map(repr, db.session.execute(table.select()).all()))
        for table in db.metadata.sorted_tables
        if table.name not in BOOKKEEPING
    }


def changed_tables(before, after) -> set[str]:
    return {name for name in before if before[name] != after[name]}


@pytest.mark.parametrize(("build", "name"), FORMS)
def test_a_form_sent_twice_saves_once_and_lands_where_the_first_did(app, world, build, name):  # noqa: F811
    if name in NOT_SAVES:
        pytest.skip("not a saving form")
    user, url, fields = build(world)[name]
    client = world.as_(user) if user is not None else app.test_client()
    data = plausible(fields, new_key(), client.csrf_token())
    first = client.post(url, data=data, csrf=False)
    assert first.status_code < 500
    if first.status_code not in (302, 303):
        pytest.skip(f"{name}: these plausible values do not save ({first.status_code})")
    with app.app_context():
        before = snapshot()
        db.session.rollback()
    again = client.post(url, data=data, csrf=False)
    with app.app_context():
        after = snapshot()
        db.session.rollback()
    assert changed_tables(before, after) == set(), (name, again.status_code)
    assert again.status_code < 500
    if again.status_code == 303:
        assert again.location == first.location


def test_enough_forms_save_for_the_class_test_to_mean_something(app, world):  # noqa: F811
    saved = []
    for build, name in ((p.values[0], p.values[1]) for p in FORMS):
        if name in NOT_SAVES:
            continue
        user, url, fields = build(world)[name]
        client = world.as_(user) if user is not None else app.test_client()
        data = plausible(fields, new_key(), client.csrf_token())
        response = client.post(url, data=data, csrf=False)
        if response.status_code in (302, 303):
            saved.append(name)
    assert {"create_member", "record_tranche"} <= set(saved), saved
    assert len(saved) >= 12, saved


def test_a_changed_form_with_a_fresh_key_saves_again(app, world):  # noqa: F811
    """Only the same sending is refused: the next form drawn has a new key."""
    from tests.test_bad_input import group_forms

    user, url, fields = group_forms(world)["create_member"]
    client = world.as_(user)
    for full_name in ("Lê Thị Hồng", "Lê Thị Cúc"):
        data = plausible(fields, new_key(), client.csrf_token())
        data["full_name"] = full_name
        assert client.post(url, data=data, csrf=False).status_code == 302
    with app.app_context():
        names = set(db.session.scalars(select(Member.full_name)))
    assert {"Lê Thị Hồng", "Lê Thị Cúc"} <= names


@pytest.mark.parametrize("name", ["create_member", "record_tranche"])
def test_two_sendings_at_the_same_moment_make_one_row(app, world, name):  # noqa: F811
    from tests.test_bad_input import grant_forms, group_forms

    forms = group_forms(world) | grant_forms(world)
    user, url, fields = forms[name]
    model = Member if name == "create_member" else Tranche
    clients = [world.as_(user), world.as_(user)]
    key = new_key()
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(model))
    answers, start = [], threading.Barrier(2)

    sendings = [(client, plausible(fields, key, client.csrf_token())) for client in clients]

    def send(client, data):
        start.wait()
        answers.append(client.post(url, data=data, csrf=False))

    threads = [threading.Thread(target=send, args=sending) for sending in sendings]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        after = db.session.scalar(select(func.count()).select_from(model))
    assert after == before + 1
    first, second = sorted(answers, key=lambda a: a.status_code != 302)
    assert first.status_code == 302
    if second.status_code == 200:
        # The second tap arrived once the person was saved but before its key was seen
        # (PostgreSQL, read committed): it is asked "same person?" (R5); nothing more is
        # saved, and sending it again, ticked, still finds the key and saves nothing.
        assert name == "create_member"
        assert 'name="different_person"' in second.get_data(as_text=True)
    else:
        assert second.status_code == 303 and second.location == first.location


def test_keys_are_forgotten_after_a_week(app, world):  # noqa: F811
    from datetime import timedelta

    from core.db import utcnow

    with app.app_context():
        db.session.add(Submission(key="a" * 20, created_at=utcnow() - timedelta(days=8)))
        db.session.add(Submission(key="b" * 20))
        db.session.commit()
        assert forget_old()["forgotten"] == 1
        db.session.commit()
        assert [s.key for s in db.session.scalars(select(Submission))] == ["b" * 20]
