"""What a check can find, and the words registers use for genders, roles, attendance…"""

from flask_babel import lazy_gettext as _l

from groups.meeting_models import AttendanceStatus, MeetingKind
from groups.models import Gender, GroupRole, MemberCategory

# Problems found by a check: code -> (level, what it means, said once for all its rows).
ERROR, WARNING = "error", "warning"
PROBLEMS = {
    "missing": (ERROR, _l("Required value missing")),
    "bad_date": (ERROR, _l("Invalid date")),
    "too_long": (ERROR, _l("Text too long for this column")),
    "unknown_category": (ERROR, _l("Category not understood: choose what it means below")),
    "unknown_province": (ERROR, _l("Province not recognised")),
    "unknown_commune": (ERROR, _l("Commune not in the official list: choose it below")),
    "split_commune": (ERROR, _l("The old commune was split: choose the new one below")),
    "both_commune": (
        ERROR,
        _l("A commune of today and an old commune have this name: choose which below"),
    ),
    "out_of_scope": (ERROR, _l("Outside the provinces or groups you work with")),
    "group_not_found": (ERROR, _l("No such group among yours: write the group code")),
    "unknown_group_code": (ERROR, _l("No group of yours has this code: check the code")),
    "group_needs_place": (
        ERROR,
        _l("The group to create needs a commune: give its members' commune"),
    ),
    "ambiguous_group": (ERROR, _l("Several of your groups have this name: write its code")),
    "group_closed": (ERROR, _l("The group is closed")),
    "before_founded": (ERROR, _l("Date before the group was founded")),
    "future_date": (ERROR, _l("Date after today")),
    "before_programme": (ERROR, _l("Date before the programme began")),
    "member_not_found": (ERROR, _l("Member not found in this group")),
    "ambiguous_member": (ERROR, _l("Several members of the group have this name: add the code")),
    "not_member_on_day": (ERROR, _l("Not a member of the group on that day")),
    "bad_status": (ERROR, _l("Attendance not understood (write x, có, vắng or phép)")),
    "bad_kind": (ERROR, _l("Kind of meeting not understood")),
    "duplicate_in_file": (ERROR, _l("The same person or meeting appears twice in the file")),
    "existing_member": (WARNING, _l("Duplicates an existing member: kept, not added again")),
    "no_category_column": (
        WARNING,
        _l("No category column: kept as community resident unless you choose below"),
    ),
    "member_changes": (
        WARNING,
        _l("Already here, with new values: the changes listed below will be applied"),
    ),
    "existing_group": (WARNING, _l("The group already exists: kept, not added again")),
    "new_group": (WARNING, _l("A new group will be created, as you confirmed")),
    "bad_phone": (WARNING, _l("Phone number not understood: left empty")),
    "bad_year": (WARNING, _l("Year of birth not understood: left empty")),
    "unknown_value": (WARNING, _l("Written as not known: left empty")),
    "year_only": (WARNING, _l("Only the year was written: kept as a year, shown ~2019")),
    "month_only": (WARNING, _l("Only the month was written: kept as a month, shown ~05/2023")),
    "bad_role": (WARNING, _l("Role not understood: kept as a member")),
    "bad_gender": (WARNING, _l("Gender not understood: left as not said")),
    "bad_consent": (
        WARNING,
        _l("Consent to phone contact not understood: the phone is kept, hidden"),
    ),
    "unknown_consent": (
        ERROR,
        _l("Consent to keep programme records not understood: choose what it means below"),
    ),
    "consent_blank": (
        WARNING,
        _l("Consent to keep programme records left blank: not recorded"),
    ),
    "unknown_code": (WARNING, _l("Member code not in the app: a new code will be given")),
    "attendance_differs": (
        WARNING,
        _l("Attendance differs from what is recorded: kept as recorded"),
    ),
}

# What registers write in a "agrees to be called" column.
CONSENT_WORDS = {
    "co": True,
    "x": True,
    "dong y": True,
    "co dong y": True,
    "yes": True,
    "y": True,
    "1": True,
    "khong": False,
    "k": False,
    "ko": False,
    "khong dong y": False,
    "da dong y": True,
    "dong y luu": True,
    "da ky": True,
    "co ky": True,
    "ky": True,
    "chua": False,
    "chua dong y": False,
    "chua ky": False,
    "tu choi": False,
    "khong ky": False,
    "no": False,
    "n": False,
    "0": False,
}

