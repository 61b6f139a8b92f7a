"""Today's names first (issue 23): a commune written exactly as the app names it today is
that commune, even where an old commune of the same name went elsewhere in 2025; a name
that is both, written loosely or with an old district, is asked with both readings."""

import pytest
from vietnam_provinces import Province, Ward

from core.text import fold
from imports.places_legacy import Outcome, resolve_old_address

DEMO_PROVINCES = (46, 42, 40)  # Huế, Hà Tĩnh, Nghệ An


def communes_of(province: int):
    return [w for w in Ward.iter_all() if int(w.province_code) == province]


@pytest.mark.parametrize("province", DEMO_PROVINCES)
def test_every_commune_resolves_to_itself(province):
    name = next(p.name for p in Province.iter_all() if int(p.code) == province)
    wards = communes_of(province)
    assert len(wards) > 30
    wrong = []
    for w in wards:
        found = resolve_old_address(w.name, None, name)
        if (found.outcome, found.communes) != (Outcome.RESOLVED, (int(w.code),)):
            wrong.append((w.name, found))
    assert wrong == []


@pytest.mark.parametrize("province", DEMO_PROVINCES)
def test_without_diacritics_a_commune_is_never_silently_another(province):
    name = next(p.name for p in Province.iter_all() if int(p.code) == province)
    for w in communes_of(province):
        found = resolve_old_address(fold(w.name), None, fold(name))
        if found.outcome == Outcome.RESOLVED:
            assert found.communes == (int(w.code),), (w.name, found)
        elif found.outcome in (Outcome.BOTH, Outcome.SPLIT):
            assert int(w.code) in found.communes, (w.name, found)
        else:  # asked among the province's communes
            assert found.outcome == Outcome.UNKNOWN, (w.name, found)


@pytest.mark.parametrize(
    ("ward", "province", "code"),
    [
        ("Phường Phú Xuân", "Thành phố Huế", 19753),
        ("Phường Phú Xuân", "Huế", 19753),
    ],
)
def test_the_reviews_examples(ward, province, code):
    assert resolve_old_address(ward, None, province).communes == (code,)


def test_a_name_that_is_both_is_read_by_what_else_is_written():
    today = next(int(w.code) for w in communes_of(42) if w.name == "Phường Trần Phú")
    exact = resolve_old_address("Phường Trần Phú", None, "Hà Tĩnh")
    assert exact.communes == (today,)  # as the app names it: today's commune
    # With the old district that held the old ward: the old address, to its successor.
    old = resolve_old_address("Phường Trần Phú", "TP Hà Tĩnh", "Hà Tĩnh")
    assert old.outcome == Outcome.RESOLVED and old.communes != (today,)
    # Written loosely, or with a district that does not decide: asked, both readings.
    for found in (
        resolve_old_address("phuong tran phu", None, "ha tinh"),
        resolve_old_address("Phường Trần Phú", "Huyện Không Có", "Hà Tĩnh"),
    ):
        assert found.outcome == Outcome.BOTH
        assert set(found.communes) == {today, *old.communes}


def test_the_check_asks_a_name_that_is_both_with_its_two_readings(app, client, login_as):
    from accounts.models import Role
    from tests.imports.registers import book, sheet_rows
    from tests.imports.test_imports import checked

    login_as(Role.COORDINATOR, provinces=(46, 42))
    header = ["Họ và tên", "Tên nhóm", "Xã/Phường", "Tỉnh"]
    rows = [
        header,
        ["Lê Thị Hồng", "Nhóm A", "Phường Phú Xuân", "Thành phố Huế"],
        ["Hồ Thị Na", "Nhóm B", "phuong tran phu", "ha tinh"],
        ["Võ Thị Mai", "Nhóm B", "phuong tran phu", "ha tinh"],
    ]
    batch = checked(client, app, book(("S", lambda ws: sheet_rows(ws, rows))), filename="so.xlsx")
    (place,) = batch.summary_dict["places"]
    assert place["outcome"] == "both_commune" and place["rows"] == 2
    assert len(place["choices"]) == 2
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert page.count('name="place_0"') == 2
    assert "Phường Trần Phú" in page
