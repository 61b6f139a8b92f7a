"""A messy members register for bench.imports (issue 23), the way NGO staff keep them: a
title row and a blank row above a header in Vietnamese abbreviations, a column-number row
under it, a group column, joining dates as dates, dd/mm/yyyy text, a bare year (number or
text) or a month ("05/2023"), "không rõ", "KR" and "-" in optional fields, phones with
spaces, dots, +84 or no leading 0, village, category and consent words, a totals row and
signatures below the list. Only bench.imports uses it.
"""

import random
from datetime import date, timedelta

HEADER = [
    "STT",
    "Họ và tên",
    "Năm sinh",
    "Giới tính",
    "SĐT",
    "Đồng ý liên lạc qua điện thoại",
    "Đồng ý lưu hồ sơ",
    "Tên nhóm",
    "Thôn/Xóm",
    "Xã/Phường",
    "Huyện/Quận",
    "Tỉnh/TP",
    "Ngày vào nhóm",
    "Đối tượng",
]
UNKNOWN = ("không rõ", "KR", "-", "?")
CATEGORY = ("NN", "DC", "Nạn nhân bị mua bán trở về", "Người di cư trở về", "CĐ", "cộng đồng")


def _phone(rng: random.Random) -> object:
    digits = f"9{rng.randint(10_000_000, 99_999_999)}"
    return rng.choice(
        (
            int(digits),  # lost its 0 in Excel
            f"0{digits[:3]} {digits[3:6]} {digits[6:]}",
            f"+84 {digits}",
            f"0{digits[:3]}.{digits[3:6]}.{digits[6:]}",
            f"0{digits}",
        )
    )


def _joined(i: int, rng: random.Random, founded: date) -> object:
    day = founded + timedelta(days=rng.randint(0, 400))
    kind = i % 6
    if kind == 0:
        return day  # an Excel date
    if kind == 1:
        return day.strftime("%d/%m/%Y")
    if kind == 2:
        return day.year  # a bare year as a number: never a serial day
    if kind == 3:
        return str(day.year)
    if kind == 4:
        return day.strftime("%m/%Y")
    return (day - date(1899, 12, 30)).days  # a serial number


def messy_members_register(n: int, rng: random.Random, groups: int, places) -> list[list]:
    from demo.data import FAMILY, FEMALE

    rows: list[list] = [
        ["DANH SÁCH THÀNH VIÊN NHÓM TỰ LỰC - NĂM 2024"] + [None] * (len(HEADER) - 1),
        [None] * len(HEADER),
        list(HEADER),
        [f"({k})" for k in range(1, len(HEADER) + 1)],
    ]
    founded = date(2021, 1, 4)
    for i in range(n):
        g = i % groups
        commune, district, province = places[g % len(places)]
        middle, given = rng.choice(FEMALE)
        unknown = rng.choice(UNKNOWN)
        rows.append(
            [
                i + 1,
                f"{rng.choice(FAMILY)} {middle} {given} {i}",
                unknown
                if i % 17 == 0
                else (rng.randint(1960, 2004) if i % 2 else str(rng.randint(1960, 2004))),
                unknown if i % 23 == 0 else rng.choice(("Nữ", "nữ", "F", "Nam")),
                None if i % 11 == 0 else _phone(rng),
                rng.choice(("Có", "x", "không", "đồng ý")),
                rng.choice(("Có", "x", "đã ký", "chưa")),
                # The register names the group; a few rows spell it differently.
                f"Nhóm Bench {g:02d}" if i % 29 else f"nhóm bench {g:02d}",
                unknown if i % 13 == 0 else f"Xóm {1 + i % 9}",
                commune,
                district,
                province,
                _joined(i, rng, founded),
                rng.choice(CATEGORY),
            ]
        )
    rows.append([None, "Tổng cộng", n] + [None] * (len(HEADER) - 3))
    rows.append([None, "Người lập biểu"] + [None] * (len(HEADER) - 2))
    return rows
