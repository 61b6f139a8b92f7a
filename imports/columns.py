"""What each kind of register holds, and which of a file's columns holds each field.

Headers are recognised by the words registers use ("Họ và tên", "Năm sinh", "Xã/Phường"…),
with or without diacritics, in any case and spacing, abbreviated ("SĐT", "NS") or followed
by a note ("Năm sinh (ghi năm)"); a person can change the choice, and their last choice
per kind is remembered as a suggestion (ImportMapping).
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from core.enums import LabelledEnum
from core.text import fold


class Kind(LabelledEnum):
    GROUPS = "groups", _l("Groups")
    MEMBERS = "members", _l("Members")
    ATTENDANCE = "attendance", _l("Meeting attendance")


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
            (
                "Xã",
                "Phường",
                "Xã/Phường/Thị trấn",
                "Xã/Phường/TT",
                "Phường/Xã",
                "Xã/Thị trấn",
                "Xã phường",
            ),
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
                "Huyện/TX",
            ),
        ),
        Field(
            "province",
            _l("Province"),
            "Tỉnh/TP",
            ("Tỉnh", "Tỉnh/Thành phố", "Thành phố", "Tỉnh/thành"),
            required,
        ),
    )


_GROUP = Field(
    "group",
    _l("Group (code or name)"),
    "Nhóm",
    (
        "Tên nhóm",
        "Mã nhóm",
        "Nhóm tự lực",
        "Tên nhóm tự lực",
        "Nhóm TL",
        "Thuộc nhóm",
        "Nhóm sinh hoạt",
        "Tên nhóm/Mã nhóm",
        "Mã/Tên nhóm",
    ),
    True,
)
_NAME = ("Họ tên", "Họ, tên", "Tên thành viên", "Tên", "Họ và tên thành viên", "Người tham gia")
_CODE = ("Mã TV", "Mã số", "Mã", "Mã số thành viên", "ID")

FIELDS: dict[Kind, tuple[Field, ...]] = {
    Kind.GROUPS: (
        Field("group_code", _l("Group code"), "Mã nhóm"),
        Field(
            "group_name",
            _l("Group name"),
            "Tên nhóm",
            ("Nhóm", "Nhóm tự lực", "Tên nhóm tự lực"),
            True,
        ),
        *_place_fields(True),
        Field("village", _l("Village"), "Thôn/Xóm", ("Thôn", "Xóm", "Thôn/Ấp", "Ấp", "Thôn/Bản")),
        Field(
            "founded_on",
            _l("Founded on"),
            "Ngày thành lập",
            ("Ngày TL", "Năm thành lập", "Thành lập"),
            True,
        ),
        Field("partner", _l("Partner organisation"), "Đơn vị phối hợp", ("Đối tác",)),
    ),
    Kind.MEMBERS: (
        Field("member_code", _l("Member code"), "Mã thành viên", _CODE),
        Field("full_name", _l("Full name"), "Họ và tên", _NAME, True),
        Field(
            "birth_year",
            _l("Year of birth"),
            "Năm sinh",
            ("Ngày sinh", "NS", "Ngày tháng năm sinh", "Ngày, tháng, năm sinh", "Sinh năm"),
        ),
        Field("gender", _l("Gender"), "Giới tính", ("Giới", "GT", "Nam/Nữ", "Nam Nữ")),
        Field(
            "phone",
            _l("Phone"),
            "Số điện thoại",
            ("SĐT", "Điện thoại", "SDT", "ĐT", "Số ĐT", "ĐTDĐ", "Di động", "Điện thoại liên hệ"),
        ),
        Field(
            "phone_consent",
            _l("Agrees to phone contact"),
            "Đồng ý liên lạc qua điện thoại",
            ("Đồng ý gọi điện", "Đồng ý liên lạc", "Đồng ý LL", "Đồng ý nghe máy"),
        ),
        Field(
            "programme_consent",
            _l("Agrees to programme records"),
            "Đồng ý lưu hồ sơ",
            (
                "Đồng ý lưu thông tin",
                "Đồng ý lưu trữ thông tin",
                "Đồng ý lưu trữ hồ sơ",
                "Đồng ý cung cấp thông tin",
                "Đồng ý tham gia chương trình",
                "Phiếu đồng ý",
                "Đã ký phiếu đồng ý",
            ),
        ),
        _GROUP,
        *_place_fields(False),
        Field(
            "village", _l("Village"), "Thôn/Xóm", ("Thôn", "Xóm", "Thôn/Ấp", "Ấp", "Tổ", "Thôn/Bản")
        ),
        Field(
            "joined_on",
            _l("Joined on"),
            "Ngày tham gia",
            (
                "Ngày vào nhóm",
                "Ngày vào",
                "Năm tham gia",
                "Năm vào nhóm",
                "Ngày gia nhập",
                "Thời gian tham gia",
                "Thời gian vào nhóm",
                "Tham gia từ",
                "Tham gia nhóm từ",
            ),
        ),
        Field("role", _l("Role in the group"), "Vai trò", ("Chức vụ", "Vai trò trong nhóm")),
        Field(
            "category",
            _l("Category"),
            "Nhóm đối tượng",
            ("Đối tượng", "Phân loại", "Loại đối tượng", "Diện đối tượng", "Diện"),
        ),
    ),
    Kind.ATTENDANCE: (
        _GROUP,
        Field("member_code", _l("Member code"), "Mã thành viên", _CODE),
        Field("full_name", _l("Full name"), "Họ và tên", _NAME),
        Field("birth_year", _l("Year of birth"), "Năm sinh", ("NS",)),
        Field("held_on", _l("Meeting date"), "Ngày họp", ("Ngày sinh hoạt", "Ngày"), True),
        Field("kind", _l("Kind of meeting"), "Loại buổi họp", ("Loại", "Hình thức")),
        Field("status", _l("Present"), "Có mặt", ("Điểm danh", "Tham dự", "Có mặt/Vắng"), True),
    ),
}
# Headers registers carry that no field keeps: they still tell a header row from a title.
OTHER_HEADERS = (
    "STT",
    "TT",
    "Số TT",
    "Số thứ tự",
    "Ghi chú",
    "Địa chỉ",
    "Thôn/Xóm",
    "Thôn",
    "Xóm",
    "Tổ",
    "Dân tộc",
    "Nghề nghiệp",
    "Ký tên",
    "Chữ ký",
    "Tuổi",
)


def header_key(header: str) -> str:
    """A header as compared: folded, punctuation as spaces ("Xã / Phường" -> "xa phuong")."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(str(header or ""))).split())


