"""Enums whose members carry their words: a value and its label on one line."""

from enum import StrEnum


class LabelledEnum(StrEnum):
    """A StrEnum declared `ACTIVE = "active", _l("Active")`: the value is stored, the
    label (a lazy string, put into words when read) is shown by forms and templates."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member
