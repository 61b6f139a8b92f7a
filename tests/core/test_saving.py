"""The one writing path: what `saving` makes of refusals, stale versions and duplicates."""

from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from flask import session
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from accounts.models import Role, User
from core.db import db
from core.errors import Conflict, DomainError
from core.saving import saving
from groups.models import Group, Member
from tests.conftest import HUE


def fake_form(*fields):
    """What saving needs of a form: fields with errors, form errors, a hidden version."""
    form = SimpleNamespace(form_errors=[], version=SimpleNamespace(data="1"))
    for name in fields:
        setattr(form, name, SimpleNamespace(errors=[]))
    return form


@contextmanager
def english(app):
    """A request of someone who chose English (the browser's language is not asked)."""
    with app.test_request_context("/") as context:
        session["locale"] = "en"
        yield context


def test_a_commit_that_passes_is_ok(app, make_user):
    user = make_user(Role.FACILITATOR)
    with english(app):
        with saving(fake_form()) as saved:
            db.session.get(User, user.id).full_name = "Lê Thị Thu"
        assert saved.ok and saved.status == 200
        db.session.expire_all()
        assert db.session.get(User, user.id).full_name == "Lê Thị Thu"


def test_a_domain_error_goes_next_to_its_field_and_nothing_is_saved(app, make_user):
    user = make_user(Role.FACILITATOR)
    form = fake_form("full_name")
    with english(app):
        with saving(form) as saved:
            db.session.get(User, user.id).full_name = "Không lưu"
            raise DomainError("Refused.", "full_name")
        assert not saved.ok and saved.status == 200
        assert form.full_name.errors == ["Refused."]
        assert db.session.get(User, user.id).full_name != "Không lưu"


def test_a_duplicate_key_becomes_the_message_its_package_registered(app, make_user):
    make_user(Role.FACILITATOR, username="thu.le")
    form = fake_form("username")
    with english(app):
        with saving(form) as saved:  # as if the check had run before the other commit
            db.session.add(
                User(username="thu.le", full_name="X", role=Role.FACILITATOR, password_hash="x")
            )
        assert not saved.ok and saved.status == 200
        assert form.username.errors == ["This username is already taken."]


def test_an_unknown_duplicate_is_a_conflict_with_a_general_message(app, make_group):
    group = make_group(HUE)
    other = make_group(HUE)
    form = fake_form()
    with english(app):
        with saving(form) as saved:
            db.session.get(Group, other.id).code = group.code
        assert saved.status == 409
        assert "at the same moment" in form.form_errors[0]


def test_a_stale_version_is_409_and_the_form_moves_to_the_saved_version(
    app, make_group, make_member
):
    group = make_group(HUE)
    member = make_member(group)
    form = fake_form()
    with english(app):
        db.session.execute(update(Member).where(Member.id == member.id).values(version=2))
        db.session.commit()  # someone else saved version 2…
        row = db.session.get(Member, member.id)
        set_committed_value(row, "version", 1)  # …after this copy was read
        with saving(form, record=row) as saved:
            row.notes = "Ghi chú"
        assert saved.status == 409 and not saved.ok
        assert "Someone else changed this member" in form.form_errors[0]
        assert form.version.data == 2


def test_a_conflict_raised_by_a_service_is_409_and_other_errors_pass_through(app):
    form = fake_form()
    with english(app):
        with saving(form) as saved:
            raise Conflict("Taken first.")
        assert (saved.status, form.form_errors) == (409, ["Taken first."])
        with pytest.raises(KeyError), saving(form):
            raise KeyError("a bug")  # a bug reaches the error handler
