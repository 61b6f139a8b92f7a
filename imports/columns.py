"""What each kind of register holds, and which of a file's columns holds each field.

Headers are recognised by the words registers use ("Họ và tên", "Năm sinh", "Xã/Phường"…),
with or without diacritics, in any case and spacing; a person can change the choice, and
their last choice per kind is remembered (ImportMapping).
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from core.text import fold


class Kind(StrEnum):
    GROUPS = "groups"
    MEMBERS = "members"
    ATTENDANCE = "attendance"

    @property
    def label(self):
        return {
            Kind.GROUPS: _l("Groups"),
            Kind.MEMBERS: _l("Members"),
            Kind.ATTENDANCE: _l("Meeting attendance"),
        }[self]


@dataclass(frozen=True)
class Field:
    key: str
    label: object  # lazy string
    header: str  # the header of the template file
    aliases: tuple[str, ...] = ()
    required: bool = False


def _place_fields(required: bool) -> tuple[Field, ...]:
    return (
        Field(
            "commune",
            _l("Commune/ward (old or new)"),
            "Xã/Phường",
            ("Xã", "Phường", "Xã/Phường/Thị trấn", "Xã/Phường/TT", "Phường/Xã"),
            required,
        ),
        Field(
            "district",
            _l("District (before 2025)"),
            "Huyện/Quận",
            (
                "Huyện",
                "Quận",
                "Quận/Huyện",
                "Huyện/Thị xã",
                "Huyện/Thị xã/Thành phố",
                "Huyện/TX/TP",
            ),
        ),
        Field(
            "province", _l("Province"), "Tỉnh/TP", ("Tỉnh", "Tỉnh/Thành phố", "Thành phố"), required
        ),
    )


_GROUP = Field(
    "group", _l("Group (code or name)"), "Nhóm", ("Tên nhóm", "Mã nhóm", "Nhóm tự lực"), True
)

FIELDS: dict[Kind, tuple[Field, ...]] = {
    Kind.GROUPS: (
        Field("group_code", _l("Group code"), "Mã nhóm"),
        Field("group_name", _l("Group name"), "Tên nhóm", ("Nhóm", "Nhóm tự lực"), True),
        *_place_fields(True),
        Field("village", _l("Village"), "Thôn/Xóm", ("Thôn", "Xóm", "Thôn/Ấp", "Ấp", "Thôn/Bản")),
        Field("founded_on", _l("Founded on"), "Ngày thành lập", ("Ngày TL",), True),
        Field("partner", _l("Partner organisation"), "Đơn vị phối hợp", ("Đối tác",)),
    ),
    Kind.MEMBERS: (
        Field("member_code", _l("Member code"), "Mã thành viên", ("Mã TV", "Mã số")),
        Field("full_name", _l("Full name"), "Họ và tên", ("Họ tên", "Tên thành viên", "Tên"), True),
        Field("birth_year", _l("Year of birth"), "Năm sinh", ("Ngày sinh", "NS")),
        Field("gender", _l("Gender"), "Giới tính", ("Giới", "GT")),
        Field("phone", _l("Phone"), "Số điện thoại", ("SĐT", "Điện thoại", "SDT", "ĐT")),
        _GROUP,
        *_place_fields(False),
        Field("joined_on", _l("Joined on"), "Ngày tham gia", ("Ngày vào nhóm", "Ngày vào")),
        Field("role", _l("Role in the group"), "Vai trò", ("Chức vụ", "Vai trò trong nhóm")),
        Field("category", _l("Category"), "Nhóm đối tượng", ("Đối tượng", "Phân loại")),
    ),
    Kind.ATTENDANCE: (
        _GROUP,
        Field("member_code", _l("Member code"), "Mã thành viên", ("Mã TV", "Mã số")),
        Field("full_name", _l("Full name"), "Họ và tên", ("Họ tên", "Tên thành viên", "Tên")),
        Field("birth_year", _l("Year of birth"), "Năm sinh", ("NS",)),
        Field("held_on", _l("Meeting date"), "Ngày họp", ("Ngày sinh hoạt", "Ngày"), True),
        Field("kind", _l("Kind of meeting"), "Loại buổi họp", ("Loại", "Hình thức")),
        Field("status", _l("Present"), "Có mặt", ("Điểm danh", "Tham dự", "Có mặt/Vắng"), True),
    ),
}


def header_key(header: str) -> str:
    """A header as compared: folded, punctuation as spaces ("Xã / Phường" -> "xa phuong")."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(header or "")).split())


def guess_mapping(kind: Kind, headers: list[str], remembered: dict[str, str] | None = None):
    """{field: column index}: the person's remembered headers first, then known names."""
    keys = [header_key(h) for h in headers]
    mapping: dict[str, int] = {}
    taken: set[int] = set()
    remembered = remembered or {}
    for field in FIELDS[kind]:
        wanted = remembered.get(field.key)
        if wanted and wanted in keys and keys.index(wanted) not in taken:
            mapping[field.key] = keys.index(wanted)
            taken.add(mapping[field.key])
    for field in FIELDS[kind]:
        if field.key in mapping or (remembered.get(field.key) == "" and not field.required):
            continue  # found, or left out on purpose last time
        for name in (field.header, *field.aliases):
            key = header_key(name)
            if key in keys and keys.index(key) not in taken:
                mapping[field.key] = keys.index(key)
                taken.add(mapping[field.key])
                break
    return mapping


def missing_required(kind: Kind, mapping: dict[str, int]) -> list[Field]:
    missing = [f for f in FIELDS[kind] if f.required and f.key not in mapping]
    if kind == Kind.ATTENDANCE and not {"member_code", "full_name"} & set(mapping):
        missing.append(next(f for f in FIELDS[kind] if f.key == "full_name"))
    return missing
