"""Administrative units since 1 July 2025: 34 provinces and 3,321 communes.

The rows are the official list of the statistics office as the pinned vietnam-provinces
release has it (migrations 0001 and 0005 load them). Names are stored in full, with their
type ("Tỉnh Nghệ An", "Thành phố Huế", "Phường Thuận Hóa"); templates show `full_name`
where the place matters (a group's page, a profile) and `short_name` in lists and pickers,
and lists are sorted with `place_order`.
"""

from collections.abc import Iterable

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db
from core.text import collation_key

_PROVINCE_TYPES = ("Thành phố ", "Tỉnh ")
_COMMUNE_TYPES = ("Phường ", "Xã ", "Đặc khu ")
# Said on its own, "Hồ Chí Minh" is the man: people write the city "TP. Hồ Chí Minh".
_SHORT_PROVINCE_NAMES = {"ho_chi_minh": "TP. Hồ Chí Minh"}


class Province(db.Model):
    __tablename__ = "provinces"

    code: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(80))
    codename: Mapped[str] = mapped_column(String(80), unique=True)
    division_type: Mapped[str] = mapped_column(String(40))
    # Vietnamese alphabetical order of the short name (Huế under H), set by the migrations.

    communes: Mapped[list["Commune"]] = relationship(
        back_populates="province", order_by="Commune.code"
    )

    @property
    def full_name(self) -> str:
        """The official name: "Tỉnh Nghệ An", "Thành phố Huế"."""
        return self.name

    @property
    def short_name(self) -> str:
        """The name people write in a list: "Nghệ An", "Huế", "TP. Hồ Chí Minh"."""
        if self.codename in _SHORT_PROVINCE_NAMES:
            return _SHORT_PROVINCE_NAMES[self.codename]
        return _without_type(self.name, _PROVINCE_TYPES)

    @property
    def abbreviation(self) -> str:
        """Three letters for codes such as HUE-2026-0042: HUE, NAN (Nghệ An), HCM…"""
        return abbreviate(self.codename)


class Commune(db.Model):
    __tablename__ = "communes"

    code: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(80))
    division_type: Mapped[str] = mapped_column(String(40))
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), index=True)
    # Vietnamese alphabetical order of the name, set by the migrations.

    province: Mapped[Province] = relationship(back_populates="communes")

    @property
    def full_name(self) -> str:
        """The official name: "Phường Thuận Hóa", "Xã Nghi Lộc", "Đặc khu Côn Đảo"."""
        return self.name

    @property
    def short_name(self) -> str:
        """Without its type ("Thuận Hóa"); no two communes of a province share one."""
        return _without_type(self.name, _COMMUNE_TYPES)


def _without_type(name: str, types: tuple[str, ...] = _PROVINCE_TYPES + _COMMUNE_TYPES) -> str:
    for prefix in types:
        rest = name.removeprefix(prefix)
        # "Phường 1" keeps its type: a number alone names nothing.
        if rest != name and not rest.isdecimal():
            return rest
    return name


def place_order[Place: (Province, Commune)](places: Iterable[Place]) -> list[Place]:
    """Places sorted the Vietnamese way by name without its type (a ă â b c d đ …).

    "TP. Hồ Chí Minh" comes under H, "Phường Vinh" under V.
    """
    return sorted(
        places, key=lambda p: collation_key(_without_type(p.name).split())
    )


_ABBREVIATION_CLASHES = {"da_nang": "DNG"}  # Đồng Nai keeps DNA


def abbreviate(codename: str) -> str:
    if codename in _ABBREVIATION_CLASHES:
        return _ABBREVIATION_CLASHES[codename]
    words = codename.split("_")
    if len(words) == 1:
        return words[0][:3].upper()
    if len(words) == 2:
        return (words[0][0] + words[1][:2]).upper()
    return "".join(w[0] for w in words).upper()


def list_provinces() -> list[Province]:
    return place_order(db.session.scalars(select(Province)))


def list_communes(province_code: int) -> list[Commune]:
    return place_order(
        db.session.scalars(select(Commune).where(Commune.province_code == province_code))
    )
