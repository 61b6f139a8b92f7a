"""Enums carry their words: every member of every LabelledEnum has a label."""

from flask_babel import force_locale

from accounts.models import Role
from core.enums import LabelledEnum
from groups.models import GroupStatus


def _all(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all(sub)


def test_every_member_of_every_labelled_enum_has_words_in_both_languages(app):
    enums = list(_all(LabelledEnum))
    assert len(enums) >= 20  # the models import them all
    with app.test_request_context():
        for enum in enums:
            for member in enum:
                assert member.label is not None, member
                for locale in ("en", "vi"):
                    with force_locale(locale):
                        assert str(member.label).strip(), (locale, member)


def test_a_labelled_member_is_still_its_value():
    assert Role("admin") is Role.ADMIN and Role.ADMIN == "admin" and f"{Role.ADMIN}" == "admin"
    assert GroupStatus.ACTIVE.value == "active"
    assert GroupStatus("closed").label is GroupStatus.CLOSED.label
