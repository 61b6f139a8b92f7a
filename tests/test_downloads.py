"""Downloaded files are named in the user's language: "thành-viên_HUE-N001_….csv" with an
ASCII fallback ("thanh-vien_…") and the RFC 5987 filename*, for every download route."""

import io
import os
import re
from urllib.parse import unquote

import pytest
from flask_babel import force_locale

from accounts.models import Role
from core.downloads import WORDS, ascii_name, attachment, file_name
from tests.conftest import HUE, ROOT, login

APP_DIRS = ("accounts", "core", "groups", "livelihoods", "support", "reports", "imports")
ENGLISH_WORDS = re.compile(
    r"members|groups|grants|payments|visits|attendance|register|indicators|template|"
    r"check|mine|nation|province|commune|report",
    re.IGNORECASE,
)


def names(disposition: str) -> tuple[str, str]:
    """(the ASCII filename=, the UTF-8 filename*) of a Content-Disposition."""
    plain = re.search(r'filename="([^"]+)"', disposition)
    full = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    assert plain and full, disposition
    return plain.group(1), unquote(full.group(1))


def test_a_name_is_in_the_users_language_with_an_ascii_fallback(app):
    with app.test_request_context():
        with force_locale("vi"):
            name = file_name("members", "HUE-N001", "2026-12-07", ext="csv")
            assert name == "thành-viên_HUE-N001_2026-12-07.csv"
            assert file_name("register", "HUE-N001", "2026-03", ext="xlsx").startswith(
                "sổ-điểm-danh_"
            )
            assert file_name("indicators", "province", ext="csv") == "chỉ-số_tỉnh-thành-phố.csv"
        with force_locale("en"):
            assert file_name("members", "HUE-N001", ext="csv") == "members_HUE-N001.csv"
    assert ascii_name("sổ-điểm-danh_HUE-N001.csv") == "so-diem-danh_HUE-N001.csv"
    plain, full = names(attachment("thành-viên_2026.csv"))
    assert (plain, full) == ("thanh-vien_2026.csv", "thành-viên_2026.csv")
    assert attachment("thành-viên.csv").isascii()  # a header is ASCII; the letters are %-coded


def test_every_word_has_a_vietnamese_name(app):
    with app.test_request_context(), force_locale("vi"):
        for key in WORDS:
            name = file_name(key, ext="csv")
            assert not ENGLISH_WORDS.search(ascii_name(name)), (key, name)


def test_no_route_sets_its_own_content_disposition():
    """Every download goes through core.downloads.attachment."""
    found = []
    for folder in APP_DIRS:
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, folder)):
            for name in (n for n in files if n.endswith(".py")):
                path = os.path.join(dirpath, name)
                if os.path.relpath(path, ROOT) == os.path.join("core", "downloads.py"):
                    continue
                with open(path, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        if re.search(r"Content-Disposition|download_name|as_attachment", line) and (
                            "attachment(" not in line
                        ):
                            found.append(f"{os.path.relpath(path, ROOT)}:{number}")
    assert found == []


REASON = "Gọi mời thành viên dự tập huấn tháng 4"


@pytest.fixture
def downloads(app, make_user, make_group, make_member, make_meeting):
    from datetime import date

    admin = make_user(Role.ADMIN)
    group = make_group(HUE)
    make_member(group, full_name="Trần Thị Mai")
    make_meeting(group, date(2025, 3, 3))
    client = app.test_client()
    login(client, admin)
    client.post("/language", data={"locale": "vi"})
    return client, group


def every_download(client, group):
    """(what, response) for each route that sends a file."""
    for table in ("groups", "members", "attendance", "grants", "payments", "visits"):
        yield table, client.get(f"/exports/table?table={table}&format=csv")
    yield "register", client.get(f"/exports/register?group={group.id}&month=2025-03&format=xlsx")
    personal = {"format": "csv", "confirm": "y", "reason": REASON, "group": group.code}
    yield "personal", client.post("/exports/personal", data={**personal, "table": "members"})
    yield "progress", client.get("/progress/export?format=csv")
    yield "donor report", client.get("/progress/donor/export?format=xlsx")
    for kind in ("groups", "members", "attendance"):
        yield f"template {kind}", client.get(f"/imports/template/{kind}")
    upload = client.post(
        "/imports",
        data={"kind": "groups", "file": (io.BytesIO("Tên nhóm\nNhóm A\n".encode()), "a.csv")},
    )
    assert upload.status_code == 302, upload.get_data(as_text=True)[:500]
    batch = upload.headers["Location"].rsplit("/", 1)[1]
    yield "annotated", client.get(f"/imports/{batch}/annotated")


def test_every_download_route_names_its_file_in_vietnamese(downloads):
    client, group = downloads
    seen = 0
    for what, response in every_download(client, group):
        assert response.status_code == 200, (what, response.get_data(as_text=True)[:300])
        plain, full = names(response.headers["Content-Disposition"])
        assert not full.isascii(), (what, full)  # Vietnamese letters in the real name
        assert plain.isascii() and not ENGLISH_WORDS.search(plain), (what, plain)
        assert plain == ascii_name(full)
        seen += 1
    assert seen == 14
