"""Places and staff are listed in Vietnamese alphabetical order, and groups are found
without diacritics, like members."""

import pytest

from accounts.models import Role, User
from core.db import db
from core.places import Commune, list_communes, list_provinces
from core.text import ALPHABET, collation_key, fold
from groups.services.groups import list_facilitator_choices
from tests.conftest import HUE, NGHE_AN

HA_TINH = 42


def first_letter(name: str) -> int:
    """The position in the Vietnamese alphabet of the first letter of the unit's own name
    (after "Xã", "Phường", "Đặc khu"), base letter and vowel marks but no tone."""
    return ALPHABET.index(collation_letter(name))


def collation_letter(word: str) -> str:
    import unicodedata

    first = unicodedata.normalize("NFD", word.lower())
    base, marks = first[0], [c for c in first[1:3] if unicodedata.combining(c)]
    if base == "đ":
        return "đ"
    kept = [m for m in marks if m in "\u0306\u0302\u031b"]  # ă â ê ô ơ ư keep their mark
    letter = unicodedata.normalize("NFC", base + "".join(kept[:1]))
    return letter if letter in ALPHABET else base


def test_collation_key_follows_the_vietnamese_alphabet_and_tones():
    ordered = ["Cà Mau", "Cao Bằng", "Cần Thơ", "Lai Châu", "Lạng Sơn", "Lào Cai", "Lâm Đồng"]
    assert sorted(reversed(ordered), key=collation_key) == ordered
    assert sorted(["Xã Đông Sơn", "Xã Yên Hòa", "Xã Dương"], key=collation_key) == [
        "Xã Dương",
        "Xã Đông Sơn",
        "Xã Yên Hòa",
    ]


@pytest.mark.parametrize("province", [HUE, NGHE_AN, HA_TINH])
def test_communes_of_a_province_are_in_vietnamese_order(app, province):
    with app.app_context():
        communes = [c.name for c in list_communes(province)]
        assert len(communes) == db.session.query(Commune).filter_by(province_code=province).count()
    # Within each kind of unit, the first letters never go back in the alphabet.
    by_kind: dict[str, list[int]] = {}
    for name in communes:
        if name.startswith("Đặc khu"):
            continue
        kind, _, own = name.partition(" ")
        by_kind.setdefault(kind, []).append(first_letter(own))
    for letters in by_kind.values():
        assert letters == sorted(letters)


def test_ha_tinh_lists_ha_huy_tap_before_hoanh_son(app):
    with app.app_context():
        names = [c.name for c in list_communes(HA_TINH)]
    assert names.index("Phường Hà Huy Tập") < names.index("Phường Hoành Sơn")


def test_nghe_an_lists_d_communes_after_d_and_before_e(app):
    with app.app_context():
        names = [c.name for c in list_communes(NGHE_AN) if c.name.startswith("Xã ")]
    d_stroke = [i for i, n in enumerate(names) if n.startswith("Xã Đ")]
    yen = [i for i, n in enumerate(names) if n.startswith("Xã Y")]
    assert d_stroke and yen and max(d_stroke) < min(yen)


def test_provinces_are_in_vietnamese_order_by_their_short_name(app):
    with app.app_context():
        names = [p.short_name for p in list_provinces()]
    assert len(names) == 34
    assert names.index("Cà Mau") < names.index("Cao Bằng") < names.index("Cần Thơ")
    assert names.index("Lạng Sơn") < names.index("Lào Cai") < names.index("Lâm Đồng")
    assert names.index("Hà Nội") < names.index("Huế") < names.index("Hưng Yên")


STAFF = ["Trần Văn Đức", "Đặng Thị An", "Nguyễn Văn Bình", "Lê Thị Ánh", "Phạm Văn Dũng"]
STAFF_ORDER = ["Đặng Thị An", "Lê Thị Ánh", "Nguyễn Văn Bình", "Phạm Văn Dũng", "Trần Văn Đức"]


@pytest.fixture
def staff(make_user):
    return [make_user(Role.FACILITATOR, full_name=name) for name in STAFF]


def test_facilitator_choices_and_a_groups_facilitators_are_in_vietnamese_order(
    app, staff, make_group
):
    group = make_group(facilitators=staff)
    with app.app_context():
        assert [u.full_name for u in list_facilitator_choices()] == STAFF_ORDER
        from groups.models import Group

        assert [u.full_name for u in db.session.get(Group, group.id).facilitators] == STAFF_ORDER


def test_renaming_a_user_moves_them_in_the_order(app, staff):
    with app.app_context():
        user = db.session.get(User, staff[0].id)
        user.full_name = "Trần Văn Anh"
        db.session.commit()
        assert [u.full_name for u in list_facilitator_choices()][:2] == [
            "Đặng Thị An",
            "Trần Văn Anh",
        ]


def test_the_users_page_lists_staff_in_vietnamese_order(client, login_as, staff):
    login_as(Role.ADMIN, full_name="Vũ Thị Yến")
    page = client.get("/admin/users?role=facilitator").get_data(as_text=True)
    positions = [page.index(name) for name in STAFF_ORDER]
    assert positions == sorted(positions)


# Group search --------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["dong", "Đông", "ĐÔNG", "thon dong", "Thôn Đông"])
def test_group_search_ignores_case_and_diacritics(client, login_as, make_group, q):
    user = login_as(Role.COORDINATOR)
    make_group(name="Nhóm Thôn Đông")
    make_group(name="Nhóm Xóm Tây")
    page = client.get("/groups", query_string={"q": q}).get_data(as_text=True)
    assert "Nhóm Thôn Đông" in page and "Nhóm Xóm Tây" not in page
    assert user


def test_group_search_follows_a_rename(app, client, login_as, make_group):
    login_as(Role.COORDINATOR)
    group = make_group(name="Nhóm Xóm Tây")
    with app.app_context():
        from groups.models import Group

        row = db.session.get(Group, group.id)
        row.name = "Nhóm Bến Đò"
        db.session.commit()
        assert row.search_name == fold("Nhóm Bến Đò")
    assert "Nhóm Bến Đò" in client.get("/groups?q=ben do").get_data(as_text=True)
    assert "Nhóm Bến Đò" not in client.get("/groups?q=tay").get_data(as_text=True)


def test_group_search_still_finds_a_code(client, login_as, make_group):
    login_as(Role.COORDINATOR)
    group = make_group(name="Nhóm Thôn Đông")
    assert "Nhóm Thôn Đông" in client.get(f"/groups?q={group.code.lower()}").get_data(as_text=True)