@lru_cache(maxsize=8)
def _aliases(kind: Kind) -> list[tuple[str, str]]:
    """(header key, field key) of every known wording, longest first; "" for OTHER_HEADERS."""
    found = {header_key(n): "" for n in OTHER_HEADERS}
    for f in FIELDS[kind]:
        for name in (f.header, *f.aliases):
            found.setdefault(header_key(name), f.key)
            found[header_key(name)] = found[header_key(name)] or f.key
    return sorted(found.items(), key=lambda item: -len(item[0]))


def recognise(kind: Kind, header) -> str | None:
    """The field a header names ("" for a known column no field keeps), else None.

    Exact wording first ("Tên" is a name, "Tên nhóm" a group); then a wording of two words
    or more followed by more ("Họ và tên thành viên", "SĐT (nếu có)", "Năm sinh (ghi năm)").
    """
    key = header_key(header)
    if not key:
        return None
    aliases = _aliases(kind)
    for alias, field in aliases:
        if key == alias:
            return field
    for alias, field in aliases:
        if (" " in alias or alias in ("sdt", "stt")) and key.startswith(alias + " "):
            return field
    return None


def guess_mapping(kind: Kind, headers: list[str], remembered: dict[str, str] | None = None):
    """{field: column index}: the person's remembered headers first, then known wordings.

    A remembered choice is only a suggestion: a column it does not name is still recognised.
    """
    keys = [header_key(h) for h in headers]
    mapping: dict[str, int] = {}
    taken: set[int] = set()
    for field in FIELDS[kind]:
        wanted = (remembered or {}).get(field.key)
        if wanted and wanted in keys and keys.index(wanted) not in taken:
            mapping[field.key] = keys.index(wanted)
            taken.add(mapping[field.key])
    for column, header in enumerate(headers):
        field = recognise(kind, header)
        if field and field not in mapping and column not in taken:
            mapping[field] = column
            taken.add(column)
    return mapping


def missing_required(kind: Kind, mapping: dict[str, int]) -> list[Field]:
    missing = [f for f in FIELDS[kind] if f.required and f.key not in mapping]
    if kind == Kind.ATTENDANCE and not {"member_code", "full_name"} & set(mapping):
        missing.append(next(f for f in FIELDS[kind] if f.key == "full_name"))
    return missing
