"""A programme's old member register, as Excel files of 2023–2024 really look.

`python -m demo.register` writes demo/so-thanh-vien-cu.xlsx: 300 members of 12 groups in
communes of Huế (then Thừa Thiên Huế), Hà Tĩnh and Nghệ An, written with the districts and
communes of before the 2025 reorganisation; phones typed into number cells (their leading 0
lost) or with +84; dates of joining as real dates, as text day first, or as bare serial
numbers; years of birth as text, or "1990.0". Two wards of Hà Tĩnh were split in 2025
(Đại Nài, Kỳ Lợi): the check asks which new commune each is, once. The file is committed;
this writes it again, the same every time (a fixed seed). XlsxWriter is a dev dependency:
the app only reads such files.
"""

import random
from datetime import date, datetime, timedelta
from pathlib import Path

from demo.data import FAMILY, FEMALE, MALE

PATH = Path(__file__).parent / "so-thanh-vien-cu.xlsx"
HEADERS = [
    "STT",
    "Họ và tên",
    "Năm sinh",
    "Giới tính",
    "Số điện thoại",
    "Nhóm",
    "Xã/Phường",
    "Huyện/Quận",
    "Tỉnh/TP",
    "Ngày tham gia",
    "Vai trò",
]
# (group, old commune, old district, old province): as the province office wrote them.
GROUPS = [
    ("Nhóm Sen Hồng Phú Hội", "P. Phú Hội", "TP Huế", "Thừa Thiên Huế"),
    ("Nhóm Kim Long", "Phường Kim Long", "Thành phố Huế", "Tỉnh Thừa Thiên Huế"),
    ("Nhóm Hương Sơ", "phuong huong so", "tp hue", "thua thien hue"),
    ("Nhóm Vĩnh Ninh", "P.Vĩnh Ninh", "", "TT-Huế"),
    ("Nhóm Xuân An", "TT. Xuân An", "H. Nghi Xuân", "Hà Tĩnh"),
    ("Nhóm Cẩm Xuyên", "Thị trấn Cẩm Xuyên", "Huyện Cẩm Xuyên", "Tỉnh Hà Tĩnh"),
    ("Nhóm Đại Nài", "Phường Đại Nài", "TP Hà Tĩnh", "Hà Tĩnh"),  # split in 2025
    ("Nhóm Kỳ Lợi", "Xã Kỳ Lợi", "TX Kỳ Anh", "Hà Tĩnh"),  # split in three
    ("Nhóm Diễn Lâm", "X. Diễn Lâm", "H. Diễn Châu", "Nghệ An"),
    ("Nhóm Nghi Phong", "Xã Nghi Phong", "Huyện Nghi Lộc", "Tỉnh Nghệ An"),
    ("Nhóm Quỳnh Thạch", "xa quynh thach", "huyen quynh luu", "nghe an"),
    ("Nhóm Diễn Hạnh", "Xã Diễn Hạnh", "Huyện Diễn Châu", "Nghệ An"),
]
MEMBERS = 300


def rows(rng: random.Random) -> list[list]:
    out = []
    for n in range(MEMBERS):
        group, commune, district, province = GROUPS[n % len(GROUPS)]
        female = rng.random() < 0.85
        middle, given = rng.choice(FEMALE if female else MALE)
        year = rng.randint(1968, 2004)
        joined = date(2023, 1, 9) + timedelta(days=rng.randint(0, 540))
        phone = None
        style = n % 5
        if rng.random() < 0.75:
            digits = f"9{rng.randint(10_000_000, 99_999_999)}"
            phone = (
                int(digits)
                if style in (0, 1)
                else (
                    f"+84 {digits[:2]} {digits[2:5]} {digits[5:]}" if style == 2 else "0" + digits
                )
            )
        out.append(
            [
                n + 1,
                f"{rng.choice(FAMILY)} {middle} {given}",
                str(year) if style == 3 else f"{year}.0" if style == 4 else year,
                "Nữ" if female else "Nam",
                phone,
                group,
                commune,
                district,
                province,
                # a real date, text day first, or a bare serial number
                joined
                if style in (0, 2)
                else joined.strftime("%d/%m/%Y")
                if style in (1, 3)
                else (joined - date(1899, 12, 30)).days,
                "Trưởng nhóm" if n < len(GROUPS) else "Thủ quỹ" if n < 2 * len(GROUPS) else "",
            ]
        )
    return out


def write(path: Path = PATH) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Danh sách")
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, HEADERS)
    for r, row in enumerate(rows(random.Random(13)), start=1):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, datetime.combine(value, datetime.min.time()), day)
            elif value is not None:
                sheet.write(r, c, value)
    book.set_properties({"created": datetime(2024, 6, 1)})  # the same bytes every time
    book.close()
    return path


if __name__ == "__main__":
    print(write())


def seed_register_check(day: date) -> int:
    """The coordinator's upload of the old register, checked and waiting for them to
    choose the new communes of the split wards and import it (once: the file's hash)."""
    from sqlalchemy import select

    from accounts import services as accounts
    from core.db import db
    from imports.columns import Kind
    from imports.models import ImportBatch
    from imports.services import batches
    from imports.services.checks import dry_run

    data = PATH.read_bytes()
    digest = batches.file_hash(data)
    if db.session.scalar(select(ImportBatch.id).where(ImportBatch.file_hash == digest)):
        return 0
    coordinator = accounts.get_user_by_username("coordinator")
    batch = batches.store_batch(coordinator, Kind.MEMBERS, PATH.name, data)
    dry_run.check_batch(coordinator, batch, day)
    return 1