GENDERS_WORDS = {
    "nu": Gender.FEMALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "x": Gender.FEMALE,
    "nam": Gender.MALE,
    "m": Gender.MALE,
    "male": Gender.MALE,
    "khac": Gender.OTHER,
    "other": Gender.OTHER,
}
ROLES_WORDS = {
    "truong nhom": GroupRole.LEADER,
    "nhom truong": GroupRole.LEADER,
    "leader": GroupRole.LEADER,
    "thu quy": GroupRole.TREASURER,
    "treasurer": GroupRole.TREASURER,
    "thanh vien": GroupRole.MEMBER,
    "member": GroupRole.MEMBER,
    "tv": GroupRole.MEMBER,
}
_SURVIVOR = (
    "1",
    "doi tuong 1",
    "nhom 1",
    "nn",
    "nnmb",
    "nan nhan",
    "nan nhan mua ban",
    "nan nhan mua ban nguoi",
    "nan nhan bi mua ban",
    "nan nhan bi mua ban tro ve",
    "nan nhan mua ban tro ve",
    "nguoi bi mua ban",
    "nguoi bi mua ban tro ve",
    "bi mua ban tro ve",
    "nguoi tro ve",
    "tro ve",
)
_MIGRANT = (
    "2",
    "doi tuong 2",
    "nhom 2",
    "dc",
    "di cu",
    "di cu tro ve",
    "nguoi di cu",
    "nguoi di cu tro ve",
    "lao dong di cu",
    "lao dong di cu tro ve",
    "lao dong tro ve",
    "di lam an xa tro ve",
    "lao dong xuat khau tro ve",
)
_COMMUNITY = (
    "3",
    "doi tuong 3",
    "nhom 3",
    "cd",
    "cong dong",
    "nguoi dan",
    "nguoi dan cong dong",
    "thanh vien cong dong",
    "nguoi dan dia phuong",
    "dan cu",
)
CATEGORIES_WORDS = {
    **dict.fromkeys(_SURVIVOR, MemberCategory.SURVIVOR),
    **dict.fromkeys(_MIGRANT, MemberCategory.MIGRANT),
    **dict.fromkeys(_COMMUNITY, MemberCategory.COMMUNITY),
}
STATUSES_WORDS = {
    "x": AttendanceStatus.PRESENT,
    "1": AttendanceStatus.PRESENT,
    "co": AttendanceStatus.PRESENT,
    "co mat": AttendanceStatus.PRESENT,
    "yes": AttendanceStatus.PRESENT,
    "present": AttendanceStatus.PRESENT,
    "v": AttendanceStatus.ABSENT,
    "0": AttendanceStatus.ABSENT,
    "khong": AttendanceStatus.ABSENT,
    "vang": AttendanceStatus.ABSENT,
    "vang mat": AttendanceStatus.ABSENT,
    "no": AttendanceStatus.ABSENT,
    "absent": AttendanceStatus.ABSENT,
    "p": AttendanceStatus.EXCUSED,
    "phep": AttendanceStatus.EXCUSED,
    "co phep": AttendanceStatus.EXCUSED,
    "vang co phep": AttendanceStatus.EXCUSED,
    "excused": AttendanceStatus.EXCUSED,
}
KINDS_WORDS = {
    "thuong ky": MeetingKind.REGULAR,
    "dinh ky": MeetingKind.REGULAR,
    "sinh hoat": MeetingKind.REGULAR,
    "hop thuong ky": MeetingKind.REGULAR,
    "regular": MeetingKind.REGULAR,
    "tap huan": MeetingKind.TRAINING,
    "training": MeetingKind.TRAINING,
    "ho tro dong dang": MeetingKind.PEER_SUPPORT,
    "dong dang": MeetingKind.PEER_SUPPORT,
    "peer support": MeetingKind.PEER_SUPPORT,
    "bat thuong": MeetingKind.EXTRA,
    "bo sung": MeetingKind.EXTRA,
    "them": MeetingKind.EXTRA,
    "extra": MeetingKind.EXTRA,
}


def describe_problems(problems, labels: dict[str, str]) -> tuple[str, str]:
    """(errors, warnings) of a row in words, for the annotated copy: "Invalid date (Ngày họp)"."""
    found = {ERROR: [], WARNING: []}
    for code, key in problems:
        level, message = PROBLEMS[code]
        text = f"{message} ({labels[key]})" if key in labels else str(message)
        if text not in found[level]:
            found[level].append(text)
    return "; ".join(found[ERROR]), "; ".join(found[WARNING])
