"""Diacritic folding for search and Vietnamese sort keys (core/text.py)."""

import unicodedata

import pytest

from core.text import fold, sort_key


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Thị Lan", "nguyen thi lan"),
        ("NGUYỄN THỊ LAN", "nguyen thi lan"),
        ("Đặng Văn Đức", "dang van duc"),
        ("  Trương   Quốc\tHưng ", "truong quoc hung"),
        ("Phạm Ngọc Ánh", "pham ngoc anh"),
        ("Lê Thị Ơn Ửng", "le thi on ung"),
    ],
)
def test_fold_drops_case_diacritics_and_extra_spaces(text, folded):
    assert fold(text) == folded


def test_fold_gives_the_same_key_for_composed_and_decomposed_text():
    name = "Nguyễn Thị Ánh"
    assert fold(unicodedata.normalize("NFD", name)) == fold(unicodedata.normalize("NFC", name))


def ordered(*names: str) -> list[str]:
    return sorted(names, key=sort_key)


def test_names_sort_by_given_name_first():
    names = ["Nguyễn Thị Lan", "Lê Thị Ánh", "Phạm Anh", "Trần Văn An"]
    assert ordered(*names) == ["Trần Văn An", "Phạm Anh", "Lê Thị Ánh", "Nguyễn Thị Lan"]


def test_same_given_name_sorts_by_family_name():
    assert ordered("Trần Văn An", "Lê Văn An", "Bùi Thị An") == [
        "Bùi Thị An",
        "Lê Văn An",
        "Trần Văn An",
    ]


def test_letters_follow_the_vietnamese_alphabet():
    # a < ă < â, d < đ, o < ô < ơ, u < ư: a folded ASCII sort would mix these.
    assert ordered("Lê Ân", "Lê Ăn", "Lê An") == ["Lê An", "Lê Ăn", "Lê Ân"]
    assert ordered("Trần Đào", "Trần Dung", "Trần Em") == ["Trần Dung", "Trần Đào", "Trần Em"]
    assert ordered("Hà Ơn", "Hà Ôn", "Hà On") == ["Hà On", "Hà Ôn", "Hà Ơn"]
    assert ordered("Hà Ưng", "Hà Ung", "Hà Vân") == ["Hà Ung", "Hà Ưng", "Hà Vân"]


def test_tones_only_break_ties_in_dictionary_order():
    # ngang, huyền, sắc, hỏi, ngã, nặng
    tones = ["Lê Ma", "Lê Mà", "Lê Má", "Lê Mả", "Lê Mã", "Lê Mạ"]
    assert ordered(*reversed(tones)) == tones
    # Letters decide before tones: Án (a + sắc) comes before Ăn (ă).
    assert ordered("Lê Ăn", "Lê Án") == ["Lê Án", "Lê Ăn"]


def test_a_shorter_given_name_sorts_before_a_longer_one_it_starts():
    assert ordered("Phạm Anh", "Trần Văn An") == ["Trần Văn An", "Phạm Anh"]
    assert ordered("Võ Thị Hoà", "Võ Thị Hoa", "Võ Hoan") == ["Võ Thị Hoa", "Võ Thị Hoà", "Võ Hoan"]


def test_sort_key_ignores_case_and_unicode_form():
    assert sort_key("NGUYỄN THỊ LAN") == sort_key("Nguyễn Thị Lan")
    assert sort_key(unicodedata.normalize("NFD", "Nguyễn Thị Lan")) == sort_key("Nguyễn Thị Lan")


def test_sort_key_is_digits_only_and_fits_its_column():
    key = sort_key("Nguyễn Thị Minh Khai " * 20)
    assert key.isdigit()
    assert len(key) <= 255
