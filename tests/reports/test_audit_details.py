"""The audit viewer says what each event's detail means in the reader's language: "14 dòng;
lọc theo: nhóm, tháng", never the raw "rows=14;filters=group,month" the database keeps."""

import os
import re

import pytest
from flask_babel import force_locale

from accounts.models import Role
from core import audit
from core.db import db
from reports import audit_details
from reports.audit_details import describe
from tests.conftest import ROOT, login

APP_DIRS = ("accounts", "core", "groups", "livelihoods", "support", "reports", "imports")


@pytest.mark.parametrize(
    "action, detail, vietnamese",
    [
        ("export", "rows=14;filters=group,month", "14 dòng; lọc theo: nhóm, tháng"),
        ("list", "from=240", "danh sách từ số 240"),
        ("list", "page=3", "trang 3"),
        ("update", "changed=phone,email", "đã sửa: số điện thoại, email"),
        ("create", "role=coordinator", "vai trò: Cán bộ điều phối tỉnh"),
        (
            "login",
            "door=staff two_factor=recovery_code",
            "cán bộ đăng nhập; bước hai: mã dự phòng",
        ),
        ("login", "door=member", "thành viên đăng nhập bằng mã PIN"),
        ("login_failed", "two_factor", "nhập sai mã xác thực"),
        ("view", "answers", "xem câu trả lời"),
        ("view", "letter", "mở phiếu chuyển gửi"),
        ("update", "referred>acknowledged", "Đã chuyển gửi → Đơn vị đã tiếp nhận"),
        ("consent", "phone_contact", "Liên lạc qua điện thoại"),
        ("anonymise", "member asked; rows=2", "lý do: member asked; rows=2"),
        (
            "export",
            "rows=1500;filters=personal,group;reason=báo cáo; rows=9",
            "1.500 dòng; lọc theo: có họ tên và số điện thoại, nhóm; lý do: báo cáo; rows=9",
        ),
        ("upload", "kind=members;rows=12", "loại danh sách: Thành viên; 12 dòng"),
        (
            "import",
            "kind=attendance;new=10;matched=2;errors=1",
            "loại danh sách: Điểm danh buổi sinh hoạt; mới: 10; trùng khớp: 2; có lỗi: 1",
        ),
        ("create", "version=2", "Bộ câu hỏi số 2"),
        ("create", "provider=7", "đơn vị cung cấp dịch vụ số 7"),
        ("view", None, ""),
    ],
)
def test_each_kind_of_detail_reads_as_vietnamese(app, action, detail, vietnamese):
    with app.test_request_context(), force_locale("vi"):
        assert describe(action, detail) == vietnamese


def test_the_same_details_read_as_english_for_an_english_reader(app):
    with app.test_request_context(), force_locale("en"):
        assert describe("export", "rows=14;filters=group,month") == (
            "14 rows; filtered by: group, month"
        )
        assert describe("list", "from=240") == "list from no. 240"


# detail="word", detail=f"key={…}", detail += ";filters=", "door=staff two_factor=" + how,
# detail="notes" if notes else None: the literal text a service writes as a detail.
DETAIL_CALL = re.compile(r"""\bdetail\s*\+?=\s*(?=(.{0,200}))""", re.DOTALL)
LITERAL = re.compile(r"""f?"([^"\n]*)\"""")
KEY = re.compile(r"(?:^|[;\s])([a-z_]+)=")


def argument(text: str) -> str:
    """The expression at the start of text, up to its comma, closing bracket or line end."""
    depth, quote = 0, None
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif depth == 0 and (char in ",)]}\n"):
            return text[:i]
        elif char in ")]}":
            depth -= 1
    return text


def written_details() -> tuple[set[str], set[str], set[str]]:
    """(keys, one-word details, export filter names) the application's code writes."""
    keys, words, filters = set(), set(), set()
    for folder in APP_DIRS:
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, folder)):
            for name in (n for n in files if n.endswith(".py") and n != "audit_details.py"):
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    text = f.read()
                for call in DETAIL_CALL.finditer(text):
                    for literal in LITERAL.findall(argument(call.group(1))):
                        keys |= set(KEY.findall(literal))
                        if re.fullmatch(r"[a-z_]+", literal):
                            words.add(literal)
                # filters=("group", "month"), filters = [k for k in ("group", …)], .append(…)
                for given in re.findall(r"\bfilters(?:\s*=\s*|\.append\()(.*)", text):
                    if not given.startswith(("[lambda", "filters", "(),", "()")):
                        filters |= set(re.findall(r"""["']([a-z_]+)["']""", given))
                # door(member) returns its own "door=…" text.
                keys |= set(re.findall(r"""return "([a-z_]+)=""", text))
    return keys, words, filters


def test_every_key_and_word_the_code_writes_has_words_in_the_reader_language(app):
    keys, words, filters = written_details()
    # The scan itself works: it finds what the export, the lists and the logins write.
    assert {"rows", "filters", "reason", "from", "changed", "door", "two_factor"} <= keys
    assert {"answers", "letter", "notes"} <= words
    assert {"group", "month", "period", "personal"} <= filters
    with app.test_request_context(), force_locale("vi"):
        # A day (on=…, core.audit.record) is read as a day; any other key as a number.
        unknown_keys = {
            k for k in keys if "=" in describe("view", f"{k}={'2026-03-02' if k == 'on' else 1}")
        }
        unknown_keys -= {"reason"}  # free text, put in words by describe() itself
    assert unknown_keys == set()
    assert words - set(audit_details.WORDS) == set()
    assert filters - set(audit_details.FILTERS) == set()


def test_the_audit_page_shows_the_details_in_vietnamese(app, client, make_user):
    admin = make_user(Role.ADMIN)
    with app.app_context():
        audit.record_export(admin, "members", rows=14, filters=("group", "month"))
        audit.record(admin, "list", object_type="grants", detail="from=240")
        db.session.commit()
    login(client, admin)
    client.post("/language", data={"locale": "vi"})
    html = client.get("/audit").get_data(as_text=True)
    assert "14 dòng; lọc theo: nhóm, tháng" in html
    assert "danh sách từ số 240" in html
    assert "rows=" not in html and "filters=" not in html and "from=" not in html
